package dev.parley.server.modelref;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A {@link ModelReference} to the GGUF llama.cpp opens (the first part of a split model; the others lie beside it). */
public final class ModelResolver {

    private final ModelSources sources;
    private final HttpClient http;

    public ModelResolver(ModelSources sources) {
        this.sources = sources;
        // The Hub answers resolve for LFS files with a redirect to its CDN: the JDK follows it keeping Range and, across
        // origins, dropping Authorization (the token never reaches the CDN, as with huggingface_hub).
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    public ModelSources sources() {
        return sources;
    }

    /** The model's files, first part first, each checked to be a whole GGUF. */
    public List<Path> resolve(ModelReference ref, PullProgress progress) {
        return switch (ref) {
            case ModelReference.LocalFile f -> {
                List<Path> parts = SplitGguf.parts(f.path());
                parts.forEach(GgufCheck::verify);
                yield parts;
            }
            case ModelReference.HubQuant h -> new HubResolver(sources, http).resolve(h.repo(), h.quant(), null, h.revision(), progress);
            case ModelReference.HubFile h -> new HubResolver(sources, http).resolve(h.repo(), null, h.file(), h.revision(), progress);
            case ModelReference.OllamaModel o -> {
                progress.status("pulling manifest");
                Path blob = new OllamaStore(sources.ollamaModels()).resolve(o);
                // the blob is named by its digest; already whole on disk
                String digest = blob.getFileName().toString().replaceFirst("^sha256-", "sha256:");
                progress.bytes(blob.getFileName().toString(), digest.startsWith("sha256:") ? digest : null, size(blob), size(blob));
                yield List.of(blob);
            }
        };
    }

    private static long size(Path p) {
        try {
            return java.nio.file.Files.size(p);
        } catch (java.io.IOException e) {
            throw new ModelReferenceException("cannot read " + p + ": " + e.getMessage());
        }
    }

    /** The file to hand llama.cpp, with progress shown on the console. */
    public Path modelFile(ModelReference ref) {
        return resolve(ref, PullProgress.console(sources.terminal())).getFirst();
    }
}
