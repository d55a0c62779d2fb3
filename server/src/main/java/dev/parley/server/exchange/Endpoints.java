package dev.parley.server.exchange;

import dev.parley.runtime.engine.EngineException;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Headers;
import dev.parley.server.api.RequestIds;
import dev.parley.server.auth.Credentials;
import dev.parley.server.threads.StoreFullException;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Where dialects register their routes. Every handler made here reads the request id, turns an
 * {@link ApiError} thrown anywhere below it into the dialect's error body (the only catch of ApiError
 * in the server; a {@link StoreFullException} becomes a 507 there too), and runs turns through the one {@link Exchange}.
 */
public final class Endpoints {

    private static final System.Logger LOG = System.getLogger("parley.api");

    private final Exchange exchange;
    private final CallRunner runner;
    private final Limits limits;
    private final ErrorShape fallback;
    /** Path prefix to its owner: the paths a dialect owns, for answers given before routing (the auth filter's 401). */
    private final Map<String, Owner> owners = new ConcurrentSkipListMap<>();
    private final RouteTable routes = new RouteTable();

    /** The dialect owning a path prefix: its error shape, and where its clients put their key. */
    public record Owner(ErrorShape shape, Credentials credentials) {}

    public Endpoints(Exchange exchange, Limits limits, ErrorShape fallback) {
        this(exchange, limits, fallback, (call, in, res) -> exchange.run(call, res, route(in.http())));
    }

    /**
     * The route a request matched, as registered ({@code /api/v1/conversations/{id}/messages}), for the
     * log: the path itself may carry a thread id or a client's conversation name, which an INFO line must not.
     */
    static String route(ServerRequest req) {
        return req.matchingPattern().orElse(req.prologue().method().text() + " (unrouted)");
    }

    /** What a parsed turn goes to: the exchange, or (testing the dialects' parsers alone) a recorder. */
    @FunctionalInterface
    interface CallRunner {
        void run(Call call, Incoming in, ServerResponse res);
    }

    Endpoints(Exchange exchange, Limits limits, ErrorShape fallback, CallRunner runner) {
        this.exchange = exchange;
        this.runner = runner;
        this.limits = limits;
        this.fallback = fallback;
    }

    public Exchange exchange() {
        return exchange;
    }

    public Limits limits() {
        return limits;
    }

    /** Every route registered (through {@link RouteTable#recording} rules). */
    public RouteTable routes() {
        return routes;
    }

    /** A route other than a turn (reading threads, listing models); it may throw ApiError. */
    @FunctionalInterface
    public interface Route {
        void handle(Incoming request, ServerResponse res);
    }

    /** A handler for a turn: the dialect's parser, then the exchange. */
    public Handler turn(ErrorShape errors, TurnParser parser) {
        return handler(errors, (in, res) -> run(parser.parse(in), in, res));
    }

    private void run(Call call, Incoming in, ServerResponse res) {
        runner.run(call, in, res);
    }

    /** A route that answers some requests itself and makes the others turns. */
    @FunctionalInterface
    public interface TurnOrAnswer {
        /** The turn to run, or null when the route has answered (Ollama's generate without a prompt only loads the model). */
        Call parse(Incoming request, ServerResponse res);
    }

    /** A handler for a route that is a turn for some requests only. */
    public Handler turnOrAnswer(ErrorShape errors, TurnOrAnswer parser) {
        return handler(errors, (in, res) -> {
            Call call = parser.parse(in, res);
            if (call != null) {
                run(call, in, res);
            }
        });
    }

    /** A handler for any other route of a dialect. */
    public Handler handler(ErrorShape errors, Route route) {
        return (req, res) -> {
            String id = RequestIds.of(req);
            res.header(Headers.REQUEST_ID, id);
            try {
                try {
                    route.handle(new Incoming(req, id, limits), res);
                } catch (EngineException e) {
                    // the engine's own checks (the options' limits, a template that cannot render) are the request's error
                    throw ApiError.engine(e.code(), e.getMessage());
                }
            } catch (ApiError e) {
                LOG.log(e.status() >= 500 ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                        "request " + id + " refused with " + e.status() + ": " + e.getMessage());
                if (e.status() == 413 && !res.isSent() && req.content().hasEntity() && !req.content().consumed()) {
                    // A body refused as too large may still be arriving: closing beats reading all of it to keep the connection.
                    res.header(io.helidon.http.HeaderNames.CONNECTION, "close");
                }
                errors.send(res, id, e);
            } catch (StoreFullException e) {
                // The operator's problem, not the client's: the log names it once per request, without a stack trace.
                LOG.log(System.Logger.Level.WARNING, "request " + id + " refused with 507: " + e.getMessage());
                errors.send(res, id, ApiError.insufficientStorage(e.advice()));
            }
        };
    }

    /**
     * A dialect owns the paths under this prefix: they need an API key when keys are on, and errors
     * answered before routing (a missing key) take this shape.
     */
    public void owns(String pathPrefix, ErrorShape shape) {
        owns(pathPrefix, shape, Credentials.STANDARD);
    }

    /** As {@link #owns(String, ErrorShape)}, for a published API whose clients present their key their own way. */
    public void owns(String pathPrefix, ErrorShape shape, Credentials credentials) {
        Owner owner = new Owner(shape, credentials);
        Owner before = owners.putIfAbsent(pathPrefix, owner);
        if (before != null && !before.equals(owner)) {
            // the later dialect would silently take the prefix from the earlier one, whose clients would get foreign errors
            throw new IllegalStateException("two dialects own " + pathPrefix + " with different error shapes or credentials");
        }
    }

    /** The dialect owning the longest prefix of {@code path}, or null when no dialect owns it. */
    public Owner owner(String path) {
        String best = null;
        for (String prefix : owners.keySet()) {
            if (path.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
                best = prefix;
            }
        }
        return best == null ? null : owners.get(best);
    }

    /** The error shape of the dialect owning the longest prefix of {@code path}, or null when no dialect owns it. */
    public ErrorShape ownerShape(String path) {
        Owner o = owner(path);
        return o == null ? null : o.shape();
    }

    /** The shape for paths no dialect owns. */
    public ErrorShape fallbackShape() {
        return fallback;
    }
}
