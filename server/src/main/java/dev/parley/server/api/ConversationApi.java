package dev.parley.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parley's own API: {@code POST /api/v1/continue_from_conversation_history} and
 * {@code POST /api/v1/continue_from_raw_prompt}, answering with newline-delimited JSON flushed per token.
 */
public final class ConversationApi {

    private static final System.Logger LOG = System.getLogger("parley.api");

    private static final Set<String> COMMON = RequestBody.fields(SamplingFields.NAMES, Set.of("max_tokens", "stop", "grammar"));
    private static final Set<String> HISTORY_FIELDS = RequestBody.fields(COMMON, Set.of("conversation_history", "add_generation_prompt", "enable_thinking"));
    private static final Set<String> RAW_FIELDS = RequestBody.fields(COMMON, Set.of("raw_prompt"));

    private final Engine engine;
    private final Limits limits;

    /** Request limits from the server's configuration. */
    public record Limits(int maxTokens, int defaultMaxTokens, long maxBodyBytes) {}

    public ConversationApi(Engine engine, Limits limits) {
        this.engine = engine;
        this.limits = limits;
    }

    public void register(HttpRules rules) {
        rules.post("/api/v1/continue_from_conversation_history", this::conversation)
             .post("/api/v1/continue_from_raw_prompt", this::rawPrompt);
    }

    private void conversation(ServerRequest req, ServerResponse res) {
        String id = RequestIds.of(req);
        handle(req, id, res, "continue_from_conversation_history", wantsEvents(req), () -> {
            RequestBody b = RequestBody.read(req, limits.maxBodyBytes());
            b.onlyFields(HISTORY_FIELDS);
            List<Map<String, Object>> messages = Messages.parse(b.get("conversation_history"), "conversation_history");
            Prompt prompt = new Prompt.Chat(messages, b.bool("add_generation_prompt", true), b.optionalBool("enable_thinking"), null, Map.of());
            return request(id, b, prompt);
        });
    }

    private void rawPrompt(ServerRequest req, ServerResponse res) {
        String id = RequestIds.of(req);
        handle(req, id, res, "continue_from_raw_prompt", wantsEvents(req), () -> {
            RequestBody b = RequestBody.read(req, limits.maxBodyBytes());
            b.onlyFields(RAW_FIELDS);
            String raw = b.optionalString("raw_prompt");
            if (raw == null) {
                throw ApiError.badRequest("raw_prompt", "field 'raw_prompt' is required: the prompt text");
            }
            if (raw.isEmpty()) {
                throw ApiError.badRequest("raw_prompt", "field 'raw_prompt' is empty");
            }
            return request(id, b, new Prompt.Raw(raw));
        });
    }

    private GenerationRequest request(String id, RequestBody b, Prompt prompt) {
        Integer max = b.optionalInt("max_tokens", Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (max != null && max < 1) {
            throw ApiError.badRequest("max_tokens", "field 'max_tokens' must be at least 1, got " + max);
        }
        if (max != null && max > limits.maxTokens()) {
            throw ApiError.badRequest("max_tokens", "field 'max_tokens' is " + max + ", over this server's limit of " + limits.maxTokens());
        }
        return new GenerationRequest(id, prompt, max != null ? max : limits.defaultMaxTokens(), SamplingFields.parse(b),
                b.optionalStrings("stop", false, 16), b.optionalString("grammar"));
    }

    /** A client that accepts text/event-stream gets server-sent events instead of NDJSON. */
    static boolean wantsEvents(ServerRequest req) {
        return req.headers().first(HeaderNames.ACCEPT).map(a -> a.contains("text/event-stream")).orElse(false);
    }

    private interface RequestParser {
        GenerationRequest parse();
    }

    private void handle(ServerRequest req, String id, ServerResponse res, String endpoint, boolean events, RequestParser parser) {
        res.header(Headers.REQUEST_ID, id);
        Generation g;
        try {
            g = Generation.start(engine, parser.parse(), req);
        } catch (ApiError e) {
            sendError(res, id, e.status(), e.getMessage(), null);
            return;
        } catch (Generation.Refused e) {
            sendError(res, id, e.code.httpStatus, e.getMessage(), e.code);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, events ? "text/event-stream" : "application/x-ndjson");
        int slot = g.started().slot();
        try (OutputStream out = res.outputStream()) {
            if (events) {
                streamEvents(g, new SseWriter(out), id, endpoint);
                return;
            }
            while (true) {
                GenerationEvent e = g.stream().next();
                switch (e) {
                    case GenerationEvent.Piece p -> {
                        if (!p.raw().isEmpty()) {
                            out.write(Json.line(token(id, slot, p.raw())));
                            out.flush();
                        }
                    }
                    case GenerationEvent.Done d -> {
                        out.write(Json.line(done(id, slot)));
                        out.flush();
                        RequestLog.finished(LOG, id, endpoint, d);
                        return;
                    }
                    case GenerationEvent.Failed f -> {
                        out.write(Json.line(error(id, f.code().httpStatus, f.message())));
                        out.flush();
                        LOG.log(System.Logger.Level.WARNING, "request " + id + " failed while streaming: " + f.message());
                        return;
                    }
                    case GenerationEvent.Started s -> throw new IllegalStateException("started twice");
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            g.abandon(e);
            LOG.log(System.Logger.Level.INFO, "request " + id + ": client went away; generation cancelled");
        }
    }

    private static void streamEvents(Generation g, SseWriter sse, String id, String endpoint) throws IOException, InterruptedException {
        while (true) {
            switch (g.stream().next()) {
                case GenerationEvent.Piece p -> sse.piece(p);
                case GenerationEvent.Done d -> {
                    sse.done(d, null);
                    RequestLog.finished(LOG, id, endpoint, d);
                    return;
                }
                case GenerationEvent.Failed f -> {
                    sse.error(f.code().httpStatus, f.message());
                    return;
                }
                case GenerationEvent.Started s -> throw new IllegalStateException("started twice");
            }
        }
    }

    /** Helidon reports a closed connection with its own exception types; all of them mean the client left. */
    static boolean isDisconnect(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getName();
            if (t instanceof IOException || name.contains("ServerConnectionException") || name.contains("SocketWriterException")
                    || name.contains("ClosedChannel")) {
                return true;
            }
        }
        return false;
    }

    static ObjectNode token(String id, int slot, String text) {
        ObjectNode r = Json.object();
        ObjectNode resp = r.putObject("Response");
        resp.put("request_id", id);
        ObjectNode gen = resp.putObject("response").putObject("GeneratedToken");
        gen.putObject("generated_token_result").put("Token", text);
        gen.put("slot", slot);
        return r;
    }

    static ObjectNode done(String id, int slot) {
        ObjectNode r = Json.object();
        ObjectNode resp = r.putObject("Response");
        resp.put("request_id", id);
        ObjectNode gen = resp.putObject("response").putObject("GeneratedToken");
        gen.put("generated_token_result", "Done");
        gen.put("slot", slot);
        return r;
    }

    /** Parley's error body: {"Error": {"request_id", "error": {"code", "description"}}}. */
    public static ObjectNode error(String id, int code, String description) {
        ObjectNode r = Json.object();
        ObjectNode err = r.putObject("Error");
        err.put("request_id", id);
        err.putObject("error").put("code", code).put("description", description);
        return r;
    }

    static void sendError(ServerResponse res, String id, int status, String message, ErrorCode code) {
        if (code == ErrorCode.QUEUE_FULL || code == ErrorCode.SHUTTING_DOWN) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        LOG.log(status >= 500 ? System.Logger.Level.WARNING : System.Logger.Level.INFO, "request " + id + " refused with " + status + ": " + message);
        Json.send(res, status, error(id, status, message));
    }
}
