package dev.parley.server.dialect.messagethreads;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import dev.parley.server.auth.Credentials;
import dev.parley.server.dialect.parley.ThreadFields;
import dev.parley.server.exchange.Call;
import dev.parley.server.exchange.ContextOverflow;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Exchange;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.OptionFields;
import dev.parley.server.exchange.Turn;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadStore;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A published conversation-threads API: {@code POST /conversation/new}, {@code GET /conversations},
 * {@code GET /conversation/{id}}, {@code POST /conversation/{id}}, {@code DELETE /conversation/{id}}.
 * Messages are {@code {message, messagetype, owner: "user"|"machine", topic}}, newest first. Threads are
 * Parley's saved threads (the same store, owner and isolation); a turn on one is stored atomically by
 * the exchange. Credentials: headers {@code apiKey} (the key's owner in the keys file) and {@code secret}
 * (the key), or Parley's own headers.
 */
public final class MessageThreadsService implements Dialect {

    /** The published API's language, agent and media fields: accepted, not used (Parley answers text in the prompt's language). */
    private static final Set<String> IGNORED = Set.of("inlanguage", "outputLanguage", "outputlanguage", "outlanguage", "responsetype", "agentId");
    private static final Set<String> NEW_FIELDS = RequestBody.fields(OptionFields.FIELDS, IGNORED,
            Set.of("title", "message", "messagetype", "save", "stream", "enable_thinking"));
    private static final Set<String> CONTINUE_FIELDS = RequestBody.fields(OptionFields.FIELDS, IGNORED,
            Set.of("id", "messages", "stream", "enable_thinking"));
    private static final Set<String> MESSAGE_FIELDS = Set.of("message", "messagetype", "owner", "topic");

    private final ThreadStore store;

    public MessageThreadsService(ThreadStore store) {
        this.store = store;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        var errors = MessageThreadsAnswer.ERRORS;
        Exchange exchange = endpoints.exchange();
        endpoints.owns("/conversation", errors, Credentials.ownerAndSecretHeaders("apiKey", "secret"));
        rules.post("/conversation/new", endpoints.turnOrAnswer(errors, this::start))
             .get("/conversations", endpoints.handler(errors, this::list))
             .get("/conversation/{id}", endpoints.handler(errors, this::read))
             .post("/conversation/{id}", endpoints.turn(errors, this::continueThread))
             .delete("/conversation/{id}", endpoints.handler(errors, (in, res) -> delete(in, res, exchange)));
    }

    // ---- a new conversation, with or without a first message ----

    private Call start(Incoming in, ServerResponse res) {
        RequestBody b = in.bodyOrEmpty();
        b.onlyFields(NEW_FIELDS);
        String message = b.optionalString("message");
        textOnly(b.optionalString("messagetype"), "messagetype");
        boolean save = save(b);
        boolean stream = b.bool("stream", false);
        String title = ThreadFields.title(b); // bounded as on Parley's threads: every list carries it
        if (message == null || message.isBlank()) {
            if (!save) {
                throw ApiError.badRequest("message", "nothing to do: send a 'message', or 'save': true to store an empty conversation");
            }
            ObjectNode body = Json.object();
            body.set("data", thread(store.create(in.owner(), title, null, "{}")));
            Json.send(res, 201, body);
            return null;
        }
        GenerationOptions options = OptionFields.parse(b, in.limits());
        ContextOverflow overflow = ContextOverflow.parse(b);
        Boolean thinking = b.optionalBool("enable_thinking");
        if (!save) {
            Prompt chat = Prompt.Chat.of(List.of(Map.of("role", "user", "content", message)), thinking);
            return new Call(in.turn(new Turn.Given(chat), options, overflow, null), new MessageThreadsAnswer(stream, null));
        }
        Conversation c = store.create(in.owner(), title, null, "{}");
        return new Call(in.turn(new Turn.OnThread(c, message, null, thinking, true), options, overflow, c.id()),
                new MessageThreadsAnswer(stream, c.id()));
    }

    /** {@code save}: true or 1 stores the conversation; false, 0 or absent does not. */
    private static boolean save(RequestBody b) {
        JsonNode v = b.get("save");
        if (v == null || v.isNull()) {
            return false;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber() && (v.intValue() == 0 || v.intValue() == 1)) {
            return v.intValue() == 1;
        }
        throw ApiError.badRequest("save", "field 'save' must be true, false, 1 or 0, got " + v);
    }

    // ---- continuing a saved conversation ----

    private Call continueThread(Incoming in) {
        Conversation c = owned(in);
        RequestBody b = in.body();
        b.onlyFields(CONTINUE_FIELDS);
        String bodyId = b.optionalString("id");
        if (bodyId != null && !bodyId.equals(c.id())) {
            throw ApiError.badRequest("id", "field 'id' (" + bodyId + ") names another conversation than the path (" + c.id() + ")");
        }
        JsonNode messages = b.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiError.badRequest("messages", "field 'messages' is required: a list of messages, the newest first");
        }
        JsonNode newest = message(messages.get(0), "messages[0]");
        if (!newest.get("owner").textValue().equals("user") || newest.get("message").textValue().isBlank()) {
            throw ApiError.badRequest("messages[0]", "messages[0], the newest message, must be the user's (owner \"user\") and not empty");
        }
        // The server keeps the history: older messages are not replayed, except instructions ("who the machine is"),
        // which reach this exchange's prompt before the message, oldest first, and are never stored.
        List<String> instructions = new ArrayList<>();
        for (int i = messages.size() - 1; i >= 1; i--) {
            JsonNode m = message(messages.get(i), "messages[" + i + "]");
            if ("instruction".equals(m.path("topic").asText(null))) {
                instructions.add(m.get("message").textValue());
            }
        }
        String context = instructions.isEmpty() ? null : String.join("\n\n", instructions);
        var source = new Turn.OnThread(c, newest.get("message").textValue(), context, b.optionalBool("enable_thinking"), true);
        return new Call(in.turn(source, OptionFields.parse(b, in.limits()), ContextOverflow.parse(b), c.id()), new MessageThreadsAnswer(b.bool("stream", false), c.id()));
    }

    /** Checks one message of a list: an object with a string {@code message}, {@code owner} user or machine, text only. */
    private static JsonNode message(JsonNode m, String at) {
        if (!m.isObject()) {
            throw ApiError.badRequest(at, at + " must be an object {message, messagetype, owner, topic}, got " + m);
        }
        for (var it = m.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!MESSAGE_FIELDS.contains(f)) {
                throw ApiError.badRequest(at + "." + f, at + ": unknown field '" + f + "'; known fields: message, messagetype, owner, topic");
            }
        }
        if (!m.path("message").isTextual()) {
            throw ApiError.badRequest(at + ".message", at + ".message is required: a string");
        }
        String owner = m.path("owner").asText("");
        if (!m.path("owner").isTextual() || !(owner.equals("user") || owner.equals("machine"))) {
            throw ApiError.badRequest(at + ".owner", at + ".owner must be \"user\" or \"machine\", got " + m.get("owner"));
        }
        if (m.has("topic") && !m.get("topic").isTextual() && !m.get("topic").isNull()) {
            throw ApiError.badRequest(at + ".topic", at + ".topic must be a string");
        }
        textOnly(m.has("messagetype") && !m.get("messagetype").isNull() ? m.get("messagetype").asText() : null, at + ".messagetype");
        return m;
    }

    /** Parley reads and writes text: voice, image or video messages (a media URL in {@code message}) are refused. */
    private static void textOnly(String messagetype, String field) {
        if (messagetype != null && !messagetype.isEmpty() && !messagetype.equalsIgnoreCase("text")) {
            throw ApiError.badRequest(field, field + " '" + messagetype + "' is not supported: Parley takes text messages only");
        }
    }

    // ---- reading and deleting ----

    private void list(Incoming in, ServerResponse res) {
        ObjectNode body = Json.object();
        ArrayNode data = body.putArray("data");
        String cursor = null;
        do {
            ThreadStore.Page page = store.list(in.owner(), cursor, 100);
            page.items().forEach(c -> data.add(thread(c)));
            cursor = page.nextCursor();
        } while (cursor != null);
        Json.send(res, 200, body);
    }

    private void read(Incoming in, ServerResponse res) {
        Conversation c = owned(in);
        ObjectNode t = thread(c);
        ArrayNode messages = t.putArray("messages");
        for (StoredMessage m : store.messages(c.id()).reversed()) {
            messages.add(Json.object().put("id", m.id()).put("message", m.content()).put("messagetype", "text")
                    .put("owner", m.role().equals("assistant") ? "machine" : "user").put("thinking", m.thinking())
                    .put("created_at", Instant.ofEpochMilli(m.createdAt()).toString()));
        }
        ObjectNode body = Json.object();
        body.set("data", t);
        Json.send(res, 200, body);
    }

    private void delete(Incoming in, ServerResponse res, Exchange exchange) {
        String id = in.pathParam("id");
        if (exchange.threadInProgress(id)) {
            throw new ApiError(409, "conversation " + id + " has an exchange in progress", null);
        }
        if (!store.delete(in.owner(), id)) {
            throw notFound(id);
        }
        Json.send(res, 200, Json.object().put("status", "success"));
    }

    private Conversation owned(Incoming in) {
        String id = in.pathParam("id");
        return store.get(in.owner(), id).orElseThrow(() -> notFound(id));
    }

    private static ApiError notFound(String id) {
        return new ApiError(404, "conversation " + id + " not found", null);
    }

    private static ObjectNode thread(Conversation c) {
        return Json.object().put("id", c.id()).put("title", c.title()).put("created_at", Instant.ofEpochMilli(c.createdAt()).toString())
                .put("updated_at", Instant.ofEpochMilli(c.updatedAt()).toString()).put("message_count", c.messageCount());
    }
}
