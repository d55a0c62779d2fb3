package dev.parley.server.auth;

import dev.parley.server.api.ConversationApi;
import dev.parley.server.api.Json;
import dev.parley.server.api.OpenAiApi;
import dev.parley.server.api.RequestIds;
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
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        Json.send(res, 401, openAi ? OpenAiApi.errorBody(message, 401, null, "invalid_api_key")
                : ConversationApi.error(RequestIds.of(req), 401, message));
    }

    private static String presentedKey(RoutingRequest req) {
        Optional<String> auth = req.headers().first(HeaderNames.AUTHORIZATION);
        if (auth.isPresent() && auth.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.get().substring(7).strip();
        }
        return req.headers().first(X_API_KEY).map(String::strip).orElse(null);
    }
}
