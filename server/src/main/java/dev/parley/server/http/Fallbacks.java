package dev.parley.server.http;

import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.RequestIds;
import dev.parley.server.exchange.RouteTable;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.NotFoundException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.SortedSet;

/**
 * What no route answers, in the error shape of the dialect that owns the path (a plain one elsewhere):
 * a path some route has, asked with another method, is a 405 whose {@code Allow} lists that route's
 * methods; any other path a 404. A failure inside a handler is a 500 that says nothing of the server's
 * internals (the log has them).
 * <p>
 * These are error handlers, not catch-all routes: Helidon reports a request no route took as a
 * {@link NotFoundException}, after every route of every feature (/metrics is one) had its chance,
 * and a catch-all would shadow the routes registered after it.
 */
public final class Fallbacks {

    private static final System.Logger LOG = System.getLogger("parley.api");

    private Fallbacks() {
    }

    public static void register(HttpRouting.Builder r, RouteTable routes, Refusals refusals) {
        r.error(NotFoundException.class, (req, res, e) -> unknown(req, res, routes, refusals));
        r.error(HttpException.class, (req, res, e) -> {
            if (e.status().code() >= 500) {
                failed(req, res, e, refusals);
            } else {
                // Helidon's own refusal of a client's request: its status, none of its text
                refusals.send(req, res, e.status().code(), "the request was refused: " + e.status().reasonPhrase());
            }
        });
        r.error(Throwable.class, (req, res, t) -> failed(req, res, t, refusals));
    }

    private static void failed(ServerRequest req, ServerResponse res, Throwable t, Refusals refusals) {
        String id = RequestIds.of(req);
        LOG.log(System.Logger.Level.ERROR, "request " + id + " failed inside the server", t);
        if (!res.isSent()) {
            refusals.send(req, res, 500, "internal server error (request " + id + "; the server log has the details)");
        }
    }

    private static void unknown(ServerRequest req, ServerResponse res, RouteTable routes, Refusals refusals) {
        String path = req.path().path();
        String method = Echo.text(req.prologue().method().text());
        SortedSet<String> allowed = routes.methodsOn(path);
        if (allowed.isEmpty()) {
            refusals.send(req, res, new ApiError(404, "no route for " + method + " " + Echo.text(path)
                    + " (GET / lists the routes)", null, "unknown_url"));
            return;
        }
        String allow = String.join(", ", allowed);
        res.header(HeaderNames.ALLOW, allow);
        refusals.send(req, res, new ApiError(405, method + " is not allowed on " + Echo.text(path) + ": use " + allow, null,
                "method_not_allowed"));
    }
}
