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
 * <li>bodies of JSON endpoints must be sent as {@code application/json}, a type a page cannot send
 * to another origin without a CORS preflight;</li>
 * <li>a request from another origin (its {@code Origin} header) is refused unless that origin is in
 * {@code --cors-origins}; allowed origins get CORS headers and their preflights are answered.</li>
 * </ul>
 * Runs before the API-key check: browsers send preflights without credentials.
 */
public final class BrowserGuard implements Filter {

    private static final HeaderName ORIGIN = HeaderNames.ORIGIN;
    private static final String ALLOW_HEADERS = "Authorization, Content-Type, X-Api-Key, X-Request-Id, Accept";
    private static final String ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS";

    private final Set<String> allowedHosts;
    private final Set<String> corsOrigins;
    private final Refusals refusals;

    /**
     * @param allowedHosts host names (lower case, no port) the Host header may carry; empty allows any
     * @param corsOrigins  origins ({@code scheme://host[:port]}) allowed to call from a browser; "*" allows every origin
     */
    public BrowserGuard(Set<String> allowedHosts, Set<String> corsOrigins, Refusals refusals) {
        this.allowedHosts = Set.copyOf(allowedHosts);
        this.corsOrigins = Set.copyOf(corsOrigins);
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
                refusals.send(req, res, 403, "requests from origin '" + cut(origin.get()) + "' are not allowed: add it to --cors-origins");
                return;
            }
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, corsOrigins.contains("*") ? "*" : origin.get());
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
        if (needsJson(req) && !isJson(req.headers().first(HeaderNames.CONTENT_TYPE).orElse(""))) {
            refusals.send(req, res, 415, "send the request body with 'Content-Type: application/json'");
            return;
        }
        chain.proceed();
    }

    private boolean originAllowed(String origin) {
        return corsOrigins.contains("*") || corsOrigins.contains(origin.strip().toLowerCase(Locale.ROOT));
    }

    /** A request whose Origin is the server itself (as the browser reached it) is no cross-origin request. */
    private static boolean sameOrigin(String origin, String host) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        String h = host.strip().toLowerCase(Locale.ROOT);
        return !h.isEmpty() && (o.equals("http://" + h) || o.equals("https://" + h));
    }

    /**
     * POST, PUT and PATCH under /api/ and /v1/ carry JSON, except file uploads (multipart or raw bytes).
     * A page may post a form to an upload route without a preflight; browsers send such a cross-origin
     * post with its Origin, which the check above refuses unless --cors-origins allows it.
     */
    private static boolean needsJson(RoutingRequest req) {
        Method m = req.prologue().method();
        String path = req.path().path();
        return (m == Method.POST || m == Method.PUT || m == Method.PATCH) && (path.startsWith("/api/") || path.startsWith("/v1/"))
                && !UPLOADS.contains(path);
    }

    /** The upload routes, whose bodies are files. */
    private static final Set<String> UPLOADS = Set.of("/api/v1/files", "/v1/files");

    static boolean isJson(String contentType) {
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
        return type.equals("application/json");
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
