package dev.parley.server.api;

import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Errors answered outside a dialect's handler (filters, unknown paths, failures Helidon reports): in
 * OpenAI's shape under /v1/, in Parley's everywhere else.
 */
public final class RouteErrors {

    private static final System.Logger LOG = System.getLogger("parley.api");

    private RouteErrors() {
    }

    public static boolean isOpenAi(ServerRequest req) {
        String path = req.path().path();
        return path.equals("/v1") || path.startsWith("/v1/");
    }

    public static void send(ServerRequest req, ServerResponse res, int status, String message) {
        send(req, res, status, message, null);
    }

    /** Answers {@code status} with {@code message}; {@code code} is OpenAI's machine-readable code (may be null). */
    public static void send(ServerRequest req, ServerResponse res, int status, String message, String code) {
        String id = RequestIds.of(req);
        LOG.log(status >= 500 ? System.Logger.Level.WARNING : System.Logger.Level.INFO, "request " + id + " refused with " + status + ": " + message);
        Json.send(res, status, isOpenAi(req) ? OpenAiApi.errorBody(message, status, null, code) : ConversationApi.error(id, status, message));
    }
}
