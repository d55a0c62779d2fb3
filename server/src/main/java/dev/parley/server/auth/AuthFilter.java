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
 * {@code Authorization: Bearer KEY} or {@code x-api-key: KEY}, or where the owning dialect's clients put
 * their key ({@link Credentials}); otherwise 401 in the error shape of the dialect that owns the path.
 * /health always stays open.
 */
public final class AuthFilter implements Filter {

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
        Endpoints.Owner dialect = endpoints.owner(path);
        boolean guarded = dialect != null || protectMetrics && path.startsWith("/metrics");
        if (!keys.enabled() || !guarded) {
            chain.proceed();
            return;
        }
        Credentials credentials = dialect != null ? dialect.credentials() : Credentials.STANDARD;
        Credentials.Presented presented = credentials.read(req);
        Optional<String> owner = keys.owner(presented.key());
        if (owner.isPresent() && (presented.claimedOwner() == null || presented.claimedOwner().equals(owner.get()))) {
            req.context().register(new Caller(owner.get()));
            chain.proceed();
            return;
        }
        String message = "missing or invalid API key: " + credentials.hint();
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        ErrorShape shape = dialect != null ? dialect.shape() : endpoints.fallbackShape();
        shape.send(res, RequestIds.of(req), new ApiError(401, message, null, "invalid_api_key"));
    }
}
