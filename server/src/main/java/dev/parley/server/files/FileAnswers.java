package dev.parley.server.files;

import dev.parley.server.api.ApiError;
import dev.parley.server.threads.FileStore;
import dev.parley.server.threads.StoredFile;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** What every files API answers alike, whatever its JSON: a file's text, and the refusal to delete a file in use. */
public final class FileAnswers {

    private FileAnswers() {
    }

    /** The file's extracted text, as {@code text/plain; charset=utf-8}. */
    public static void sendText(ServerResponse res, FileStore files, StoredFile f) {
        String text = files.texts(f.owner(), List.of(f.id())).get(f.id()).text();
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.send(text.getBytes(StandardCharsets.UTF_8));
    }

    /** 409: threads hold references to their files, never copies, so a referenced file stays. */
    public static ApiError inUse(String id, List<String> conversations, String param) {
        return new ApiError(409, "file " + id + " is referenced by conversation" + (conversations.size() == 1 ? " " : "s ")
                + String.join(", ", conversations) + ": a thread keeps references to its files, not copies; remove the file from "
                + "their files (PATCH) or delete them first", param, "file_in_use");
    }
}
