package dev.parley.server.config;

import java.util.List;
import java.util.Locale;

/** A configuration option: a flag, its environment variable, its config-file key and its default. */
record Option(String name, String valueName, String description, String defaultValue) {

    /** A switch: "--name" alone means true. */
    boolean isSwitch() {
        return valueName == null;
    }

    String flag() {
        return "--" + name;
    }

    String env() {
        return "PARLEY_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    static final List<Option> ALL = List.of(
            new Option("model", "REF", "the model: PATH.gguf (a split model by its first part), hf:ORG/REPO[:QUANT], hf:ORG/REPO/FILE.gguf, "
                    + "ORG/REPO:QUANT, hf.co/ORG/REPO[:QUANT] (downloaded into the Hugging Face cache) or ollama:NAME[:TAG] "
                    + "(read from the Ollama store); NAME=REF names it, and repeating --model serves several models by name; "
                    + "default: generate and serve the tiny demo model", null),
            new Option("models-dir", "DIR", "serve every GGUF under DIR, named by its file stem (a request's model field picks one), "
                    + "plus the names in DIR/parley-models.properties (NAME = FILE-or-REF lines); --model NAME=REF (repeatable) adds more", null),
            new Option("keep-alive", "DURATION", "with several models: how long an idle model stays loaded (5m, 1h, 300s; -1: for ever); "
                    + "Ollama's keep_alive overrides it per request", "5m"),
            new Option("models-max-loaded", "N", "with several models: most models loaded at once (the least recently used idle one is unloaded first)", "2"),
            new Option("device", "DEVICE", "auto (CUDA when a device is usable, else CPU), cuda or cpu", "auto"),
            new Option("host", "ADDR", "address to listen on (0.0.0.0 for all interfaces)", "127.0.0.1"),
            new Option("port", "N", "port to listen on (0 picks a free one)", "8080"),
            new Option("slots", "N", "most generations at once (KV-cache sequences); admitted while the shared KV cells hold them", "4"),
            new Option("ctx-size", "N", "KV-cache cells in all, shared by the slots", "4096"),
            new Option("n-gpu-layers", "N", "layers on the GPU (default: all when a GPU backend is present, else 0)", null),
            new Option("batch-size", "N", "most tokens per llama_decode (n_batch)", "512"),
            new Option("ubatch-size", "N", "physical batch size (n_ubatch)", "512"),
            new Option("threads", "N", "threads for generation", String.valueOf(Runtime.getRuntime().availableProcessors())),
            new Option("threads-batch", "N", "threads for prompt processing", String.valueOf(Runtime.getRuntime().availableProcessors())),
            new Option("kv-cache-type", "TYPE", "KV cache type: f16, q8_0 or q4_0", "f16"),
            new Option("no-kv-unified", null, "give each slot a fixed 1/N of the KV cache instead of sharing it", "false"),
            new Option("flash-attn", "MODE", "flash attention: auto, on or off", "auto"),
            new Option("embedding", "POOLING", "serve embeddings pooled this way (mean, cls or last) even when the GGUF declares no pooling type;"
                    + " a model that declares one serves them without this flag", null),
            new Option("no-repack", null, "keep CPU weights as stored instead of repacking them into faster layouts (as llama-server's --no-repack)", "false"),
            new Option("parse-special-in-content", null, "tokenize control-token text in messages (<|im_end|>, ...) as control tokens, as before (lets users inject turns)", "false"),
            new Option("speculative", "MODE", "speculative decoding: ngram (draft each slot's next tokens from its own prompt and output, "
                    + "verified in the step's batch; pays off when answers quote the history), draft (a smaller model of the same "
                    + "vocabulary drafts them: --model-draft) or off; off by default, draft when only --model-draft is given", null),
            new Option("draft-p-min", "P", "with --speculative draft, the least probability the draft model must give a token to draft it "
                    + "(0-1; a draft stops at the first less likely token; 0 drafts every token)",
                    String.valueOf(dev.parley.runtime.engine.Speculation.DEFAULT_DRAFT_MIN_P)),
            new Option("model-draft", "REF", "the draft model for --speculative draft (a path or a reference as for --model; "
                    + "its vocabulary must be the model's); giving it alone means --speculative draft", null),
            new Option("speculative-max", "N", "most tokens drafted per slot and step with --speculative (1-64)",
                    String.valueOf(dev.parley.runtime.engine.Speculation.DEFAULT_MAX_DRAFT)),
            new Option("no-prefix-reuse", null, "prefill every prompt in full instead of reusing a slot's cached prefix", "false"),
            new Option("kv-ram-budget", "SIZE", "host memory for idle conversations' KV state (e.g. 8GiB, 512MiB; 0 turns the RAM tier off; auto: a quarter of physical memory, at most 8GiB)", "auto"),
            new Option("kv-disk-budget", "SIZE", "disk space under --data-dir for conversations' KV state; it survives restarts (0 turns the disk tier off)", "16GiB"),
            new Option("no-kv-disk", null, "no disk tier for the KV state (the same as --kv-disk-budget 0)", "false"),
            new Option("kv-shared", "URL", "a KV tier every replica shares, below RAM and disk: file:///PATH (a directory all mount, "
                    + "e.g. a ReadWriteMany volume) or redis://HOST:PORT[/DB] / rediss:// (Redis or Valkey); off by default", null),
            new Option("kv-shared-ttl", "SECONDS", "how long a state stays in the shared KV tier after it was written", "86400"),
            new Option("kv-shared-password", "PASSWORD", "password of a redis:// or rediss:// shared KV tier (set it in the environment)", null),
            new Option("queue-size", "N", "requests that may wait for a slot; more get 503", "64"),
            new Option("queue-timeout", "SECONDS", "how long a request may wait for a slot before 504", "30"),
            new Option("max-tokens-limit", "N", "largest max_tokens a request may ask for", "8192"),
            new Option("default-max-tokens", "N", "max_tokens when a request gives none", "512"),
            new Option("chat-template", "FILE", "a Jinja chat template to use instead of the model's", null),
            new Option("max-body-size", "BYTES", "largest request body accepted", "10485760"),
            new Option("data-dir", "DIR", "where the embedded thread database (SQLite) lives", defaultDataDir()),
            new Option("database-url", "JDBC_URL", "keep threads in PostgreSQL instead (jdbc:postgresql://host/db), shared by several instances", null),
            new Option("database-user", "NAME", "PostgreSQL user", null),
            new Option("database-password", "SECRET", "PostgreSQL password (prefer the environment variable)", null),
            new Option("file-max-size", "SIZE", "largest file upload (POST /api/v1/files), e.g. 25MiB", "25MiB"),
            new Option("file-max-text", "N", "most characters of text one uploaded file may yield", "2000000"),
            new Option("file-extract-timeout", "SECONDS", "longest time extracting one uploaded file's text may take", "60"),
            new Option("api-key", "KEY", "require this key on /api/ and /v1/ (Authorization: Bearer KEY or x-api-key: KEY)", null),
            new Option("api-keys-file", "FILE", "require one of these keys: lines of KEY, OWNER:KEY or OWNER:KEY:BUDGET (credits)", null),
            new Option("credits-per-1k-prompt", "CREDITS", "credits charged per 1,000 prompt tokens prefilled (at most 3 decimals)",
                    CreditPrices.DEFAULT.promptPer1k().toPlainString()),
            new Option("credits-per-1k-cached-prompt", "CREDITS", "credits charged per 1,000 prompt tokens served from the KV cache",
                    CreditPrices.DEFAULT.cachedPromptPer1k().toPlainString()),
            new Option("credits-per-1k-completion", "CREDITS", "credits charged per 1,000 completion tokens (reasoning included)",
                    CreditPrices.DEFAULT.completionPer1k().toPlainString()),
            new Option("metrics-require-key", null, "also require a key on /metrics", "false"),
            new Option("allowed-hosts", "HOSTS", "comma-separated host names the Host header may carry, * for any "
                    + "(default: the bound address; any when bound to 0.0.0.0)", null),
            new Option("allowed-origins", "ORIGINS", "comma-separated browser origins (https://app.example.com) allowed to call, * for any; "
                    + "requests with another Origin are refused", null),
            new Option("cors-origins", "ORIGINS", "the old name of --allowed-origins (the two lists add up)", null),
            new Option("header-timeout", "SECONDS", "time a client has to send its request headers", "10"),
            new Option("body-timeout", "SECONDS", "time a client has to upload a request body", "60"),
            new Option("idle-timeout", "SECONDS", "close a keep-alive connection idle this long", "60"),
            new Option("max-connections", "N", "open connections at most; more wait to be accepted", "1000"),
            new Option("shutdown-grace", "SECONDS", "on shutdown, how long running generations may finish before they are cancelled", "5"),
            new Option("body-memory-mb", "MB", "heap that request bodies being parsed may reserve at once (0: half the heap)", "0"),
            new Option("replica-name", "NAME", "this instance's name among replicas, sent back in the x-parley-replica response header", null),
            new Option("config", "FILE", "a properties file of these options (keys without --)", null));

    private static String defaultDataDir() {
        String xdg = System.getenv("XDG_DATA_HOME");
        return (xdg != null && !xdg.isBlank() ? java.nio.file.Path.of(xdg) : java.nio.file.Path.of(System.getProperty("user.home"), ".local", "share"))
                .resolve("parley").toString();
    }

    static Option byName(String name) {
        for (Option o : ALL) {
            if (o.name.equals(name)) {
                return o;
            }
        }
        return null;
    }
}
