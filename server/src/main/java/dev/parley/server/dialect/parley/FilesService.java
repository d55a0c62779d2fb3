package dev.parley.server.dialect.parley;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.files.Attachments;
import dev.parley.server.files.FileAnswers;
import dev.parley.server.files.FileUploads;
import dev.parley.server.threads.FileStore;
import dev.parley.server.threads.StoredFile;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;

/**
 * Files as conversation context: upload (the text is extracted once, here), list, read, read the text,
 * delete. A file belongs to the API key's owner, like a thread: another key gets 404. A file that a
 * thread or one of its stored messages references cannot be deleted (409 naming the threads).
 */
public final class FilesService implements Dialect {

    private final FileStore files;
    private final FileUploads uploads;

    public FilesService(FileStore files, FileUploads uploads) {
        this.files = files;
        this.uploads = uploads;
    }

    @Override
    public void register(HttpRules rules, Endpoints endpoints) {
        ParleyErrors errors = ParleyErrors.SHAPE;
        endpoints.owns("/api/v1/", errors);
        rules.post("/api/v1/files", endpoints.handler(errors, this::upload))
             .get("/api/v1/files", endpoints.handler(errors, this::list))
             .get("/api/v1/files/{id}", endpoints.handler(errors, (in, res) -> Json.send(res, 200, file(owned(in)))))
             .get("/api/v1/files/{id}/content", endpoints.handler(errors, this::content))
             .delete("/api/v1/files/{id}", endpoints.handler(errors, this::delete));
    }

    private void upload(Incoming in, ServerResponse res) {
        Json.send(res, 201, file(uploads.accept(in.http(), res, in.owner())));
    }

    private void list(Incoming in, ServerResponse res) {
        var q = in.http().query();
        int limit = in.limitParam(20, 100);
        FileStore.Page page;
        try {
            page = files.list(in.owner(), q.contains("cursor") ? q.get("cursor") : null, limit);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("cursor", e.getMessage());
        }
        ObjectNode body = Json.object();
        ArrayNode data = body.putArray("data");
        page.items().forEach(f -> data.add(file(f)));
        body.put("next_cursor", page.nextCursor());
        Json.send(res, 200, body);
    }

    private void content(Incoming in, ServerResponse res) {
        FileAnswers.sendText(res, files, owned(in));
    }

    private void delete(Incoming in, ServerResponse res) {
        String id = in.pathParam("id");
        switch (files.delete(in.owner(), id)) {
            case FileStore.Deletion.Deleted d -> Json.send(res, 200, Json.object().put("id", id).put("deleted", true));
            case FileStore.Deletion.NotFound n -> throw notFound(id);
            case FileStore.Deletion.InUse u -> throw FileAnswers.inUse(id, u.conversationIds(), null);
        }
    }

    private StoredFile owned(Incoming in) {
        String id = in.pathParam("id");
        return files.get(in.owner(), id).orElseThrow(() -> notFound(id));
    }

    private static ApiError notFound(String id) {
        return Attachments.notFound(id, null);
    }

    static ObjectNode file(StoredFile f) {
        ObjectNode o = Json.object();
        o.put("id", f.id());
        o.put("object", "file");
        o.put("name", f.name());
        o.put("media_type", f.mediaType());
        o.put("bytes", f.bytes());
        o.put("sha256", f.sha256());
        o.put("characters", f.characters());
        o.put("tokens", f.tokens());
        o.put("created_at", Instant.ofEpochMilli(f.createdAt()).toString());
        return o;
    }
}
