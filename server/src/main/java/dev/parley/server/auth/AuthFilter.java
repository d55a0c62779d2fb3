package dev.parley.server.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Optional;

/**
 * With API keys configured, every /api/ and /v1/ route (and /metrics if asked) needs
 * {@code Authorization: Bearer KEY} or {@code x-api-key: KEY}; otherwise 401 in the route's error shape.
 * /health always stays open.
 */
public final class AuthFilter implements Filter {

    private static final io.helidon.http.HeaderName X_API_KEY = HeaderNames.create("x-api-key");

    private final ApiKeys keys;
    private final boolean protectMetrics;

    public AuthFilter(ApiKeys keys, boolean protectMetrics) {
        this.keys = keys;
        this.protectMetrics = protectMetrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        boolean openAi = path.startsWith("/v1/");
        boolean guarded = path.startsWith("/api/") || openAi || protectMetrics && path.startsWith("/metrics");
        if (!keys.enabled() || !guarded) {
            chain.proceed();
            return;
        }
        Optional<String> owner = keys.owner(presentedKey(req));
        if (owner.isPresent()) {
            req.context().register(new Caller(owner.get()));
            chain.proceed();
            return;
        }
        String message = "missing or invalid API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'";
        ObjectNode body = Json.object();
        if (openAi) {
            ObjectNode e = body.putObject("error");
            e.put("message", message).put("type", "invalid_request_error").putNull("param").put("code", "invalid_api_key");
        } else {
            ObjectNode e = body.putObject("Error");
            e.put("request_id", req.headers().first(HeaderNames.create("X-Request-Id")).orElse(""));
            e.putObject("error").put("code", 401).put("description", message);
        }
        res.status(401);
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(body));
    }

    private static String presentedKey(RoutingRequest req) {
        Optional<String> auth = req.headers().first(HeaderNames.AUTHORIZATION);
        if (auth.isPresent() && auth.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.get().substring(7).strip();
        }
        return req.headers().first(X_API_KEY).map(String::strip).orElse(null);
    }
}
