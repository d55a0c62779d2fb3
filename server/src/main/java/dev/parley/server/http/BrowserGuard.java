package dev.parley.server.http;


import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps web pages in a user's browser from using a local server they were not meant to reach:
 * <ul>
 * <li>the Host header must name an allowed host (by default the bound address), which defeats DNS
 * rebinding, where an attacker's name resolves to 127.0.0.1;</li>
 * <li>a request from another origin (its {@code Origin} header) is refused, before its body is read,
 * unless that origin is in {@code --allowed-origins}; allowed origins get CORS headers and their
 * preflights are answered.</li>
 * </ul>
 * As Ollama does, a body's {@code Content-Type} is not checked: browsers send an {@code Origin} with
 * every cross-origin request that has a body, even the "simple" {@code text/plain} and form posts that
 * need no preflight, so the origin check alone stops those; curl, SDKs and servers send no Origin and
 * any type (curl's {@code -d} says form data). Runs before the API-key check: browsers send preflights
 * without credentials.
 */
public final class BrowserGuard implements Filter {

    private static final HeaderName ORIGIN = HeaderNames.ORIGIN;
    private static final String ALLOW_HEADERS = "Authorization, Content-Type, X-Api-Key, X-Request-Id, Accept";
    private static final String ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS";

    private final Set<String> allowedHosts;
    private final Set<String> allowedOrigins;
    private final Refusals refusals;

    /**
     * @param allowedHosts host names (lower case, no port) the Host header may carry; empty allows any
     * @param allowedOrigins origins ({@code scheme://host[:port]}) allowed to call from a browser; "*" allows every origin
     */
    public BrowserGuard(Set<String> allowedHosts, Set<String> allowedOrigins, Refusals refusals) {
        this.allowedHosts = Set.copyOf(allowedHosts);
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.refusals = refusals;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Optional<String> host = req.headers().first(HeaderNames.HOST);
        if (!allowedHosts.isEmpty() && (host.isEmpty() || !allowedHosts.contains(hostName(host.get())))) {
            refusals.send(req, res, 403, "the Host header '" + host.map(h -> h.length() > 100 ? h.substring(0, 100) : h).orElse("")
                    + "' is not one this server answers to: add it to --allowed-hosts");
            return;
        }
        Optional<String> origin = req.headers().first(ORIGIN);
        if (origin.isPresent() && !sameOrigin(origin.get(), host.orElse(""))) {
            if (!originAllowed(origin.get())) {
                refusals.send(req, res, 403, "requests from origin '" + cut(origin.get()) + "' are not allowed: add it to --allowed-origins");
                return;
            }
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, allowedOrigins.contains("*") ? "*" : origin.get());
            res.header(HeaderNames.VARY, "Origin");
            res.header(HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, "X-Request-Id, Retry-After");
            if (req.prologue().method() == Method.OPTIONS && req.headers().contains(HeaderNames.ACCESS_CONTROL_REQUEST_METHOD)) {
                res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
                res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
                res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
                res.status(204).send();
                return;
            }
        }
        chain.proceed();
    }

    private boolean originAllowed(String origin) {
        return allowedOrigins.contains("*") || allowedOrigins.contains(origin.strip().toLowerCase(Locale.ROOT));
    }

    /** A request whose Origin is the server itself (as the browser reached it) is no cross-origin request. */
    private static boolean sameOrigin(String origin, String host) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        String h = host.strip().toLowerCase(Locale.ROOT);
        return !h.isEmpty() && (o.equals("http://" + h) || o.equals("https://" + h));
    }

    /** The host name of a Host header value, without its port: "localhost:8080" gives "localhost", "[::1]:80" gives "[::1]". */
    static String hostName(String hostHeader) {
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** The hosts a server bound to {@code bindHost} answers to by default; empty (any) for a wildcard address. */
    public static Set<String> defaultHosts(String bindHost) {
        String b = bindHost.strip().toLowerCase(Locale.ROOT);
        if (b.equals("0.0.0.0") || b.equals("::") || b.equals("[::]") || b.isEmpty()) {
            return Set.of();
        }
        if (b.equals("127.0.0.1") || b.equals("localhost") || b.equals("::1") || b.equals("[::1]")) {
            return Set.of("localhost", "127.0.0.1", "[::1]");
        }
        return Set.of(b.contains(":") && !b.startsWith("[") ? "[" + b + "]" : b);
    }

    private static String cut(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "..." : s;
    }
}
