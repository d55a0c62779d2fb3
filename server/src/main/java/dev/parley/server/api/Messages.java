package dev.parley.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.files.Attachments;
import dev.parley.server.files.Document;
import dev.parley.server.files.Documents;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns a JSON list of chat messages into the chat template's messages, checking each. */
public final class Messages {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final Set<String> FIELDS = Set.of("role", "content", "name", "reasoning_content", "tool_calls", "tool_call_id");

    private Messages() {
    }

    /**
     * How a dialect's messages may reference the caller's uploaded files: a {@code files} list of ids on
     * a message (Parley's APIs), and/or OpenAI's {@code {"type": "file", "file": {"file_id": ...}}} content parts.
     */
    public record FileReferences(Attachments attachments, boolean filesField, boolean fileParts) {}

    /** Messages for the template, and the documents put into them, each file once (for errors that name files). */
    public record Parsed(List<Map<String, Object>> messages, List<Document> documents) {}

    public static List<Map<String, Object>> parse(JsonNode list, String field) {
        return parse(list, field, null).messages();
    }

    /** As {@link #parse(JsonNode, String)}; with {@code files}, a user or system message may reference uploaded files. */
    public static Parsed parse(JsonNode list, String field, FileReferences files) {
        if (list == null || list.isNull()) {
            throw ApiError.badRequest(field, "field '" + field + "' is required: a list of messages");
        }
        if (!list.isArray()) {
            throw ApiError.badRequest(field, "field '" + field + "' must be a list of messages, got " + Echo.of(list));
        }
        if (list.isEmpty()) {
            throw ApiError.badRequest(field, "field '" + field + "' is empty: send at least one message");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(message(list.get(i), field + "[" + i + "]", files, documents));
        }
        return new Parsed(out, documents);
    }

    private static Map<String, Object> message(JsonNode m, String at, FileReferences files, List<Document> documents) {
        if (!m.isObject()) {
            throw ApiError.badRequest(at, at + " must be an object with role and content, got " + Echo.of(m));
        }
        for (var it = m.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f) && !(f.equals("files") && files != null && files.filesField())) {
                throw ApiError.badRequest(Echo.text(at + "." + f), at + ": unknown field '" + Echo.text(f) + "'");
            }
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) {
            throw ApiError.badRequest(at + ".role", at + ".role is required: one of system, user, assistant, tool");
        }
        if (!ROLES.contains(role.textValue())) {
            throw ApiError.badRequest(at + ".role", at + ".role '" + Echo.text(role.textValue()) + "' is unknown: use system, user, assistant or tool");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", role.textValue());
        List<String> fileIds = new ArrayList<>();
        List<String> fileParams = new ArrayList<>();
        if (files != null && files.filesField()) {
            List<String> ids = Attachments.ids(m.get("files"), at + ".files");
            for (int i = 0; i < ids.size(); i++) {
                fileIds.add(ids.get(i));
                fileParams.add(at + ".files[" + i + "]");
            }
        }
        String text = content(m.get("content"), at + ".content", role.textValue(), files != null && files.fileParts(), fileIds, fileParams);
        if (!fileIds.isEmpty()) {
            if (!role.textValue().equals("user") && !role.textValue().equals("system")) {
                throw ApiError.badRequest(fileParams.getFirst(), at + ": only user and system messages may reference files");
            }
            List<Document> docs = files.attachments().documents(fileIds, fileParams);
            for (Document d : docs) {
                if (documents.stream().noneMatch(seen -> seen.fileId().equals(d.fileId()))) {
                    documents.add(d); // a file several messages reference is one document of the turn
                }
            }
            text = Documents.inline(docs, text);
        }
        out.put("content", text);
        for (String f : List.of("name", "reasoning_content", "tool_call_id")) {
            JsonNode v = m.get(f);
            if (v != null && !v.isNull()) {
                if (!v.isTextual()) {
                    throw ApiError.badRequest(at + "." + f, at + "." + f + " must be a string");
                }
                out.put(f, v.textValue());
            }
        }
        JsonNode calls = m.get("tool_calls");
        if (calls != null && !calls.isNull()) {
            if (!calls.isArray()) {
                throw ApiError.badRequest(at + ".tool_calls", at + ".tool_calls must be a list");
            }
            out.put("tool_calls", toolCalls(calls, at + ".tool_calls"));
        }
        return out;
    }

    /**
     * An assistant message's calls for the template. OpenAI sends each call's arguments as JSON text;
     * templates write them with {@code tojson} (or test {@code is string}), so arguments that parse as
     * a JSON object reach the template as that object, as llama-server passes them.
     */
    @SuppressWarnings("unchecked")
    private static List<Object> toolCalls(JsonNode calls, String at) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            JsonNode call = calls.get(i);
            if (!call.isObject()) {
                throw ApiError.badRequest(at + "[" + i + "]", at + "[" + i + "] must be an object");
            }
            Map<String, Object> c = Json.MAPPER.convertValue(call, Map.class);
            JsonNode args = call.path("function").path("arguments");
            if (args.isTextual()) {
                JsonNode parsed;
                try {
                    parsed = Json.MAPPER.readTree(args.textValue());
                } catch (java.io.IOException e) {
                    parsed = null;
                }
                if (parsed != null && parsed.isObject()) {
                    Map<String, Object> function = new LinkedHashMap<>((Map<String, Object>) c.get("function"));
                    function.put("arguments", Json.MAPPER.convertValue(parsed, Map.class));
                    c.put("function", function);
                }
            }
            out.add(c);
        }
        return out;
    }

    /**
     * A string, or a list of {"type":"text","text":...} parts joined: templates expect text. With
     * {@code fileParts}, {"type":"file","file":{"file_id":...}} parts add their ids to {@code fileIds}.
     */
    private static String content(JsonNode c, String at, String role, boolean fileParts, List<String> fileIds, List<String> fileParams) {
        if (c == null || c.isNull()) {
            if (role.equals("assistant") || !fileIds.isEmpty()) {
                return "";
            }
            throw ApiError.badRequest(at, at + " is required");
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (c.isArray()) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                JsonNode type = part.get("type");
                if (fileParts && type != null && "file".equals(type.asText())) {
                    fileIds.add(fileId(part, at + "[" + i + "]", fileIds));
                    fileParams.add(at + "[" + i + "].file.file_id");
                    continue;
                }
                if (type == null || !"text".equals(type.asText()) || part.get("text") == null || !part.get("text").isTextual()) {
                    throw ApiError.badRequest(at + "[" + i + "]", at + "[" + i + "] must be {\"type\": \"text\", \"text\": \"...\"}"
                            + (fileParts ? " or {\"type\": \"file\", \"file\": {\"file_id\": \"file_...\"}}: only text and uploaded-file parts are supported"
                            : ": only text parts are supported"));
                }
                b.append(part.get("text").textValue());
            }
            return b.toString();
        }
        throw ApiError.badRequest(at, at + " must be a string or a list of text parts, got " + Echo.of(c));
    }

    /** The id of an OpenAI file part: {"type": "file", "file": {"file_id": "file_..."}} (inline file_data is not supported). */
    private static String fileId(JsonNode part, String at, List<String> seen) {
        JsonNode file = part.get("file");
        if (file == null || !file.isObject()) {
            throw ApiError.badRequest(at + ".file", at + ".file is required: {\"file_id\": \"file_...\"}");
        }
        if (file.has("file_data")) {
            throw ApiError.badRequest(at + ".file.file_data", at + ".file.file_data (inline file content) is not supported: upload the file "
                    + "(POST /v1/files or /api/v1/files) and send its file_id");
        }
        JsonNode id = file.get("file_id");
        if (id == null || !id.isTextual() || id.textValue().isBlank()) {
            throw ApiError.badRequest(at + ".file.file_id", at + ".file.file_id is required: the id of an uploaded file");
        }
        if (seen.contains(id.textValue())) {
            throw ApiError.badRequest(at + ".file.file_id", at + " references file " + Echo.text(id.textValue()) + " a second time");
        }
        return id.textValue();
    }

    /** Tools for the template: a list of objects, passed through. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return null;
        }
        if (!tools.isArray()) {
            throw ApiError.badRequest("tools", "field 'tools' must be a list of tool definitions");
        }
        for (int i = 0; i < tools.size(); i++) {
            if (!tools.get(i).isObject()) {
                throw ApiError.badRequest("tools[" + i + "]", "tools[" + i + "] must be an object");
            }
        }
        return Json.MAPPER.convertValue(tools, List.class);
    }
}
