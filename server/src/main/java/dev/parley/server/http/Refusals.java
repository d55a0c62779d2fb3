package dev.parley.server.http;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.RequestIds;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.ErrorShape;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Answers given outside a dialect's handler (by a filter, for an unknown path, for a failure Helidon
 * reports) in the error shape of the dialect that owns the path, like the API-key check does.
 */
public final class Refusals {

    private static final System.Logger LOG = System.getLogger("parley.api");

    private final Endpoints endpoints;

    public Refusals(Endpoints endpoints) {
        this.endpoints = endpoints;
    }

    public void send(ServerRequest req, ServerResponse res, ApiError error) {
        String id = RequestIds.of(req);
        LOG.log(error.status() >= 500 ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                "request " + id + " refused with " + error.status() + ": " + error.getMessage());
        ErrorShape shape = endpoints.ownerShape(req.path().path());
        (shape != null ? shape : endpoints.fallbackShape()).send(res, id, error);
    }

    public void send(ServerRequest req, ServerResponse res, int status, String message) {
        send(req, res, new ApiError(status, message, null));
    }
}
