package dev.parley.server.dialect.parley;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import dev.parley.server.api.SamplingFields;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Exchange;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import dev.parley.server.files.Attachments;
import dev.parley.server.models.ModelRouter;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.NoSuchMessageException;
import dev.parley.server.threads.SearchQuery;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadContext;
import dev.parley.server.threads.ThreadStore;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Threads the server keeps: create, list, read, update, delete, and continue one by sending only the
 * new message (a turn on the thread: the exchange stores it atomically; a cancelled or failed one stores
 * nothing). A thread belongs to the API key that created it: other keys get 404.
 */
public final class ThreadsService implements Dialect {

    private static final Set<String> FORK_FIELDS = Set.of("at_message_id", "content");
    private static final Set<String> THREAD_FIELDS = Set.of("title", "system_prompt", "metadata", "files", "model", ContextOverflow.FIELD);
    private static final Set<String> MESSAGE_FIELDS = RequestBody.fields(OptionFields.FIELDS,
            Set.of("prompt", "additional_context", "save_history", "enable_thinking", "stream", "files", "model"));

    /** The longest model name a thread keeps (the column's width). */
    static final int MAX_MODEL_CHARS = 256;

    private final ThreadStore store;
    /** Which models exist: a thread's model is checked against them when several are served. */
    private final ModelRouter models;

    public ThreadsService(ThreadStore store) {
        this(store, null);
    }

    public ThreadsService(ThreadStore store, ModelRouter models) {
        this.store = store;
        this.models = models;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        Exchange exchange = endpoints.exchange();
        ParleyErrors errors = ParleyErrors.SHAPE;
        endpoints.owns("/api/v1/", errors);
        rules.post("/api/v1/conversations", endpoints.handler(errors, this::create))
             .get("/api/v1/conversations", endpoints.handler(errors, this::list))
             .get("/api/v1/conversations/{id}", endpoints.handler(errors, this::read))
             .patch("/api/v1/conversations/{id}", endpoints.handler(errors, this::update))
             .delete("/api/v1/conversations/{id}", endpoints.handler(errors, (in, res) -> delete(in, res, exchange)))
             .post("/api/v1/conversations/{id}/messages", endpoints.turn(errors, this::continueThread))
             .post("/api/v1/conversations/{id}/fork", endpoints.handler(errors, this::fork));
    }

    // ---- CRUD ----

    private void create(Incoming in, ServerResponse res) {
        RequestBody b = in.bodyOrEmpty();
        b.onlyFields(THREAD_FIELDS);
        List<String> files = checkedFiles(in, b);
        ContextOverflow overflow = ContextOverflow.parse(b);
        String model = checkedModel(b.optionalString("model"));
        Conversation c = store.create(in.owner(), ThreadFields.title(b), ThreadFields.systemPrompt(b), ThreadFields.metadata(b),
                files == null ? List.of() : files);
        if (overflow != null) {
            store.setOverflow(c.id(), overflow.wireName());
        }
        if (model != null) {
            store.setModel(c.id(), model);
        }
        Json.send(res, 201, thread(c));
    }

    private void list(Incoming in, ServerResponse res) {
        var q = in.http().query();
        int limit = in.limitParam(20, 100);
        // q: the threads whose title or some message holds its words; absent or blank lists them all
        SearchQuery search = null;
        if (q.contains("q") && !q.get("q").isBlank()) {
            try {
                search = SearchQuery.parse(q.get("q"));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("q", e.getMessage());
            }
        }
        ThreadStore.Page page;
        try {
            page = store.list(in.owner(), q.contains("cursor") ? q.get("cursor") : null, limit, search);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("cursor", e.getMessage());
        }
        ObjectNode body = Json.object();
        ArrayNode data = body.putArray("data");
        page.items().forEach(c -> data.add(thread(c)));
        body.put("next_cursor", page.nextCursor());
        Json.send(res, 200, body);
    }

    private void read(Incoming in, ServerResponse res) {
        Conversation c = owned(in);
        ObjectNode body = thread(c);
        ArrayNode messages = body.putArray("messages");
        Map<String, List<String>> files = store.messageFiles(c.id());
        for (StoredMessage m : store.messages(c.id())) {
            messages.add(message(m, files.getOrDefault(m.id(), List.of())));
        }
        Json.send(res, 200, body);
    }

    private void update(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        b.onlyFields(THREAD_FIELDS);
        if (!b.has("title") && !b.has("system_prompt") && !b.has("metadata") && !b.has("files") && !b.has(ContextOverflow.FIELD)
                && b.get("model") == null) {
            throw ApiError.badRequest(null, "nothing to update: send title, system_prompt, metadata, files, model or context_overflow");
        }
        String id = in.pathParam("id");
        owned(in);
        // "model": null sets the thread back to the server's default model
        boolean setModel = b.get("model") != null;
        String model = checkedModel(b.optionalString("model"));
        List<String> files = checkedFiles(in, b);
        ContextOverflow overflow = ContextOverflow.parse(b);
        if (overflow != null) {
            store.setOverflow(id, overflow.wireName());
        }
        if (setModel) {
            store.setModel(id, model);
        }
        Conversation c = store.update(in.owner(), id, ThreadFields.title(b), ThreadFields.systemPrompt(b),
                b.has("metadata") ? ThreadFields.metadata(b) : null, files).orElseThrow(() -> notFound(id));
        Json.send(res, 200, thread(c));
    }

    private void delete(Incoming in, ServerResponse res, Exchange exchange) {
        // Ownership first: another owner learns nothing, not even that the thread is busy.
        String id = owned(in).id();
        if (exchange.threadInProgress(id)) {
            throw new ApiError(409, "conversation " + id + " has an exchange in progress", null);
        }
        if (!store.delete(in.owner(), id)) {
            throw notFound(id);
        }
        Json.send(res, 200, Json.object().put("status", "success"));
    }

    /**
     * A new thread sharing this one's history up to a message (that message's text replaced when
     * {@code content} is given): editing a past message or regenerating an answer keeps the earlier
     * branch. The copies render the same prompt prefix, so the fork's first turn reuses the parent's KV.
     */
    private void fork(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        b.onlyFields(FORK_FIELDS);
        String at = b.optionalString("at_message_id");
        if (at == null || at.isEmpty()) {
            throw ApiError.badRequest("at_message_id", "field 'at_message_id' is required: the id of the last message the fork keeps");
        }
        String content = b.optionalString("content");
        if (content != null && content.isEmpty()) {
            throw ApiError.badRequest("content", "field 'content' must not be empty: leave it out to keep the message's text");
        }
        String id = in.pathParam("id");
        Conversation c;
        try {
            c = store.fork(in.owner(), id, at, content).orElseThrow(() -> notFound(id));
        } catch (NoSuchMessageException e) {
            throw new ApiError(404, "conversation " + Echo.text(id) + " has no message " + Echo.text(at), "at_message_id");
        }
        Json.send(res, 201, thread(c));
    }

    // ---- continuing a thread: a turn ----

    private Call continueThread(Incoming in) {
        Conversation c = owned(in);
        RequestBody b = in.body();
        b.onlyFields(MESSAGE_FIELDS);
        // Without a prompt the turn answers the thread's last message, when that is a user message no reply follows
        // (a fork made at an edited question, or at a question whose answer is regenerated); the exchange checks that.
        String prompt = b.optionalString("prompt");
        if (prompt != null && prompt.isEmpty()) {
            throw ApiError.badRequest("prompt", "field 'prompt' must not be empty: the new user message (leave it out to answer "
                    + "the thread's last message)");
        }
        if (prompt == null && b.has("files")) {
            throw ApiError.badRequest("files", "field 'files' names the new message's files: it needs a 'prompt'");
        }
        List<String> files = checkedFiles(in, b);
        var source = new Turn.OnThread(c, prompt, b.optionalString("additional_context"), b.optionalBool("enable_thinking"),
                b.bool("save_history", true), files == null ? List.of() : files);
        boolean stream = b.bool("stream", true);
        Turn turn = in.turn(source, OptionFields.parse(b, in.limits()), ContextOverflow.parse(b), c.id());
        if (models != null && models.registry() != null) {
            // A turn naming no model runs on the thread's; the first that names one (a known one) is remembered.
            String named = turn.model();
            if (named == null) {
                turn = turn.onModel(store.model(c.id()));
            } else {
                store.rememberModel(c.id(), checkedModel(named));
            }
        }
        return new Call(turn,
                stream ? ParleyEvents.streaming(in.requestId()) : ParleyEvents.whole(in.requestId(), true));
    }

    // ---- helpers ----

    /** The body's {@code files}, each one of the caller's files (404 naming the first that is not); null when absent. */
    private List<String> checkedFiles(Incoming in, RequestBody b) {
        if (!b.has("files")) {
            return null;
        }
        List<String> ids = Attachments.ids(b.get("files"), "files");
        new Attachments(store.files(), in.owner()).check(ids, "files");
        return ids;
    }

    /**
     * A model name a thread may keep: bounded, and with several models served one the server has (else the
     * 404 the turn path gives, listing them). With a single model any name is kept, as every request's is ignored.
     */
    private String checkedModel(String name) {
        if (name == null) {
            return null;
        }
        String model = name.strip();
        if (model.isEmpty()) {
            throw ApiError.badRequest("model", "field 'model' must not be blank: leave it out (or null) for the server's default model");
        }
        if (model.length() > MAX_MODEL_CHARS) {
            throw ApiError.badRequest("model", "field 'model' has " + model.length() + " characters; at most " + MAX_MODEL_CHARS + " are allowed");
        }
        if (models != null && models.registry() != null) {
            List<String> known = models.registry().catalog().names();
            if (!known.contains(model)) {
                throw ModelRouter.notFound(model, known);
            }
        }
        return model;
    }

    private Conversation owned(Incoming in) {
        String id = in.pathParam("id");
        return store.get(in.owner(), id).orElseThrow(() -> notFound(id));
    }

    private static ApiError notFound(String id) {
        return new ApiError(404, "conversation " + Echo.text(id) + " not found", null);
    }

    private ObjectNode thread(Conversation c) {
        ObjectNode o = Json.object();
        o.put("id", c.id());
        o.put("title", c.title());
        o.put("system_prompt", c.systemPrompt());
        try {
            o.set("metadata", Json.MAPPER.readTree(c.metadata()));
        } catch (IOException e) {
            o.putObject("metadata");
        }
        o.put("created_at", Instant.ofEpochMilli(c.createdAt()).toString());
        o.put("updated_at", Instant.ofEpochMilli(c.updatedAt()).toString());
        o.put("message_count", c.messageCount());
        o.put("parent_id", c.parentId());
        o.put("forked_at_message_id", c.forkedAtMessageId());
        // null: the server's default model
        o.put("model", store.model(c.id()));
        ArrayNode files = o.putArray("files");
        store.threadFiles(c.id()).forEach(files::add);
        // context_overflow "summarize": the thread's setting, and the summary standing in for its oldest messages
        ThreadContext context = store.context(c.id());
        o.put("context_overflow", context.overflow());
        if (context.hasSummary()) {
            o.putObject("summary").put("content", context.summary()).put("through_message_id", context.summaryMessageId())
                    .put("created_at", Instant.ofEpochMilli(context.summaryAt()).toString());
        } else {
            o.putNull("summary");
        }
        return o;
    }

    private static ObjectNode message(StoredMessage m, List<String> fileIds) {
        ObjectNode o = Json.object();
        o.put("id", m.id()).put("role", m.role()).put("content", m.content());
        ArrayNode files = o.putArray("files");
        fileIds.forEach(files::add);
        o.put("thinking", m.thinking());
        if (m.role().equals("assistant")) {
            o.put("finish_reason", m.finishReason());
            // null for an assistant message a client added (OpenAI's conversation items): nothing generated it
            o.set("usage", m.promptTokens() == null ? null
                    : ParleyEvents.usage(m.promptTokens(), m.cachedPromptTokens(), m.completionTokens(), m.reasoningTokens()));
        }
        o.put("created_at", Instant.ofEpochMilli(m.createdAt()).toString());
        return o;
    }
}
