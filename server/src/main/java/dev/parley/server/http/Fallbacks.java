package dev.parley.server.http;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.RequestIds;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * What no route answers: unknown paths under /v1/ and /api/ get a 404 in their API's error shape
 * (Helidon's own is text/plain), and a failure inside a handler a 500 that says nothing of the
 * server's internals (the log has them). Registered after every dialect.
 */
public final class Fallbacks {

    private static final System.Logger LOG = System.getLogger("parley.api");

    private Fallbacks() {
    }

    public static void register(HttpRouting.Builder r, Refusals refusals) {
        for (String prefix : new String[] {"/v1", "/api"}) {
            r.any(prefix, (req, res) -> unknown(req, res, refusals)).any(prefix + "/*", (req, res) -> unknown(req, res, refusals));
        }
        r.error(Throwable.class, (req, res, t) -> {
            String id = RequestIds.of(req);
            LOG.log(System.Logger.Level.ERROR, "request " + id + " failed inside the server", t);
            if (!res.isSent()) {
                refusals.send(req, res, 500, "internal server error (request " + id + "; the server log has the details)");
            }
        });
    }

    private static void unknown(ServerRequest req, ServerResponse res, Refusals refusals) {
        refusals.send(req, res, new ApiError(404, "no route for " + req.prologue().method().text() + " " + Echo.text(req.path().path()),
                null, "unknown_url"));
    }
}
