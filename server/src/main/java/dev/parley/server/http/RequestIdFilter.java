package dev.parley.server.http;

import dev.parley.server.api.Headers;
import dev.parley.server.api.RequestIds;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/** Gives every request its id before anything else runs, and every response its X-Request-Id header. */
public final class RequestIdFilter implements Filter {

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        res.header(Headers.REQUEST_ID, RequestIds.assign(req));
        chain.proceed();
    }
}
