package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Exchange;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.exchange.Turn;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadStore;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * OpenAI's Conversations API over Parley's threads: a conversation is a thread (the same id, owner and
 * store as {@code /api/v1/conversations}), its items are the thread's messages. Items are text messages
 * only: that is what a thread keeps, so function calls, reasoning items and the rest are a 400.
 */
final class OpenAiConversations {

    private static final Set<String> CREATE_FIELDS = Set.of("metadata", "items");
    private static final Set<String> UPDATE_FIELDS = Set.of("metadata");
    private static final Set<String> ITEMS_FIELDS = Set.of("items");
    /** OpenAI's limits: 20 items at a time, 16 metadata pairs, keys of 64 characters and values of 512. */
    private static final int MAX_ITEMS = 20;

    private final ThreadStore store;

    OpenAiConversations(ThreadStore store) {
        this.store = store;
    }

    void register(HttpRules rules, Endpoints endpoints) {
        OpenAiErrors errors = OpenAiErrors.SHAPE;
        Exchange exchange = endpoints.exchange();
        rules.post("/v1/conversations", endpoints.handler(errors, this::create))
             .get("/v1/conversations/{id}", endpoints.handler(errors, (in, res) -> Json.send(res, 200, conversation(owned(in)))))
             .post("/v1/conversations/{id}", endpoints.handler(errors, this::update))
             .delete("/v1/conversations/{id}", endpoints.handler(errors, (in, res) -> delete(in, res, exchange)))
             .get("/v1/conversations/{id}/items", endpoints.handler(errors, this::listItems))
             .post("/v1/conversations/{id}/items", endpoints.handler(errors, (in, res) -> addItems(in, res, exchange)))
             .get("/v1/conversations/{id}/items/{item}", endpoints.handler(errors, this::getItem))
             .delete("/v1/conversations/{id}/items/{item}", endpoints.handler(errors, (in, res) -> deleteItem(in, res, exchange)));
    }

    private void create(Incoming in, ServerResponse res) {
        RequestBody b = in.bodyOrEmpty();
        b.onlyFields(CREATE_FIELDS);
        String metadata = metadata(b.get("metadata"), false);
        List<Turn.InputMessage> items = items(b.get("items"), false);
        Conversation c = store.create(in.owner(), null, null, metadata);
        if (!items.isEmpty()) {
            store.appendMessages(c.id(), 0, messages(c.id(), 0, items), null, List.of());
        }
        Json.send(res, 200, conversation(c));
    }

    private void update(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        b.onlyFields(UPDATE_FIELDS);
        String metadata = metadata(b.get("metadata"), true);
        Conversation c = owned(in);
        Json.send(res, 200, conversation(store.update(in.owner(), c.id(), null, null, metadata).orElseThrow(() -> notFound(c.id()))));
    }

    private void delete(Incoming in, ServerResponse res, Exchange exchange) {
        String id = owned(in).id(); // ownership first: another owner learns nothing, not even that it is busy
        if (exchange.threadInProgress(id)) {
            throw new ApiError(409, "conversation " + id + " has a response in progress", null, "conflict");
        }
        if (!store.delete(in.owner(), id)) {
            throw notFound(id);
        }
        Json.send(res, 200, Json.object().put("id", id).put("object", "conversation.deleted").put("deleted", true));
    }

    private void listItems(Incoming in, ServerResponse res) {
        Conversation c = owned(in);
        Json.send(res, 200, page(in, store.messages(c.id())));
    }

    private void addItems(Incoming in, ServerResponse res, Exchange exchange) {
        Conversation c = owned(in);
        RequestBody b = in.body();
        b.onlyFields(ITEMS_FIELDS);
        List<Turn.InputMessage> items = items(b.get("items"), true);
        if (exchange.threadInProgress(c.id())) {
            throw new ApiError(409, "conversation " + c.id() + " has a response in progress: add items when it has ended", null, "conflict");
        }
        List<StoredMessage> history = store.messages(c.id());
        int position = history.isEmpty() ? 0 : history.getLast().position() + 1;
        List<StoredMessage> added = messages(c.id(), position, items);
        try {
            store.appendMessages(c.id(), position, added, null, List.of());
        } catch (dev.parley.server.threads.ConflictException e) {
            throw new ApiError(409, e.getMessage(), null, "conflict");
        } catch (dev.parley.server.threads.ThreadDeletedException e) {
            throw notFound(c.id());
        }
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        added.forEach(m -> data.add(item(m)));
        body.put("first_id", added.getFirst().id()).put("last_id", added.getLast().id()).put("has_more", false);
        Json.send(res, 200, body);
    }

    private void getItem(Incoming in, ServerResponse res) {
        Conversation c = owned(in);
        String itemId = in.pathParam("item");
        StoredMessage m = store.messages(c.id()).stream().filter(x -> x.id().equals(itemId)).findFirst()
                .orElseThrow(() -> itemNotFound(itemId, c.id()));
        Json.send(res, 200, item(m));
    }

    private void deleteItem(Incoming in, ServerResponse res, Exchange exchange) {
        Conversation c = owned(in);
        String itemId = in.pathParam("item");
        if (exchange.threadInProgress(c.id())) {
            throw new ApiError(409, "conversation " + c.id() + " has a response in progress", null, "conflict");
        }
        if (!store.deleteMessage(in.owner(), c.id(), itemId)) {
            throw itemNotFound(itemId, c.id());
        }
        Json.send(res, 200, conversation(store.get(in.owner(), c.id()).orElseThrow(() -> notFound(c.id()))));
    }

    // ---- shapes and checks ----

    private Conversation owned(Incoming in) {
        String id = in.pathParam("id");
        return store.get(in.owner(), id).orElseThrow(() -> notFound(id));
    }

    static ApiError notFound(String id) {
        return new ApiError(404, "Conversation with id '" + Echo.text(id) + "' not found.", null, null);
    }

    private static ApiError itemNotFound(String itemId, String conversationId) {
        return new ApiError(404, "Item with id '" + Echo.text(itemId) + "' not found in conversation '" + conversationId + "'.", null, null);
    }

    static ObjectNode conversation(Conversation c) {
        ObjectNode o = Json.object();
        o.put("id", c.id()).put("object", "conversation").put("created_at", c.createdAt() / 1000);
        try {
            o.set("metadata", Json.MAPPER.readTree(c.metadata()));
        } catch (IOException e) {
            o.putObject("metadata");
        }
        return o;
    }

    /** A stored message as OpenAI's message item. */
    static ObjectNode item(StoredMessage m) {
        ObjectNode o = Json.object();
        o.put("type", "message").put("id", m.id()).put("status", "completed").put("role", m.role());
        ObjectNode part = o.putArray("content").addObject();
        part.put("type", m.role().equals("assistant") ? "output_text" : "input_text").put("text", m.content());
        if (m.role().equals("assistant")) {
            part.putArray("annotations");
        }
        return o;
    }

    /**
     * A page of items, as OpenAI lists them: {@code limit} 1-100 (20), {@code order} desc (the default) or
     * asc, {@code after} the id of the item the page starts after; {@code include} is accepted and ignored.
     */
    static ObjectNode page(Incoming in, List<StoredMessage> all) {
        var q = in.http().query();
        int limit = in.limitParam(20, 100);
        String order = q.contains("order") ? q.get("order") : "desc";
        if (!order.equals("asc") && !order.equals("desc")) {
            throw ApiError.badRequest("order", "order must be asc or desc, got '" + Echo.text(order) + "'");
        }
        List<StoredMessage> items = new ArrayList<>(order.equals("asc") ? all : all.reversed());
        int from = 0;
        if (q.contains("after")) {
            String after = q.get("after");
            from = -1;
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i).id().equals(after)) {
                    from = i + 1;
                }
            }
            if (from < 0) {
                throw ApiError.badRequest("after", "after: no item '" + Echo.text(after) + "' in this list");
            }
        }
        List<StoredMessage> page = items.subList(from, Math.min(items.size(), from + limit));
        ObjectNode body = Json.object().put("object", "list");
        ArrayNode data = body.putArray("data");
        page.forEach(m -> data.add(item(m)));
        body.put("first_id", page.isEmpty() ? null : page.getFirst().id());
        body.put("last_id", page.isEmpty() ? null : page.getLast().id());
        body.put("has_more", from + page.size() < items.size());
        return body;
    }

    /** OpenAI's metadata: at most 16 string values, keys up to 64 characters, values up to 512; stored as JSON text. */
    static String metadata(JsonNode m, boolean required) {
        if (m == null || m.isNull()) {
            if (required) {
                throw ApiError.badRequest("metadata", "field 'metadata' is required: an object of string values");
            }
            return "{}";
        }
        if (!m.isObject() || m.size() > 16) {
            throw ApiError.badRequest("metadata", "field 'metadata' must be an object of at most 16 string values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().length() > 64 || !e.getValue().isTextual() || e.getValue().textValue().length() > 512) {
                throw ApiError.badRequest("metadata", "metadata['" + Echo.text(e.getKey())
                        + "']: keys are at most 64 characters, values strings of at most 512");
            }
        }
        return Json.MAPPER.valueToTree(m).toString();
    }

    private static List<Turn.InputMessage> items(JsonNode items, boolean required) {
        if (items == null || items.isNull()) {
            if (required) {
                throw ApiError.badRequest("items", "field 'items' is required: a list of 1 to " + MAX_ITEMS + " message items");
            }
            return List.of();
        }
        if (!items.isArray() || items.size() > MAX_ITEMS || (required && items.isEmpty())) {
            throw ApiError.badRequest("items", "field 'items' must be a list of " + (required ? 1 : 0) + " to " + MAX_ITEMS + " message items");
        }
        List<Turn.InputMessage> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(ResponsesInput.message(items.get(i), "items[" + i + "]"));
        }
        return out;
    }

    private static List<StoredMessage> messages(String conversationId, int position, List<Turn.InputMessage> items) {
        long now = System.currentTimeMillis();
        List<StoredMessage> out = new ArrayList<>();
        for (Turn.InputMessage m : items) {
            out.add(new StoredMessage("msg_" + UUID.randomUUID().toString().replace("-", ""), conversationId, position++, m.role(), m.content(),
                    null, null, null, null, null, null, now));
        }
        return out;
    }
}
