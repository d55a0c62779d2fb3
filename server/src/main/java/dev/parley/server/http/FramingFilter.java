package dev.parley.server.http;


import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.List;
import java.util.Locale;

/**
 * Refuses request framing that two parsers could read differently (the stuff of request smuggling)
 * or that Helidon would turn into an internal error: both Content-Length and Transfer-Encoding, a
 * Content-Length that is not one non-negative number, a Transfer-Encoding other than chunked. The
 * answer is a 400 and the connection is closed, since the body's end is unknown.
 */
public final class FramingFilter implements Filter {

    private final Refusals refusals;

    public FramingFilter(Refusals refusals) {
        this.refusals = refusals;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String problem = problem(req.headers().all(HeaderNames.CONTENT_LENGTH, List::of),
                req.headers().all(HeaderNames.TRANSFER_ENCODING, List::of));
        if (problem == null) {
            chain.proceed();
            return;
        }
        res.header(HeaderNames.CONNECTION, "close");
        refusals.send(req, res, 400, problem);
    }

    /** What is wrong with this framing, or null when it is unambiguous. */
    static String problem(List<String> contentLength, List<String> transferEncoding) {
        if (!contentLength.isEmpty() && !transferEncoding.isEmpty()) {
            return "the request has both Content-Length and Transfer-Encoding: send one of them";
        }
        if (contentLength.size() > 1) {
            return "the request has more than one Content-Length header";
        }
        if (contentLength.size() == 1) {
            String v = contentLength.getFirst().strip();
            if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return "Content-Length must be a non-negative whole number of bytes";
            }
        }
        if (transferEncoding.size() > 1
                || transferEncoding.size() == 1 && !transferEncoding.getFirst().strip().toLowerCase(Locale.ROOT).equals("chunked")) {
            return "Transfer-Encoding must be exactly 'chunked' (no other codings are accepted)";
        }
        return null;
    }
}
