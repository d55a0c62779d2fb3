package dev.parley.server.dialect.ollama;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.bindings.Backends;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.ModelInfo;
import dev.parley.server.api.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * The loaded model as Ollama describes models: for {@code /api/tags}, {@code /api/ps} and
 * {@code /api/show}. Parley serves one GGUF file and has no Modelfile or manifest: the name comes from
 * the model's metadata, the digest is a SHA-256 of the file's path, size and modification time (it
 * changes when the file does, without reading gigabytes), the figures are llama.cpp's.
 */
final class OllamaModels {

    private final EngineClient engine;
    private final ModelInfo info;
    /** The Ollama-style name ({@code name:tag}) this server answers with. */
    final String name;
    private final long fileBytes;
    private final String modifiedAt;
    private final String digest;

    OllamaModels(EngineClient engine) {
        this.engine = engine;
        this.info = engine.model();
        String base = info.name().strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", "-");
        this.name = base.contains(":") ? base : base + ":latest";
        long size;
        long modified;
        try {
            size = Files.size(info.path());
            modified = Files.getLastModifiedTime(info.path()).toMillis();
        } catch (IOException e) {
            size = info.sizeBytes();
            modified = 0;
        }
        this.fileBytes = size;
        this.modifiedAt = Instant.ofEpochMilli(modified).toString();
        this.digest = sha256(info.path().toAbsolutePath() + "\n" + size + "\n" + modified);
    }

    /** {@code GET /api/tags}: the one model. */
    ObjectNode tags() {
        ObjectNode r = Json.object();
        ObjectNode m = r.putArray("models").addObject().put("name", name).put("model", name).put("modified_at", modifiedAt)
                .put("size", fileBytes).put("digest", digest);
        m.set("details", details());
        return r;
    }

    /**
     * {@code GET /api/ps}: the one model, always loaded. {@code size_vram} is the weights' size times the
     * share of layers offloaded to a GPU (0 on the CPU); {@code expires_at} is null: Parley never unloads it.
     */
    ObjectNode running() {
        Integer configured = engine.config().gpuLayers();
        int gpuLayers = configured != null ? configured : Backends.gpuOffloadAvailable() ? -1 : 0;
        double share = gpuLayers < 0 ? 1 : info.layers() == 0 ? 0 : Math.min(1.0, gpuLayers / (double) info.layers());
        ObjectNode r = Json.object();
        ObjectNode m = r.putArray("models").addObject().put("name", name).put("model", name).put("size", info.sizeBytes())
                .put("digest", digest);
        m.set("details", details());
        m.putNull("expires_at");
        m.put("size_vram", Math.round(info.sizeBytes() * share));
        m.put("context_length", engine.slotCapacity());
        return r;
    }

    /**
     * {@code POST /api/show}: details, llama.cpp's metadata under GGUF key names, the chat template's Jinja
     * source (Ollama shows a Go template there; Parley renders the model's own Jinja), and capabilities
     * read from the template: {@code thinking} when it has a thinking switch or markers, {@code tools}
     * when it renders tools; {@code embedding} when the server opened an embedding context.
     */
    ObjectNode show() {
        String template = Objects.requireNonNullElse(engine.chatTemplateSource(), "");
        ObjectNode r = Json.object().put("license", "").put("modelfile", "").put("parameters", "").put("template", template);
        r.set("details", details());
        ObjectNode mi = r.putObject("model_info");
        String arch = info.architecture();
        mi.put("general.architecture", arch).put("general.name", info.name()).put("general.parameter_count", info.parameters());
        mi.put(arch + ".block_count", info.layers()).put(arch + ".context_length", info.contextLengthTrained());
        mi.put(arch + ".vocab_size", info.vocabularySize());
        var caps = r.putArray("capabilities").add("completion");
        if (engine.chatFormat().thinking().capable()) {
            caps.add("thinking");
        }
        if (template.contains("tools")) {
            caps.add("tools");
        }
        if (engine.embedder() != null) {
            caps.add("embedding"); // /api/embed answers: the GGUF declares a pooling type, or --embedding forced one
        }
        r.put("modified_at", modifiedAt);
        return r;
    }

    private ObjectNode details() {
        ObjectNode d = Json.object().put("parent_model", "").put("format", "gguf").put("family", info.architecture());
        d.putArray("families").add(info.architecture());
        d.put("parameter_size", parameterSize(info.parameters())).put("quantization_level", quantization(info.description()));
        return d;
    }

    /** 7615616512 -> "7.6B", 135000000 -> "135M", as Ollama writes sizes. */
    static String parameterSize(long parameters) {
        if (parameters >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1fB", parameters / 1e9);
        }
        if (parameters >= 1_000_000L) {
            return Math.round(parameters / 1e6) + "M";
        }
        return Math.round(parameters / 1e3) + "K";
    }

    /** llama.cpp's description ends with the file type ("qwen3 8B Q4_K - Medium", "qwen3 ?B all F32"); Ollama writes Q4_K_M, F32. */
    static String quantization(String description) {
        String[] parts = description.split(" ", 3);
        if (parts.length < 3) {
            return "unknown";
        }
        String type = parts[2].strip();
        if (type.startsWith("all ")) {
            type = type.substring(4);
        }
        return type.replace(" - Medium", "_M").replace(" - Small", "_S").replace(" - Large", "_L").replace(' ', '_');
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
