package dev.parley.server.dialect.ollama;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.api.RequestBody;
import dev.parley.server.exchange.Incoming;
import dev.parley.server.modelref.ModelReference;
import dev.parley.server.modelref.ModelReferenceException;
import dev.parley.server.modelref.ModelResolver;
import dev.parley.server.modelref.PullProgress;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * {@code POST /api/pull}: fetches a model into the Hugging Face cache (or finds it in the local Ollama store) and
 * streams Ollama's progress lines: {@code pulling manifest}, {@code pulling <digest>} with {@code total} and
 * {@code completed}, {@code verifying sha256 digest}, {@code success}; an error after the stream began is a last
 * {@code {"error": ...}} line, as Ollama sends it. Names take every model reference form ({@code hf.co/ORG/REPO:QUANT}
 * is what {@code ollama pull} takes for the Hub); a plain Ollama name ({@code qwen3:0.6b}) is looked up in the local
 * Ollama store, since Parley does not speak Ollama's registry.
 */
final class OllamaPull {

    private static final long EVERY_NANOS = 100_000_000L;

    private final ModelResolver resolver;

    OllamaPull(ModelResolver resolver) {
        this.resolver = resolver;
    }

    void handle(Incoming in, ServerResponse res) {
        RequestBody b = in.body();
        String name = b.optionalString("model");
        if (name == null || name.isBlank()) {
            name = b.optionalString("name");
        }
        if (name == null || name.isBlank()) {
            throw ApiError.badRequest("model", "model is required (like hf.co/ORG/REPO:Q4_K_M)");
        }
        ModelReference ref = reference(name.strip());
        if (!b.bool("stream", true)) {
            try {
                resolver.resolve(ref, PullProgress.NONE);
            } catch (ModelReferenceException e) {
                throw new ApiError(500, e.getMessage(), "model");
            }
            Json.send(res, 200, Json.object().put("status", "success"));
            return;
        }
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson");
        try (OutputStream out = res.outputStream()) {
            Lines lines = new Lines(out);
            try {
                resolver.resolve(ref, lines);
                lines.status("success");
            } catch (ModelReferenceException e) {
                lines.write(Json.object().put("error", e.getMessage()));
            }
        } catch (IOException | UncheckedIOException e) {
            // the client went away: the download stops with it, the partial blob stays for the next pull
        }
    }

    /** Every reference form; a bare Ollama name means the local Ollama store. */
    private static ModelReference reference(String name) {
        try {
            ModelReference ref = ModelReference.parse(name);
            if (ref instanceof ModelReference.LocalFile) {
                if (name.toLowerCase(Locale.ROOT).endsWith(".gguf") || name.startsWith("/") || name.startsWith(".")) {
                    throw ApiError.badRequest("model", "pull takes a model name, not a file path: " + ModelReference.FORMS);
                }
                return ModelReference.parse("ollama:" + name);
            }
            return ref;
        } catch (ModelReferenceException e) {
            throw ApiError.badRequest("model", e.getMessage());
        }
    }

    /** Progress as NDJSON lines, byte counts at most ten times a second per file (and always the last). */
    private static final class Lines implements PullProgress {
        private final OutputStream out;
        private long last;

        Lines(OutputStream out) {
            this.out = out;
        }

        @Override
        public void status(String status) {
            write(Json.object().put("status", status));
        }

        @Override
        public void bytes(String file, String digest, long total, long completed) {
            long now = System.nanoTime();
            if (now - last < EVERY_NANOS && completed < total && completed > 0) {
                return;
            }
            last = now;
            ObjectNode line = Json.object().put("status", "pulling " + (digest != null ? digest.substring(7, 19) : file));
            if (digest != null) {
                line.put("digest", digest);
            }
            write(line.put("total", total).put("completed", completed));
        }

        synchronized void write(ObjectNode line) {
            try {
                out.write(Json.line(line));
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
