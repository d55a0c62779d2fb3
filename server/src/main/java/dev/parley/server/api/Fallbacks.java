package dev.parley.server.api;

import io.helidon.webserver.http.HttpRouting;

/**
 * What no route answers: unknown paths under /v1/ and /api/ get a 404 in their API's error shape, and
 * a failure inside a handler a 500 that says nothing of the server's internals (the log has them).
 * Registered after every API.
 */
public final class Fallbacks {

    private static final System.Logger LOG = System.getLogger("parley.api");

    private Fallbacks() {
    }

    public static void register(HttpRouting.Builder r) {
        for (String prefix : new String[] {"/v1", "/api"}) {
            r.any(prefix, (req, res) -> unknown(req, res)).any(prefix + "/*", (req, res) -> unknown(req, res));
        }
        r.error(Throwable.class, (req, res, t) -> {
            String id = RequestIds.of(req);
            LOG.log(System.Logger.Level.ERROR, "request " + id + " failed inside the server", t);
            if (!res.isSent()) {
                RouteErrors.send(req, res, 500, "internal server error (request " + id + "; the server log has the details)");
            }
        });
    }

    private static void unknown(io.helidon.webserver.http.ServerRequest req, io.helidon.webserver.http.ServerResponse res) {
        RouteErrors.send(req, res, 404, "no route for " + req.prologue().method().text() + " " + Echo.text(req.path().path()), "unknown_url");
    }
}
