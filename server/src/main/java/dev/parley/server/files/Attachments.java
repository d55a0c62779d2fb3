package dev.parley.server.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.threads.FileStore;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** A caller's uploaded files as documents for a prompt: ids checked against the owner's files (another owner's: 404). */
public final class Attachments {

    private final FileStore files;
    private final String owner;

    public Attachments(FileStore files, String owner) {
        this.files = files;
        this.owner = owner;
    }

    /**
     * The ids in a request's {@code files} field (a list of file id strings, at most 100, no repeats).
     * Null or absent gives an empty list.
     */
    public static List<String> ids(JsonNode node, String param) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiError.badRequest(param, param + " must be a list of file ids (\"file_...\"), got " + Echo.of(node));
        }
        if (node.size() > MAX_FILES) {
            throw ApiError.badRequest(param, param + " lists " + node.size() + " files; at most " + MAX_FILES + " may be attached at once");
        }
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode id = node.get(i);
            if (!id.isTextual() || id.textValue().isBlank()) {
                throw ApiError.badRequest(param + "[" + i + "]", param + "[" + i + "] must be a file id string, got " + Echo.of(id));
            }
            if (!out.add(id.textValue())) {
                throw ApiError.badRequest(param + "[" + i + "]", param + " names file " + Echo.text(id.textValue()) + " twice");
            }
        }
        return List.copyOf(out);
    }

    /** Most files one message or thread may reference. */
    public static final int MAX_FILES = 100;

    /**
     * The documents these file ids name, in order, read in one query; an id that is not one of the owner's
     * files is a 404 naming its parameter ({@code params.get(i)} for {@code ids.get(i)}).
     */
    public List<Document> documents(List<String> ids, List<String> params) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<String, FileStore.FileText> found = files.texts(owner, ids);
        List<Document> out = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            FileStore.FileText f = found.get(ids.get(i));
            if (f == null) {
                throw notFound(ids.get(i), params.get(i));
            }
            out.add(Document.of(f));
        }
        return out;
    }

    /** Checks that every id is one of the owner's files (for a thread's files, stored as references). */
    public void check(List<String> ids, String param) {
        var owned = files.owned(owner, ids);
        for (int i = 0; i < ids.size(); i++) {
            if (!owned.contains(ids.get(i))) {
                throw notFound(ids.get(i), param + "[" + i + "]");
            }
        }
    }

    public static ApiError notFound(String id, String param) {
        return new ApiError(404, "file " + Echo.text(id) + " not found", param, "file_not_found");
    }
}
