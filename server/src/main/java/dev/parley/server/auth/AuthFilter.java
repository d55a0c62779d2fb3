package dev.parley.server.auth;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestIds;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.ErrorShape;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Optional;

/**
 * With API keys configured, every path a dialect owns (/api/, /v1/, ...: see
 * {@link Endpoints#owns}) and /metrics if asked needs
 * {@code Authorization: Bearer KEY} or {@code x-api-key: KEY}; otherwise 401 in the error shape of the
 * dialect that owns the path.
 * /health always stays open.
 */
public final class AuthFilter implements Filter {

    private static final io.helidon.http.HeaderName X_API_KEY = HeaderNames.create("x-api-key");

    private final ApiKeys keys;
    private final boolean protectMetrics;
    private final Endpoints endpoints;

    public AuthFilter(ApiKeys keys, boolean protectMetrics, Endpoints endpoints) {
        this.keys = keys;
        this.protectMetrics = protectMetrics;
        this.endpoints = endpoints;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        ErrorShape shape = endpoints.ownerShape(path);
        boolean guarded = shape != null || protectMetrics && path.startsWith("/metrics");
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
        (shape != null ? shape : endpoints.fallbackShape()).send(res, RequestIds.of(req), new ApiError(401, message, null, "invalid_api_key"));
    }

    private static String presentedKey(RoutingRequest req) {
        Optional<String> auth = req.headers().first(HeaderNames.AUTHORIZATION);
        if (auth.isPresent() && auth.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.get().substring(7).strip();
        }
        return req.headers().first(X_API_KEY).map(String::strip).orElse(null);
    }
}
