package dev.parley.server.dialect.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Echo;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.files.FileAnswers;
import dev.parley.server.files.FileUploads;
import dev.parley.server.threads.Cursor;
import dev.parley.server.threads.FileStore;
import dev.parley.server.threads.StoredFile;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;

/**
 * OpenAI's Files API over Parley's files, so that {@code client.files.create(...)} and then a
 * {@code {"type": "file", "file": {"file_id": ...}}} part work unchanged. The same files as
 * {@code /api/v1/files}: one id, one owner, one store. Every file serves as conversation context
 * ({@code purpose} is accepted and answered as {@code user_data}); its content is the extracted text.
 */
final class OpenAiFiles {

    private final FileStore files;
    private final FileUploads uploads;

    OpenAiFiles(FileStore files, FileUploads uploads) {
        this.files = files;
        this.uploads = uploads;
    }

    void register(HttpRules rules, Endpoints endpoints) {
        OpenAiErrors errors = OpenAiErrors.SHAPE;
        rules.post("/v1/files", endpoints.handler(errors, (in, res) -> Json.send(res, 200, file(uploads.accept(in.http(), res, in.owner())))))
             .get("/v1/files", endpoints.handler(errors, this::list))
             .get("/v1/files/{id}", endpoints.handler(errors, (in, res) -> Json.send(res, 200, file(owned(in)))))
             .get("/v1/files/{id}/content", endpoints.handler(errors, this::content))
             .delete("/v1/files/{id}", endpoints.handler(errors, this::delete));
    }

    /** OpenAI's list: newest first, {@code limit} (1-10000, default 10000), {@code after} a file id. */
    private void list(Incoming in, ServerResponse res) {
        var q = in.http().query();
        int limit = in.limitParam(10_000, 10_000);
        if (q.contains("order") && !q.get("order").equals("desc")) {
            throw ApiError.badRequest("order", "order '" + Echo.text(q.get("order")) + "' is not supported: files are listed newest first (desc)");
        }
        if (q.contains("purpose") && !q.get("purpose").equals("user_data")) {
            Json.send(res, 200, page(List.of(), false)); // every file here is conversation context
            return;
        }
        String cursor = null;
        if (q.contains("after")) {
            StoredFile after = files.get(in.owner(), q.get("after"))
                    .orElseThrow(() -> ApiError.badRequest("after", "after: no file " + Echo.text(q.get("after"))));
            cursor = new Cursor(after.createdAt(), after.id()).token();
        }
        FileStore.Page page = files.list(in.owner(), cursor, limit);
        Json.send(res, 200, page(page.items(), page.nextCursor() != null));
    }

    private static ObjectNode page(List<StoredFile> items, boolean more) {
        ObjectNode body = Json.object();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        items.forEach(f -> data.add(file(f)));
        body.put("first_id", items.isEmpty() ? null : items.getFirst().id());
        body.put("last_id", items.isEmpty() ? null : items.getLast().id());
        body.put("has_more", more);
        return body;
    }

    private void content(Incoming in, ServerResponse res) {
        FileAnswers.sendText(res, files, owned(in));
    }

    private void delete(Incoming in, ServerResponse res) {
        String id = in.pathParam("id");
        switch (files.delete(in.owner(), id)) {
            case FileStore.Deletion.Deleted d -> Json.send(res, 200, Json.object().put("id", id).put("object", "file").put("deleted", true));
            case FileStore.Deletion.NotFound n -> throw notFound(id);
            case FileStore.Deletion.InUse u -> throw FileAnswers.inUse(id, u.conversationIds(), "file_id");
        }
    }

    private StoredFile owned(Incoming in) {
        String id = in.pathParam("id");
        return files.get(in.owner(), id).orElseThrow(() -> notFound(id));
    }

    private static ApiError notFound(String id) {
        return new ApiError(404, "No such File object: " + Echo.text(id), "id", "file_not_found");
    }

    private static ObjectNode file(StoredFile f) {
        ObjectNode o = Json.object();
        o.put("id", f.id());
        o.put("object", "file");
        o.put("bytes", f.bytes());
        o.put("created_at", f.createdAt() / 1000);
        o.putNull("expires_at");
        o.put("filename", f.name());
        o.put("purpose", "user_data");
        o.put("status", "processed");
        o.putNull("status_details");
        return o;
    }
}
