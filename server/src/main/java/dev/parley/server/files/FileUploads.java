package dev.parley.server.files;

import dev.parley.runtime.engine.EngineClient;
import dev.parley.server.threads.FileStore;
import dev.parley.server.threads.StoredFile;
import dev.parley.server.api.ApiError;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Accepting an uploaded file, for every API that takes one: read it to disk within the size limit,
 * extract its text once, count the text's tokens with the served model, and store text and metadata.
 */
public final class FileUploads {

    private final UploadReader reader;
    private final TextExtraction extraction;
    private final FileStore files;
    private final EngineClient engine;

    public FileUploads(UploadReader reader, TextExtraction extraction, FileStore files, EngineClient engine) {
        this.reader = reader;
        this.extraction = extraction;
        this.files = files;
        this.engine = engine;
    }

    /**
     * The stored file; an {@link ApiError} says why an upload was refused. An upload refused before its
     * end (too large, malformed framing) closes the connection after the answer: otherwise the server
     * would read the rest of the body, a gigabyte if that is what the client sends, to keep it alive.
     */
    public StoredFile accept(ServerRequest request, ServerResponse response, String owner) {
        Upload received;
        try {
            received = reader.read(request);
        } catch (ApiError e) {
            response.header(HeaderNames.CONNECTION, "close");
            throw e;
        }
        try (Upload upload = received) {
            TextExtraction.Extracted text = extraction.extract(upload.file(), upload.name());
            int tokens = engine.textTokens(text.text());
            return files.add(owner, upload.name(), text.mediaType(), upload.bytes(), upload.sha256(), text.text(), tokens);
        }
    }

    /** Whether uploads cannot be spooled now because the data directory's disk is full. */
    public boolean spoolFull() {
        return reader.full();
    }
}
