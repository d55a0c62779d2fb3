package dev.parley.server.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.Json;
import dev.parley.server.files.Attachments;
import dev.parley.server.files.Document;
import dev.parley.server.files.Documents;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Anthropic's {@code system} and {@code messages} as the chat template's messages. User content blocks:
 * {@code text}, {@code document} (a Parley file id, or plain text) and {@code tool_result} (a tool
 * message each, before the user's text); assistant blocks: {@code text}, {@code thinking} (the template's
 * reasoning_content; the signature is accepted and ignored), {@code redacted_thinking} (dropped: nothing
 * Parley can read) and {@code tool_use} (the template's tool_calls). Consecutive messages of one role
 * become one, as Anthropic combines them. Blocks' text is joined with a newline. {@code cache_control}
 * marks are checked and recorded as the number of leading template messages the marked prefix covers.
 */
final class AnthropicMessages {

    /** Fields the SDKs echo back from a reply's blocks (a client sends {@code message.content} back as it got it). */
    private static final Set<String> TEXT = Set.of("type", "text", "cache_control", "citations");
    private static final Set<String> DOCUMENT = Set.of("type", "source", "title", "context", "citations", "cache_control");
    private static final Set<String> TOOL_RESULT = Set.of("type", "tool_use_id", "content", "is_error", "cache_control");
    private static final Set<String> THINKING = Set.of("type", "thinking", "signature");
    private static final Set<String> REDACTED = Set.of("type", "data");
    private static final Set<String> TOOL_USE = Set.of("type", "id", "name", "input", "cache_control", "caller");

    /**
     * @param cachePrefixes the prefixes {@code cache_control} marks, each as a count of leading messages, ascending
     */
    record Parsed(List<Map<String, Object>> messages, List<Document> documents, List<Integer> cachePrefixes) {}

    private final Attachments attachments;
    private final List<Map<String, Object>> out = new ArrayList<>();
    private final List<Document> documents = new ArrayList<>();
    private final TreeSet<Integer> marks = new TreeSet<>();
    /** The role of the last message put out, when the next of the same role may join it ("tool" never does). */
    private String joinable;

    private AnthropicMessages(Attachments attachments) {
        this.attachments = attachments;
    }

    /**
     * @param toolsMarked whether a tool carried {@code cache_control} (the prefix up to the tools)
     * @param topLevelMark whether the request's own {@code cache_control} marks everything it sends
     */
    static Parsed parse(JsonNode system, JsonNode messages, Attachments attachments, boolean toolsMarked, boolean topLevelMark) {
        AnthropicMessages p = new AnthropicMessages(attachments);
        if (toolsMarked) {
            p.marks.add(0);
        }
        p.system(system);
        if (messages == null || messages.isNull()) {
            throw ApiError.badRequest("messages", "messages: field required: a list of {\"role\": \"user\"|\"assistant\", \"content\": ...}");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiError.badRequest("messages", "messages: must be a non-empty list of messages, got " + echo(messages));
        }
        for (int i = 0; i < messages.size(); i++) {
            p.message(messages.get(i), "messages." + i);
        }
        if ("assistant".equals(messages.get(messages.size() - 1).path("role").asText())) {
            // Anthropic's prefill: the reply would continue the assistant's text, which a chat template
            // (closing every message) cannot express. Anthropic answers models without prefill the same way.
            throw ApiError.badRequest("messages", "messages: the last message is the assistant's (prefill), which this model does not "
                    + "support: end with a user message");
        }
        if (topLevelMark) {
            p.marks.add(p.out.size());
        }
        return new Parsed(p.out, p.documents, List.copyOf(p.marks));
    }

    private void system(JsonNode system) {
        if (system == null || system.isNull()) {
            return;
        }
        String text;
        boolean marked = false;
        if (system.isTextual()) {
            text = system.textValue();
        } else if (system.isArray()) {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < system.size(); i++) {
                JsonNode b = system.get(i);
                String at = "system." + i;
                if (!b.isObject() || !"text".equals(b.path("type").asText())) {
                    throw ApiError.badRequest("system", at + ": the system prompt takes text blocks only ({\"type\": \"text\", \"text\": ...})");
                }
                only(b, at, TEXT);
                parts.add(text(b, at));
                marked |= cacheControl(b, at);
            }
            text = String.join("\n", parts);
        } else {
            throw ApiError.badRequest("system", "system: must be a string or a list of text blocks, got " + echo(system));
        }
        if (!text.isEmpty()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", "system");
            m.put("content", text);
            out.add(m);
            if (marked) {
                marks.add(out.size());
            }
        }
    }

    private void message(JsonNode m, String at) {
        if (!m.isObject()) {
            throw ApiError.badRequest(at, at + ": must be an object with role and content, got " + echo(m));
        }
        only(m, at, Set.of("role", "content"));
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || !(role.textValue().equals("user") || role.textValue().equals("assistant"))) {
            throw ApiError.badRequest(at + ".role", at + ".role: must be \"user\" or \"assistant\"" + (role != null && "system".equals(role.asText())
                    ? " (the system prompt is the top-level 'system' field)" : ", got " + echo(role)));
        }
        JsonNode content = m.get("content");
        if (content == null || content.isNull()) {
            throw ApiError.badRequest(at + ".content", at + ".content: field required: a string or a list of content blocks");
        }
        if (content.isTextual()) {
            put(role.textValue(), content.textValue(), null, List.of(), false);
            return;
        }
        if (!content.isArray()) {
            throw ApiError.badRequest(at + ".content", at + ".content: must be a string or a list of content blocks, got " + echo(content));
        }
        if (role.textValue().equals("user")) {
            user(content, at + ".content");
        } else {
            assistant(content, at + ".content");
        }
    }

    private void user(JsonNode blocks, String at) {
        List<String> texts = new ArrayList<>();
        List<Object> docs = new ArrayList<>(); // a file's index in fileIds, or a Document given inline, in order
        List<String> fileIds = new ArrayList<>();
        List<String> fileParams = new ArrayList<>();
        boolean marked = false;
        boolean results = false;
        for (int i = 0; i < blocks.size(); i++) {
            JsonNode b = block(blocks.get(i), at + "." + i);
            String bat = at + "." + i;
            switch (b.get("type").asText()) {
                case "text" -> {
                    only(b, bat, TEXT);
                    texts.add(text(b, bat));
                }
                case "document" -> {
                    only(b, bat, DOCUMENT);
                    document(b, bat, docs, fileIds, fileParams);
                }
                case "tool_result" -> {
                    only(b, bat, TOOL_RESULT);
                    Map<String, Object> tool = new LinkedHashMap<>();
                    tool.put("role", "tool");
                    tool.put("tool_call_id", string(b, "tool_use_id", bat));
                    tool.put("content", toolResult(b.get("content"), bat + ".content"));
                    if (b.has("is_error") && !b.get("is_error").isBoolean()) {
                        throw ApiError.badRequest(bat + ".is_error", bat + ".is_error: must be true or false");
                    }
                    out.add(tool);
                    joinable = null;
                    results = true;
                    if (cacheControl(b, bat)) {
                        marks.add(out.size());
                    }
                    continue;
                }
                case "image" -> throw ApiError.badRequest(bat, bat + ": image blocks are not supported: this server's model reads text");
                case "tool_use", "thinking", "redacted_thinking" -> throw ApiError.badRequest(bat, bat + ": " + b.get("type").asText()
                        + " blocks belong in assistant messages");
                default -> throw unknownBlock(b, bat, "text, document, tool_result");
            }
            marked |= cacheControl(b, bat);
        }
        if (texts.isEmpty() && docs.isEmpty() && results) {
            return; // only tool results
        }
        List<Document> files = attachments.documents(fileIds, fileParams);
        List<Document> inline = new ArrayList<>();
        for (Object d : docs) {
            Document doc = d instanceof Integer i ? files.get(i) : (Document) d;
            inline.add(doc);
            if (d instanceof Integer && documents.stream().noneMatch(seen -> seen.fileId().equals(doc.fileId()))) {
                documents.add(doc); // a file several messages reference is one document of the turn
            }
        }
        put("user", Documents.inline(inline, String.join("\n", texts)), null, List.of(), marked);
    }

    private void document(JsonNode b, String at, List<Object> docs, List<String> fileIds, List<String> fileParams) {
        JsonNode source = b.get("source");
        if (source == null || !source.isObject()) {
            throw ApiError.badRequest(at + ".source", at + ".source: field required: {\"type\": \"file\", \"file_id\": \"file_...\"} or "
                    + "{\"type\": \"text\", \"media_type\": \"text/plain\", \"data\": ...}");
        }
        JsonNode title = b.get("title");
        if (title != null && !title.isNull() && !title.isTextual()) {
            throw ApiError.badRequest(at + ".title", at + ".title: must be a string");
        }
        String name = title != null && title.isTextual() ? title.textValue() : "document";
        String sat = at + ".source";
        switch (source.path("type").asText()) {
            case "file" -> {
                only(source, sat, Set.of("type", "file_id"));
                String id = string(source, "file_id", sat);
                if (fileIds.contains(id)) {
                    throw ApiError.badRequest(sat + ".file_id", at + " references file " + Echo.text(id) + " a second time");
                }
                docs.add(fileIds.size());
                fileIds.add(id);
                fileParams.add(sat + ".file_id");
            }
            case "text" -> {
                only(source, sat, Set.of("type", "media_type", "data"));
                JsonNode media = source.get("media_type");
                if (media != null && !"text/plain".equals(media.asText())) {
                    throw ApiError.badRequest(sat + ".media_type", sat + ".media_type: must be \"text/plain\"");
                }
                docs.add(new Document(null, name, string(source, "data", sat), 0));
            }
            case "content" -> {
                only(source, sat, Set.of("type", "content"));
                JsonNode c = source.get("content");
                docs.add(new Document(null, name, c != null && c.isTextual() ? c.textValue() : textBlocks(c, sat + ".content"), 0));
            }
            case "base64", "url" -> throw ApiError.badRequest(sat + ".type", sat + ": " + source.path("type").asText()
                    + " documents are not supported: upload the file (POST /v1/files) and send {\"type\": \"file\", \"file_id\": ...}");
            default -> throw ApiError.badRequest(sat + ".type", sat + ".type: must be file, text or content, got "
                    + echo(source.get("type")));
        }
    }

    private void assistant(JsonNode blocks, String at) {
        List<String> texts = new ArrayList<>();
        List<String> thinking = new ArrayList<>();
        List<Object> calls = new ArrayList<>();
        boolean marked = false;
        for (int i = 0; i < blocks.size(); i++) {
            String bat = at + "." + i;
            JsonNode b = block(blocks.get(i), bat);
            switch (b.get("type").asText()) {
                case "text" -> {
                    only(b, bat, TEXT);
                    texts.add(text(b, bat));
                }
                case "thinking" -> {
                    only(b, bat, THINKING);
                    thinking.add(string(b, "thinking", bat));
                    JsonNode sig = b.get("signature");
                    if (sig != null && !sig.isNull() && !sig.isTextual()) {
                        throw ApiError.badRequest(bat + ".signature", bat + ".signature: must be a string");
                    }
                }
                case "redacted_thinking" -> only(b, bat, REDACTED);
                case "tool_use" -> {
                    only(b, bat, TOOL_USE);
                    JsonNode input = b.get("input");
                    if (input == null || !input.isObject()) {
                        throw ApiError.badRequest(bat + ".input", bat + ".input: must be an object (the tool's arguments)");
                    }
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put("name", string(b, "name", bat));
                    function.put("arguments", Json.MAPPER.convertValue(input, Map.class));
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("id", string(b, "id", bat));
                    call.put("type", "function");
                    call.put("function", function);
                    calls.add(call);
                }
                case "tool_result", "document", "image" -> throw ApiError.badRequest(bat, bat + ": " + b.get("type").asText()
                        + " blocks belong in user messages");
                default -> throw unknownBlock(b, bat, "text, thinking, redacted_thinking, tool_use");
            }
            marked |= cacheControl(b, bat);
        }
        put("assistant", String.join("\n", texts), thinking.isEmpty() ? null : String.join("\n", thinking), calls, marked);
    }

    /** Adds a message, or joins it onto the previous one of the same role. */
    @SuppressWarnings("unchecked")
    private void put(String role, String text, String reasoning, List<Object> calls, boolean marked) {
        Map<String, Object> m;
        if (role.equals(joinable)) {
            m = out.getLast();
            String before = (String) m.get("content");
            m.put("content", before.isEmpty() ? text : text.isEmpty() ? before : before + "\n" + text);
        } else {
            m = new LinkedHashMap<>();
            m.put("role", role);
            m.put("content", text);
            out.add(m);
            joinable = role;
        }
        if (reasoning != null) {
            Object before = m.get("reasoning_content");
            m.put("reasoning_content", before == null ? reasoning : before + "\n" + reasoning);
        }
        if (!calls.isEmpty()) {
            ((List<Object>) m.computeIfAbsent("tool_calls", k -> new ArrayList<>())).addAll(calls);
        }
        if (marked) {
            marks.add(out.size());
        }
    }

    /** A tool result's content: a string, or text blocks joined. */
    private static String toolResult(JsonNode c, String at) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        return textBlocks(c, at);
    }

    private static String textBlocks(JsonNode c, String at) {
        if (c == null || !c.isArray()) {
            throw ApiError.badRequest(at, at + ": must be a string or a list of text blocks, got " + echo(c));
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < c.size(); i++) {
            JsonNode b = block(c.get(i), at + "." + i);
            if (!"text".equals(b.get("type").asText())) {
                throw ApiError.badRequest(at + "." + i, at + "." + i + ": only text blocks are supported here, got type "
                        + Echo.text(b.get("type").asText()));
            }
            only(b, at + "." + i, TEXT);
            cacheControl(b, at + "." + i);
            parts.add(text(b, at + "." + i));
        }
        return String.join("\n", parts);
    }

    /** Client input quoted in an error message ({@link Echo#of}), "nothing" for a field left out. */
    static String echo(JsonNode n) {
        return n == null ? "nothing" : Echo.of(n);
    }

    /** A content block: an object with a string {@code type}. */
    private static JsonNode block(JsonNode b, String at) {
        if (!b.isObject() || !b.path("type").isTextual()) {
            throw ApiError.badRequest(at, at + ": must be a content block, an object with a 'type', got " + echo(b));
        }
        return b;
    }

    private static ApiError unknownBlock(JsonNode b, String at, String known) {
        return ApiError.badRequest(at + ".type", at + ".type: unknown or unsupported content block type "
                + Echo.text(b.get("type").asText()) + "; supported here: " + known);
    }

    private static String text(JsonNode b, String at) {
        return string(b, "text", at);
    }

    private static String string(JsonNode b, String field, String at) {
        JsonNode v = b.get(field);
        if (v == null || !v.isTextual()) {
            throw ApiError.badRequest(at + "." + field, at + "." + field + ": field required: a string");
        }
        return v.textValue();
    }

    private static void only(JsonNode node, String at, Set<String> known) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw ApiError.badRequest(Echo.text(at + "." + f), at + "." + Echo.text(f) + ": extra inputs are not permitted");
            }
        }
    }

    /** Checks a block's {@code cache_control} (at "" for the request's own): whether it marks the prefix ending here. */
    static boolean cacheControl(JsonNode b, String at) {
        JsonNode c = b.get("cache_control");
        if (c == null || c.isNull()) {
            return false;
        }
        String field = at.isEmpty() ? "cache_control" : at + ".cache_control";
        if (!c.isObject() || !"ephemeral".equals(c.path("type").asText())) {
            throw ApiError.badRequest(field, field + ": must be {\"type\": \"ephemeral\"} (with an optional ttl)");
        }
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("type") && !f.equals("ttl")) {
                throw ApiError.badRequest(field, field + "." + Echo.text(f) + ": extra inputs are not permitted");
            }
        }
        JsonNode ttl = c.get("ttl");
        if (ttl != null && !ttl.isNull() && !(ttl.isTextual() && ttl.textValue().matches("5m|1h"))) {
            throw ApiError.badRequest(field + ".ttl", field + ".ttl: must be \"5m\" or \"1h\"");
        }
        return true;
    }
}
