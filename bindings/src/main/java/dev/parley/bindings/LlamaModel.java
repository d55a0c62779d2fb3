package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import dev.parley.bindings.llama.llama_model_params;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A loaded GGUF model. Close it to free its weights; contexts made from it must be closed first. */
public final class LlamaModel implements AutoCloseable {

    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};

    private final Path path;
    private MemorySegment handle;
    private final Vocab vocab;

    private LlamaModel(Path path, MemorySegment handle) {
        this.path = path;
        this.handle = handle;
        this.vocab = new Vocab(Llama.llama_model_get_vocab(handle));
    }

    /**
     * Loads a model. The file is checked from Java first (exists, readable, GGUF magic) so that the
     * common mistakes give a clear message; anything llama.cpp rejects after that is reported with
     * the warnings and errors it logged.
     */
    public static LlamaModel load(Path path, ModelOptions options) {
        Path abs = path.toAbsolutePath().normalize();
        checkGgufFile(abs);
        NativeLibraries.llama();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = Llama.llama_model_default_params(arena);
            llama_model_params.n_gpu_layers(params, options.gpuLayers() < 0 ? -1 : options.gpuLayers());
            llama_model_params.load_mode(params, options.mmap() ? Llama.LLAMA_LOAD_MODE_MMAP : Llama.LLAMA_LOAD_MODE_NONE);
            llama_model_params.vocab_only(params, options.vocabOnly());
            llama_model_params.use_extra_bufts(params, options.repack());
            NativeLog.beginCapture();
            MemorySegment handle;
            List<String> errors;
            try {
                handle = Llama.llama_model_load_from_file(arena.allocateFrom(abs.toString()), params);
            } finally {
                errors = NativeLog.endCapture();
            }
            if (handle.equals(MemorySegment.NULL)) {
                throw new ModelLoadException(abs, "cannot load model " + abs + ": "
                        + (errors.isEmpty() ? "llama.cpp rejected the file" : String.join("; ", errors)));
            }
            return new LlamaModel(abs, handle);
        }
    }

    private static void checkGgufFile(Path path) {
        if (!Files.exists(path)) {
            throw new ModelLoadException(path, "model file not found: " + path);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ModelLoadException(path, "model path is not a readable file: " + path);
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            if (in.readNBytes(magic, 0, 4) != 4 || !java.util.Arrays.equals(magic, GGUF_MAGIC)) {
                throw new ModelLoadException(path, "not a GGUF model file (it does not start with 'GGUF'): " + path);
            }
        } catch (IOException e) {
            throw new ModelLoadException(path, "cannot read model file " + path + ": " + e.getMessage());
        }
    }

    public Path path() {
        return path;
    }

    public Vocab vocab() {
        return vocab;
    }

    MemorySegment handle() {
        if (handle == null) {
            throw new IllegalStateException("model " + path + " is closed");
        }
        return handle;
    }

    public int contextLengthTrained() {
        return Llama.llama_model_n_ctx_train(handle());
    }

    public int embeddingLength() {
        return Llama.llama_model_n_embd(handle());
    }

    /**
     * The pooling type the GGUF declares ({@code <arch>.pooling_type}), NONE when it declares none: a
     * generative model, which makes no sequence embedding unless a pooling is forced.
     */
    public Pooling declaredPooling() {
        String arch = metadata("general.architecture").orElse("");
        return metadata(arch + ".pooling_type").map(v -> {
            try {
                return Pooling.ofNative(Integer.parseInt(v.trim()));
            } catch (IllegalArgumentException e) {
                return Pooling.NONE;
            }
        }).orElse(Pooling.NONE);
    }

    public int layerCount() {
        return Llama.llama_model_n_layer(handle());
    }

    public int headCount() {
        return Llama.llama_model_n_head(handle());
    }

    public int headCountKv() {
        return Llama.llama_model_n_head_kv(handle());
    }

    public long parameterCount() {
        return Llama.llama_model_n_params(handle());
    }

    /** Bytes of all weights. */
    public long sizeBytes() {
        return Llama.llama_model_size(handle());
    }

    public boolean isRecurrent() {
        return Llama.llama_model_is_recurrent(handle());
    }

    public boolean hasEncoder() {
        return Llama.llama_model_has_encoder(handle());
    }

    /** A one-line description, e.g. "qwen3 ?B F16". */
    public String description() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            int n = Llama.llama_model_desc(handle(), buf, buf.byteSize());
            return n < 0 ? "" : buf.getString(0);
        }
    }

    /** A metadata value as a string (arrays are summarised by llama.cpp), if the key exists. */
    public Optional<String> metadata(String key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocateFrom(key);
            int n = Llama.llama_model_meta_val_str(handle(), k, MemorySegment.NULL, 0);
            if (n < 0) {
                return Optional.empty();
            }
            MemorySegment buf = arena.allocate(n + 1L);
            Llama.llama_model_meta_val_str(handle(), k, buf, buf.byteSize());
            return Optional.of(buf.getString(0, StandardCharsets.UTF_8));
        }
    }

    /** All metadata as llama.cpp prints it, in file order. */
    public Map<String, String> metadata() {
        Map<String, String> all = new LinkedHashMap<>();
        int count = Llama.llama_model_meta_count(handle());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(1024);
            for (int i = 0; i < count; i++) {
                if (Llama.llama_model_meta_key_by_index(handle(), i, key, key.byteSize()) < 0) {
                    continue;
                }
                int n = Llama.llama_model_meta_val_str_by_index(handle(), i, MemorySegment.NULL, 0);
                MemorySegment val = arena.allocate(Math.max(n, 0) + 1L);
                Llama.llama_model_meta_val_str_by_index(handle(), i, val, val.byteSize());
                all.put(key.getString(0), val.getString(0));
            }
        }
        return all;
    }

    /** The model's chat template ({@code tokenizer.chat_template}), or a named variant. */
    public Optional<String> chatTemplate(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = name == null ? MemorySegment.NULL : arena.allocateFrom(name);
            MemorySegment t = Llama.llama_model_chat_template(handle(), n);
            return t.equals(MemorySegment.NULL) ? Optional.empty() : Optional.of(t.reinterpret(Long.MAX_VALUE).getString(0));
        }
    }

    @Override
    public void close() {
        if (handle != null) {
            Llama.llama_model_free(handle);
            handle = null;
        }
    }

    @Override
    public String toString() {
        return "LlamaModel[" + path + "]";
    }
}
