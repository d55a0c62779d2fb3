package dev.parley.server.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * Closes the connection once a response is sent when the client or the server said
 * {@code Connection: close}. Helidon 4.4.0 writes the header but keeps reading the socket for another
 * request, so such connections lingered until the idle timeout.
 */
public final class CloseAfterResponse implements Filter {

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        chain.proceed();
        boolean close = req.headers().first(HeaderNames.CONNECTION).map(CloseAfterResponse::saysClose).orElse(false)
                || res.headers().first(HeaderNames.CONNECTION).map(CloseAfterResponse::saysClose).orElse(false);
        if (close && res.isSent()) {
            throw new CloseConnectionException("Connection: close");
        }
    }

    private static boolean saysClose(String value) {
        for (String token : value.split(",")) {
            if (token.strip().equalsIgnoreCase("close")) {
                return true;
            }
        }
        return false;
    }
}
