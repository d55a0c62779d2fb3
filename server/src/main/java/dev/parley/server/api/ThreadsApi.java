package dev.parley.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.auth.Caller;
import dev.parley.server.threads.ConflictException;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadStore;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Threads the server keeps: create, list, read, update, delete, and continue one by sending only the
 * new message. A completed exchange is stored atomically; a cancelled or failed one stores nothing.
 * A thread belongs to the API key that created it: other keys get 404.
 */
public final class ThreadsApi {

    private static final System.Logger LOG = System.getLogger("parley.api");
    private static final Set<String> THREAD_FIELDS = Set.of("title", "system_prompt", "metadata");
    private static final Set<String> MESSAGE_FIELDS = RequestBody.fields(SamplingFields.NAMES,
            Set.of("prompt", "additional_context", "save_history", "enable_thinking", "max_tokens", "stop", "grammar", "stream"));

    private final Engine engine;
    private final ThreadStore store;
    private final ConversationApi.Limits limits;
    /** Threads with an exchange in flight on this instance; the store's unique positions cover other instances. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();

    public ThreadsApi(Engine engine, ThreadStore store, ConversationApi.Limits limits) {
        this.engine = engine;
        this.store = store;
        this.limits = limits;
    }

    public void register(HttpRules rules) {
        rules.post("/api/v1/conversations", this::create)
             .get("/api/v1/conversations", this::list)
             .get("/api/v1/conversations/{id}", this::read)
             .patch("/api/v1/conversations/{id}", this::update)
             .delete("/api/v1/conversations/{id}", this::delete)
             .post("/api/v1/conversations/{id}/messages", this::continueThread);
    }

    // ---- CRUD ----

    private void create(ServerRequest req, ServerResponse res) {
        String rid = RequestIds.of(req);
        try {
            RequestBody b = bodyOrEmpty(req);
            b.onlyFields(THREAD_FIELDS);
            Conversation c = store.create(Caller.of(req).owner(), b.optionalString("title"), b.optionalString("system_prompt"), metadata(b));
            Json.send(res, 201, thread(c));
        } catch (ApiError e) {
            ConversationApi.sendError(res, rid, e.status(), e.getMessage(), null);
        }
    }

    private void list(ServerRequest req, ServerResponse res) {
        String rid = RequestIds.of(req);
        try {
            var q = req.query();
            int limit = 20;
            if (q.contains("limit")) {
                try {
                    limit = Integer.parseInt(q.get("limit"));
                } catch (NumberFormatException e) {
                    limit = -1;
                }
                if (limit < 1 || limit > 100) {
                    throw ApiError.badRequest("limit", "query parameter 'limit' must be a whole number from 1 to 100");
                }
            }
            ThreadStore.Page page;
            try {
                page = store.list(Caller.of(req).owner(), q.contains("cursor") ? q.get("cursor") : null, limit);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("cursor", e.getMessage());
            }
            ObjectNode body = Json.object();
            ArrayNode data = body.putArray("data");
            page.items().forEach(c -> data.add(thread(c)));
            if (page.nextCursor() == null) {
                body.putNull("next_cursor");
            } else {
                body.put("next_cursor", page.nextCursor());
            }
            Json.send(res, 200, body);
        } catch (ApiError e) {
            ConversationApi.sendError(res, rid, e.status(), e.getMessage(), null);
        }
    }

    private void read(ServerRequest req, ServerResponse res) {
        String rid = RequestIds.of(req);
        try {
            Conversation c = owned(req);
            ObjectNode body = thread(c);
            ArrayNode messages = body.putArray("messages");
            for (StoredMessage m : store.messages(c.id())) {
                messages.add(message(m));
            }
            Json.send(res, 200, body);
        } catch (ApiError e) {
            ConversationApi.sendError(res, rid, e.status(), e.getMessage(), null);
        }
    }

    private void update(ServerRequest req, ServerResponse res) {
        String rid = RequestIds.of(req);
        try {
            RequestBody b = RequestBody.read(req, limits.maxBodyBytes());
            b.onlyFields(THREAD_FIELDS);
            if (!b.has("title") && !b.has("system_prompt") && !b.has("metadata")) {
                throw ApiError.badRequest(null, "nothing to update: send title, system_prompt or metadata");
            }
            String id = req.path().pathParameters().get("id");
            Conversation c = store.update(Caller.of(req).owner(), id, b.optionalString("title"), b.optionalString("system_prompt"),
                    b.has("metadata") ? metadata(b) : null).orElseThrow(() -> notFound(id));
            Json.send(res, 200, thread(c));
        } catch (ApiError e) {
            ConversationApi.sendError(res, rid, e.status(), e.getMessage(), null);
        }
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String rid = RequestIds.of(req);
        String id = req.path().pathParameters().get("id");
        if (busy.contains(id)) {
            ConversationApi.sendError(res, rid, 409, "conversation " + id + " has an exchange in progress", null);
            return;
        }
        if (!store.delete(Caller.of(req).owner(), id)) {
            ConversationApi.sendError(res, rid, 404, notFound(id).getMessage(), null);
            return;
        }
        Json.send(res, 200, Json.object().put("status", "success"));
    }

    // ---- continuing a thread ----

    private void continueThread(ServerRequest req, ServerResponse res) {
        String rid = RequestIds.of(req);
        res.header(Headers.REQUEST_ID, rid);
        Conversation c;
        RequestBody b;
        try {
            c = owned(req);
            b = RequestBody.read(req, limits.maxBodyBytes());
            b.onlyFields(MESSAGE_FIELDS);
        } catch (ApiError e) {
            ConversationApi.sendError(res, rid, e.status(), e.getMessage(), null);
            return;
        }
        if (!busy.add(c.id())) {
            ConversationApi.sendError(res, rid, 409, "conversation " + c.id() + " is already being continued: wait for that exchange to end", null);
            return;
        }
        try {
            exchange(req, res, rid, c, b);
        } finally {
            busy.remove(c.id());
        }
    }

    private void exchange(ServerRequest req, ServerResponse res, String rid, Conversation c, RequestBody b) {
        String prompt;
        boolean save;
        boolean stream;
        GenerationRequest request;
        List<StoredMessage> history;
        try {
            prompt = b.optionalString("prompt");
            if (prompt == null || prompt.isEmpty()) {
                throw ApiError.badRequest("prompt", "field 'prompt' is required: the new user message");
            }
            String context = b.optionalString("additional_context");
            save = b.bool("save_history", true);
            stream = b.bool("stream", true);
            history = store.messages(c.id());
            List<Map<String, Object>> messages = new ArrayList<>();
            if (c.systemPrompt() != null && !c.systemPrompt().isEmpty()) {
                messages.add(Map.of("role", "system", "content", c.systemPrompt()));
            }
            for (StoredMessage m : history) {
                Map<String, Object> msg = new LinkedHashMap<>();
                msg.put("role", m.role());
                msg.put("content", m.content());
                if (m.thinking() != null && !m.thinking().isEmpty()) {
                    msg.put("reasoning_content", m.thinking());
                }
                messages.add(msg);
            }
            // additional_context is for this exchange only: it reaches the prompt, never the store.
            messages.add(Map.of("role", "user", "content", context == null || context.isEmpty() ? prompt : context + "\n\n" + prompt));
            Integer max = b.optionalInt("max_tokens", 1, limits.maxTokens());
            request = new GenerationRequest(rid, new Prompt.Chat(messages, true, b.optionalBool("enable_thinking"), null, Map.of()),
                    max != null ? max : limits.defaultMaxTokens(), SamplingFields.parse(b), b.optionalStrings("stop", false, 16),
                    b.optionalString("grammar")).withConversation(c.id());
        } catch (ApiError e) {
            ConversationApi.sendError(res, rid, e.status(), e.getMessage(), null);
            return;
        }
        Generation g;
        try {
            g = Generation.start(engine, request, req);
        } catch (Generation.Refused e) {
            ConversationApi.sendError(res, rid, e.code.httpStatus, e.getMessage(), e.code);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        StringBuilder content = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        try (OutputStream out = stream ? openEvents(res) : null) {
            SseWriter sse = stream ? new SseWriter(out) : null;
            while (true) {
                GenerationEvent e = g.stream().next();
                if (e instanceof GenerationEvent.Piece p) {
                    (p.channel() == GenerationEvent.Channel.REASONING ? thinking : content).append(p.text());
                    if (sse != null) {
                        sse.piece(p);
                    }
                } else if (e instanceof GenerationEvent.Failed f) {
                    if (sse != null) {
                        sse.error(f.code().httpStatus, f.message());
                    } else {
                        ConversationApi.sendError(res, rid, f.code().httpStatus, f.message(), f.code());
                    }
                    return;
                } else if (e instanceof GenerationEvent.Done d) {
                    if (d.reason() == GenerationEvent.FinishReason.CANCELLED) {
                        return;
                    }
                    String messageId = null;
                    if (save) {
                        try {
                            messageId = store(c, history.size(), prompt, content.toString(), thinking.toString(), d);
                        } catch (ConflictException conflict) {
                            if (sse != null) {
                                sse.error(409, conflict.getMessage());
                            } else {
                                ConversationApi.sendError(res, rid, 409, conflict.getMessage(), null);
                            }
                            return;
                        }
                    }
                    RequestLog.finished(LOG, rid, "conversations/" + c.id() + "/messages", d);
                    if (sse != null) {
                        sse.done(d, messageId);
                    } else {
                        ObjectNode body = Json.object().put("text", content.toString()).put("thinking", thinking.toString())
                                .put("finish_reason", d.reason().wireName());
                        if (messageId == null) {
                            body.putNull("message_id");
                        } else {
                            body.put("message_id", messageId);
                        }
                        body.set("usage", SseWriter.usage(d.usage()));
                        Json.send(res, 200, body);
                    }
                    return;
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            g.abandon(e); // the exchange did not complete: nothing is stored
        }
    }

    private static OutputStream openEvents(ServerResponse res) {
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        return res.outputStream();
    }

    private String store(Conversation c, int position, String prompt, String content, String thinking, GenerationEvent.Done d) {
        long now = System.currentTimeMillis();
        GenerationEvent.Usage u = d.usage();
        StoredMessage user = new StoredMessage(newMessageId(), c.id(), position, "user", prompt, null, null, null, null, null, null, now);
        StoredMessage reply = new StoredMessage(newMessageId(), c.id(), position + 1, "assistant", content, thinking.isEmpty() ? null : thinking,
                u.promptTokens(), u.cachedPromptTokens(), u.generatedTokens(), u.reasoningTokens(), d.reason().wireName(), now);
        store.appendExchange(c.id(), position, user, reply);
        return reply.id();
    }

    private static String newMessageId() {
        return "msg_" + java.util.UUID.randomUUID().toString().replace("-", "");
    }

    // ---- helpers ----

    private Conversation owned(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        Optional<Conversation> c = store.get(Caller.of(req).owner(), id);
        return c.orElseThrow(() -> notFound(id));
    }

    private static ApiError notFound(String id) {
        return new ApiError(404, "conversation " + id + " not found", null);
    }

    private RequestBody bodyOrEmpty(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return RequestBody.parse("{}".getBytes());
        }
        return RequestBody.read(req, limits.maxBodyBytes());
    }

    private static String metadata(RequestBody b) {
        JsonNode m = b.get("metadata");
        if (m == null || m.isNull()) {
            return "{}";
        }
        if (!m.isObject()) {
            throw ApiError.badRequest("metadata", "field 'metadata' must be a JSON object");
        }
        return m.toString();
    }

    private static ObjectNode thread(Conversation c) {
        ObjectNode o = Json.object();
        o.put("id", c.id());
        putNullable(o, "title", c.title());
        putNullable(o, "system_prompt", c.systemPrompt());
        try {
            o.set("metadata", Json.MAPPER.readTree(c.metadata()));
        } catch (IOException e) {
            o.putObject("metadata");
        }
        o.put("created_at", Instant.ofEpochMilli(c.createdAt()).toString());
        o.put("updated_at", Instant.ofEpochMilli(c.updatedAt()).toString());
        o.put("message_count", c.messageCount());
        return o;
    }

    private static ObjectNode message(StoredMessage m) {
        ObjectNode o = Json.object();
        o.put("id", m.id()).put("role", m.role()).put("content", m.content());
        putNullable(o, "thinking", m.thinking());
        if (m.role().equals("assistant")) {
            putNullable(o, "finish_reason", m.finishReason());
            ObjectNode u = o.putObject("usage");
            u.put("prompt_tokens", m.promptTokens()).put("cached_prompt_tokens", m.cachedPromptTokens())
                    .put("completion_tokens", m.completionTokens()).put("reasoning_tokens", m.reasoningTokens());
        }
        o.put("created_at", Instant.ofEpochMilli(m.createdAt()).toString());
        return o;
    }

    private static void putNullable(ObjectNode o, String k, String v) {
        if (v == null) {
            o.putNull(k);
        } else {
            o.put(k, v);
        }
    }
}
