package dev.parley.server.modelref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Models Ollama has pulled, read in place: {@code manifests/HOST/NAMESPACE/NAME/TAG} (HOST registry.ollama.ai, or
 * hf.co for {@code ollama pull hf.co/ORG/REPO}) is an OCI
 * manifest whose layer of media type {@code application/vnd.ollama.image.model} is the GGUF, stored as
 * {@code blobs/sha256-<hex>}. Nothing is copied or written.
 */
final class OllamaStore {

    static final String MODEL_LAYER = "application/vnd.ollama.image.model";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    OllamaStore(Path root) {
        this.root = root;
    }

    Path resolve(ModelReference.OllamaModel ref) {
        Path manifest = root.resolve("manifests").resolve(ref.host()).resolve(ref.namespace()).resolve(ref.name()).resolve(ref.tag());
        if (!Files.isRegularFile(manifest)) {
            throw new ModelReferenceException(ref.display() + " is not in the Ollama store " + root + " (set OLLAMA_MODELS if it lives elsewhere)"
                    + available(ref));
        }
        JsonNode m;
        try {
            m = JSON.readTree(manifest.toFile());
        } catch (IOException e) {
            throw new ModelReferenceException(manifest + ": not a readable Ollama manifest (" + e.getMessage() + ")");
        }
        for (JsonNode layer : m.path("layers")) {
            if (MODEL_LAYER.equals(layer.path("mediaType").asText())) {
                String digest = layer.path("digest").asText("");
                if (!digest.matches("sha256:[0-9a-f]{64}")) {
                    throw new ModelReferenceException(manifest + ": bad model layer digest '" + digest + "'");
                }
                Path blob = root.resolve("blobs").resolve(digest.replace(':', '-'));
                if (!Files.isRegularFile(blob)) {
                    throw new ModelReferenceException(ref.display() + ": its model blob " + blob + " is missing (pull it again with ollama)");
                }
                GgufCheck.verify(blob);
                return blob;
            }
        }
        throw new ModelReferenceException(ref.display() + ": the manifest " + manifest + " has no model layer (" + MODEL_LAYER + ")");
    }

    /** The tags that do exist for the name, to put in the error. */
    private String available(ModelReference.OllamaModel ref) {
        Path dir = root.resolve("manifests").resolve(ref.host()).resolve(ref.namespace()).resolve(ref.name());
        if (!Files.isDirectory(dir)) {
            return "";
        }
        List<String> tags = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().forEach(tags::add);
        } catch (IOException e) {
            return "";
        }
        return tags.isEmpty() ? "" : "; tags there: " + String.join(", ", tags);
    }
}
