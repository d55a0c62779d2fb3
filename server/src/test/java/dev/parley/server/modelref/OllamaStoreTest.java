package dev.parley.server.modelref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An Ollama store laid out as {@code ollama pull} leaves it: manifests by name and tag, blobs by digest. */
class OllamaStoreTest {

    @TempDir
    Path store;

    /** Writes a manifest for NAMESPACE/NAME:TAG whose model layer is {@code gguf}; returns the blob. */
    Path pulled(String namespace, String name, String tag, byte[] gguf) throws Exception {
        return pulled("registry.ollama.ai", namespace, name, tag, gguf);
    }

    Path pulled(String host, String namespace, String name, String tag, byte[] gguf) throws Exception {
        String hex = HubFixture.hex(HubFixture.sha256(gguf));
        Path blob = store.resolve("blobs").resolve("sha256-" + hex);
        Files.createDirectories(blob.getParent());
        Files.write(blob, gguf);
        byte[] params = "{\"stop\":[\"<|im_end|>\"]}".getBytes();
        String paramsHex = HubFixture.hex(HubFixture.sha256(params));
        Files.write(store.resolve("blobs").resolve("sha256-" + paramsHex), params);
        ObjectMapper json = new ObjectMapper();
        ObjectNode m = json.createObjectNode().put("schemaVersion", 2).put("mediaType", "application/vnd.docker.distribution.manifest.v2+json");
        m.putObject("config").put("mediaType", "application/vnd.docker.container.image.v1+json").put("digest", "sha256:" + "0".repeat(64)).put("size", 2);
        m.putArray("layers").add(json.createObjectNode().put("mediaType", "application/vnd.ollama.image.params").put("digest", "sha256:" + paramsHex)
                .put("size", params.length)).add(json.createObjectNode().put("mediaType", "application/vnd.ollama.image.model")
                .put("digest", "sha256:" + hex).put("size", gguf.length));
        Path manifest = store.resolve("manifests").resolve(host).resolve(namespace).resolve(name).resolve(tag);
        Files.createDirectories(manifest.getParent());
        json.writeValue(manifest.toFile(), m);
        return blob;
    }

    Path resolve(String ref) {
        return new ModelResolver(ModelSources.from(Map.of("OLLAMA_MODELS", store.toString()))).resolve(ModelReference.parse(ref), PullProgress.NONE).getFirst();
    }

    @Test
    void servesThePulledBlobInPlace() throws Exception {
        Path blob = pulled("library", "tiny", "q8", Ggufs.bytes("tiny"));
        Path other = pulled("library", "tiny", "latest", Ggufs.bytes("latest"));
        Path user = pulled("someone", "tiny", "latest", Ggufs.bytes("user"));
        assertEquals(blob, resolve("ollama:tiny:q8"));
        assertEquals(other, resolve("ollama:tiny"));
        assertEquals(user, resolve("ollama:someone/tiny"));
        Path hf = pulled("hf.co", "org", "Tiny-GGUF", "Q8_0", Ggufs.bytes("hf"));
        assertEquals(hf, resolve("ollama:hf.co/org/Tiny-GGUF:Q8_0"));
    }

    @Test
    void missingTagsAndBlobsAreClearErrors() throws Exception {
        Path blob = pulled("library", "tiny", "q8", Ggufs.bytes("tiny"));
        String msg = assertThrows(ModelReferenceException.class, () -> resolve("ollama:tiny:q4")).getMessage();
        assertTrue(msg.contains("not in the Ollama store") && msg.contains("tags there: q8") && msg.contains("OLLAMA_MODELS"), msg);
        Files.delete(blob);
        msg = assertThrows(ModelReferenceException.class, () -> resolve("ollama:tiny:q8")).getMessage();
        assertTrue(msg.contains("model blob") && msg.contains("missing"), msg);
        Files.writeString(blob, "not a gguf at all, but long enough to have a header");
        msg = assertThrows(ModelReferenceException.class, () -> resolve("ollama:tiny:q8")).getMessage();
        assertTrue(msg.contains("not a GGUF file"), msg);
    }
}
