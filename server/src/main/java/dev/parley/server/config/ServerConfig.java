package dev.parley.server.config;

import dev.parley.bindings.ContextOptions;
import dev.parley.bindings.Pooling;
import dev.parley.bindings.KvCacheType;
import dev.parley.server.modelref.ModelReference;
import dev.parley.server.modelref.ModelReferenceException;
import dev.parley.server.modelref.ModelSources;
import dev.parley.server.modelref.SplitGguf;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/** The server's configuration, from flags, then environment variables, then a config file, then defaults. */
public record ServerConfig(
        ModelReference model,
        ModelSources modelSources,
        String device,
        boolean contextSizeSet,
        String host,
        int port,
        int slots,
        int contextSize,
        Integer gpuLayers,
        int batchSize,
        int microBatchSize,
        int threads,
        int batchThreads,
        KvCacheType kvCacheType,
        boolean unifiedKv,
        ContextOptions.FlashAttention flashAttention,
        boolean prefixReuse,
        int queueSize,
        Duration queueTimeout,
        int maxTokensLimit,
        int defaultMaxTokens,
        Path chatTemplate,
        long maxBodyBytes,
        Path dataDir,
        String databaseUrl,
        String databaseUser,
        String databasePassword,
        String apiKey,
        Path apiKeysFile,
        boolean metricsRequireKey,
        boolean repack,
        boolean parseSpecialInContent,
        HttpSettings http,
        String replicaName,
        long kvRamBudgetBytes,
        long kvDiskBudgetBytes,
        dev.parley.runtime.kv.SharedSettings kvShared,
        FileSettings files,
        CreditPrices credits,
        Pooling embedding,
        ModelsSettings models,
        dev.parley.runtime.engine.Speculation speculation,
        ModelReference modelDraft) {

    /** The same configuration with another model file. */
    public ServerConfig withModel(Path model) {
        return new ServerConfig(new ModelReference.LocalFile(model), modelSources, device, contextSizeSet, host, port, slots, contextSize,
                gpuLayers, batchSize, microBatchSize, threads, batchThreads, kvCacheType, unifiedKv, flashAttention, prefixReuse, queueSize,
                queueTimeout, maxTokensLimit, defaultMaxTokens, chatTemplate, maxBodyBytes, dataDir, databaseUrl,
                databaseUser, databasePassword, apiKey, apiKeysFile, metricsRequireKey, repack, parseSpecialInContent, http, replicaName,
                kvRamBudgetBytes, kvDiskBudgetBytes, kvShared, files, credits, embedding, models, speculation, modelDraft);
    }

    /**
     * The same configuration with the draft model's reference resolved to {@code file} (a download
     * happens at start): the engine's speculation then drafts with it.
     */
    public ServerConfig withModelDraft(Path file) {
        return new ServerConfig(model, modelSources, device, contextSizeSet, host, port, slots, contextSize,
                gpuLayers, batchSize, microBatchSize, threads, batchThreads, kvCacheType, unifiedKv, flashAttention, prefixReuse, queueSize,
                queueTimeout, maxTokensLimit, defaultMaxTokens, chatTemplate, maxBodyBytes, dataDir, databaseUrl,
                databaseUser, databasePassword, apiKey, apiKeysFile, metricsRequireKey, repack, parseSpecialInContent, http, replicaName,
                kvRamBudgetBytes, kvDiskBudgetBytes, kvShared, files, credits, embedding, models,
                dev.parley.runtime.engine.Speculation.draft(file, speculation.maxDraft(), speculation.draftMinP()),
                new ModelReference.LocalFile(file));
    }

    /** Thrown for --help: the caller prints {@link #usage()} and exits 0. */
    public static final class HelpRequested extends RuntimeException {
        public HelpRequested() {
            super("help", null, false, false);
        }
    }

    public static String usage() {
        StringBuilder b = new StringBuilder("Usage: ./parley serve [options]\n\nEvery option can also be set by its environment variable"
                + " or in a --config properties file (key = option name).\n\n");
        for (Option o : Option.ALL) {
            String left = o.flag() + (o.isSwitch() ? "" : " " + o.valueName());
            b.append(String.format("  %-28s %s%n  %-28s %s%s%n", left, o.description(), "", o.env(),
                    o.defaultValue() == null || o.isSwitch() ? "" : " (default " + o.defaultValue() + ")"));
        }
        return b.toString();
    }

    public static ServerConfig load(String[] args, Map<String, String> env) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                throw new HelpRequested();
            }
            String name = a.startsWith("--") ? a.substring(2) : null;
            String inline = null;
            if (name != null && name.contains("=")) {
                inline = name.substring(name.indexOf('=') + 1);
                name = name.substring(0, name.indexOf('='));
            }
            Option o = name == null ? null : Option.byName(name);
            if (o == null) {
                throw new ConfigException("unknown option '" + a + "' (see --help)");
            }
            if (o.isSwitch()) {
                flags.put(name, inline == null ? "true" : inline);
            } else if (inline != null) {
                flag(flags, name, inline);
            } else if (i + 1 < args.length) {
                flag(flags, name, args[++i]);
            } else {
                throw new ConfigException(o.flag() + " needs a value: " + o.valueName());
            }
        }
        Map<String, String> values = new HashMap<>();
        for (Option o : Option.ALL) {
            if (o.defaultValue() != null) {
                values.put(o.name(), o.defaultValue());
            }
        }
        String configFile = flags.getOrDefault("config", env.get(Option.byName("config").env()));
        if (configFile != null) {
            values.putAll(readFile(Path.of(configFile)));
        }
        for (Option o : Option.ALL) {
            String v = env.get(o.env());
            if (v != null && !v.isBlank()) {
                values.put(o.name(), v);
            }
        }
        values.putAll(flags);
        java.util.Set<String> explicit = new java.util.HashSet<>(values.keySet());
        for (Option o : Option.ALL) {
            if (o.defaultValue() != null && o.defaultValue().equals(values.get(o.name())) && !flags.containsKey(o.name())
                    && env.get(o.env()) == null) {
                explicit.remove(o.name());
            }
        }
        return from(new Values(values), explicit.contains("ctx-size"), env);
    }

    /** Records a flag; a repeated --model adds a model (the values are kept one a line), any other repeated flag wins. */
    private static void flag(Map<String, String> flags, String name, String value) {
        if (name.equals("model") && flags.containsKey(name)) {
            flags.put(name, flags.get(name) + "\n" + value);
        } else {
            flags.put(name, value);
        }
    }

    private static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (Option.byName(key) == null || key.equals("config")) {
                throw new ConfigException("config file " + file + ": unknown key '" + key + "' (keys are option names, see --help)");
            }
            out.put(key, p.getProperty(key).strip());
        }
        return out;
    }

    /** Typed access with one-line errors naming the option. */
    private record Values(Map<String, String> raw) {
        String string(String name) {
            return raw.get(name);
        }

        int integer(String name, int min, int max) {
            String v = raw.get(name);
            try {
                int n = Integer.parseInt(v.strip());
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException | NullPointerException ignored) {
                // reported below
            }
            throw new ConfigException("--" + name + ": expected a whole number from " + min + " to " + max + ", got '" + v + "'");
        }

        boolean bool(String name) {
            String v = raw.getOrDefault(name, "false").strip().toLowerCase(Locale.ROOT);
            return switch (v) {
                case "true", "1", "yes", "on" -> true;
                case "false", "0", "no", "off" -> false;
                default -> throw new ConfigException("--" + name + ": expected true or false, got '" + v + "'");
            };
        }

        Path file(String name, boolean mustExist) {
            String v = raw.get(name);
            if (v == null || v.isBlank()) {
                return null;
            }
            Path p = Path.of(v);
            if (mustExist && !Files.isRegularFile(p)) {
                throw new ConfigException("--" + name + ": no such file: " + p.toAbsolutePath());
            }
            return p;
        }
    }

    private static ServerConfig from(Values v, boolean contextSizeSet, Map<String, String> env) {
        String device = v.string("device").strip().toLowerCase(Locale.ROOT);
        if (!java.util.Set.of("auto", "cuda", "cpu").contains(device)) {
            throw new ConfigException("--device: expected auto, cuda or cpu, got '" + v.string("device") + "'");
        }
        KvCacheType kv;
        try {
            kv = KvCacheType.parse(v.string("kv-cache-type"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--kv-cache-type: " + e.getMessage());
        }
        ContextOptions.FlashAttention fa = switch (v.string("flash-attn").strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> ContextOptions.FlashAttention.AUTO;
            case "on", "true", "enabled" -> ContextOptions.FlashAttention.ON;
            case "off", "false", "disabled" -> ContextOptions.FlashAttention.OFF;
            default -> throw new ConfigException("--flash-attn: expected auto, on or off, got '" + v.string("flash-attn") + "'");
        };
        int batch = v.integer("batch-size", 1, 1 << 16);
        int ubatch = v.integer("ubatch-size", 1, 1 << 16);
        if (ubatch > batch) {
            throw new ConfigException("--ubatch-size (" + ubatch + ") must not exceed --batch-size (" + batch + ")");
        }
        int slots = v.integer("slots", 1, 256);
        int ctx = v.integer("ctx-size", 16, 1 << 24);
        boolean unified = !v.bool("no-kv-unified");
        if (!unified && ctx / slots < 16) {
            throw new ConfigException("--ctx-size " + ctx + " split over " + slots + " slots leaves " + ctx / slots + " cells each: too few");
        }
        int limit = v.integer("max-tokens-limit", 1, 1 << 24);
        int dflt = v.integer("default-max-tokens", 1, 1 << 24);
        if (dflt > limit) {
            throw new ConfigException("--default-max-tokens (" + dflt + ") exceeds --max-tokens-limit (" + limit + ")");
        }
        String gpu = v.string("n-gpu-layers");
        Integer gpuLayers = gpu == null || gpu.isBlank() || gpu.equals("auto") ? null : v.integer("n-gpu-layers", -1, 100_000);
        ModelSources sources;
        try {
            sources = ModelSources.from(env);
        } catch (ModelReferenceException e) {
            throw new ConfigException(e.getMessage());
        }
        ModelsSettings models = models(v);
        ModelReference model = models.several() ? models.catalog().reference(models.catalog().defaultName()) : model(v.string("model"));
        return new ServerConfig(model, sources, device, contextSizeSet, v.string("host"), v.integer("port", 0, 65535), slots, ctx, gpuLayers,
                batch, ubatch, v.integer("threads", 1, 1024), v.integer("threads-batch", 1, 1024), kv, unified, fa,
                !v.bool("no-prefix-reuse"), v.integer("queue-size", 0, 1_000_000), Duration.ofSeconds(v.integer("queue-timeout", 1, 86_400)),
                limit, dflt, v.file("chat-template", true), v.integer("max-body-size", 1024, Integer.MAX_VALUE),
                Path.of(v.string("data-dir")), databaseUrl(v.string("database-url")), v.string("database-user"),
                v.string("database-password"), v.string("api-key"), v.file("api-keys-file", true), v.bool("metrics-require-key"),
                !v.bool("no-repack"), v.bool("parse-special-in-content"), http(v),
                replicaName(v.string("replica-name")), kvRamBudget(v.string("kv-ram-budget")),
                v.bool("no-kv-disk") ? 0 : size("kv-disk-budget", v.string("kv-disk-budget")), kvShared(v), files(v), credits(v),
                embedding(v.string("embedding")), models, speculation(v), modelDraft(v, models));
    }

    /**
     * Several models when --models-dir is given, --model is repeated or names its model (NAME=REF); else
     * the single --model of before. Every local file must exist now.
     */
    private static ModelsSettings models(Values v) {
        String raw = v.string("model");
        java.util.List<String> flags = raw == null || raw.isBlank() ? java.util.List.of() : java.util.List.of(raw.split("\n"));
        String dir = v.string("models-dir");
        Duration keepAlive = keepAlive(v.string("keep-alive"));
        int maxLoaded = v.integer("models-max-loaded", 1, 1024);
        boolean named = flags.size() == 1 && flags.getFirst().matches("[A-Za-z0-9][A-Za-z0-9._:@+-]*=.+");
        if ((dir == null || dir.isBlank()) && flags.size() <= 1 && !named) {
            return new ModelsSettings(null, keepAlive, maxLoaded);
        }
        dev.parley.server.models.ModelCatalog catalog;
        try {
            catalog = dev.parley.server.models.ModelCatalog.of(flags, dir == null || dir.isBlank() ? null : Path.of(dir));
        } catch (ModelReferenceException e) {
            throw new ConfigException(e.getMessage());
        }
        if (catalog.names().isEmpty()) {
            throw new ConfigException("--models-dir " + dir + ": no .gguf file there and no --model given");
        }
        for (String name : catalog.names()) {
            if (catalog.reference(name) instanceof ModelReference.LocalFile f && !Files.isRegularFile(f.path())) {
                throw new ConfigException("model " + name + ": no such file: " + f.path().toAbsolutePath());
            }
        }
        return new ModelsSettings(catalog, keepAlive, maxLoaded);
    }

    /** {@code --keep-alive}: 5m, 1h30m, 300s, 250ms or plain seconds; negative keeps models loaded for ever. */
    static Duration keepAlive(String text) {
        String s = text == null ? "5m" : text.strip();
        java.util.regex.Matcher plain = java.util.regex.Pattern.compile("-?\\d+").matcher(s);
        if (plain.matches()) {
            return Duration.ofSeconds(Long.parseLong(s));
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(-?)((?:\\d+(?:ms|h|m|s))+)").matcher(s);
        if (!m.matches()) {
            throw new ConfigException("--keep-alive: expected a duration such as 5m, 1h30m, 300s or -1, got '" + text + "'");
        }
        Duration d = Duration.ZERO;
        java.util.regex.Matcher part = java.util.regex.Pattern.compile("(\\d+)(ms|h|m|s)").matcher(m.group(2));
        while (part.find()) {
            long n = Long.parseLong(part.group(1));
            d = d.plus(switch (part.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
        }
        return m.group(1).isEmpty() ? d : Duration.ofSeconds(-1);
    }

    /**
     * --speculative ngram|draft|off and --speculative-max N. With a draft model the file is not known
     * before a download, so the draft mode shows here as {@link #modelDraft} and the speculation is
     * completed by {@link #withModelDraft} at start.
     */
    private static dev.parley.runtime.engine.Speculation speculation(Values v) {
        int max = v.integer("speculative-max", 1, 64);
        String draft = v.string("model-draft");
        boolean hasDraft = draft != null && !draft.isBlank();
        try {
            // The placeholder path only checks the combination of flags; withModelDraft puts the real one.
            dev.parley.runtime.engine.Speculation s = dev.parley.runtime.engine.Speculation.parse(v.string("speculative"), max,
                    hasDraft ? Path.of(draft) : null);
            float minP = Float.parseFloat(v.string("draft-p-min").strip());
            return (s.draftModel() != null ? new dev.parley.runtime.engine.Speculation(false, max) : s).withDraftMinP(minP);
        } catch (NumberFormatException e) {
            throw new ConfigException("--draft-p-min: expected a number between 0 and 1, got '" + v.string("draft-p-min") + "'");
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** --model-draft: the draft model's reference, or null. */
    private static ModelReference modelDraft(Values v, ModelsSettings models) {
        String value = v.string("model-draft");
        if (value == null || value.isBlank()) {
            return null;
        }
        if (models.several()) {
            throw new ConfigException("--model-draft drafts for one model: it cannot be used with several models (--models-dir or NAME=REF)");
        }
        try {
            ModelReference ref = ModelReference.parse(value);
            if (ref instanceof ModelReference.LocalFile f && !Files.isRegularFile(f.path())) {
                throw new ConfigException("--model-draft: no such file: " + f.path().toAbsolutePath());
            }
            return ref;
        } catch (ModelReferenceException e) {
            throw new ConfigException("--model-draft: " + e.getMessage());
        }
    }


    /** The shared KV tier, or null when --kv-shared is not given. */
    private static dev.parley.runtime.kv.SharedSettings kvShared(Values v) {
        String url = v.string("kv-shared");
        if (url == null || url.isBlank()) {
            return null;
        }
        Duration ttl = Duration.ofSeconds(v.integer("kv-shared-ttl", 1, 365 * 86_400));
        try {
            return new dev.parley.runtime.kv.SharedSettings(url.strip(), ttl, v.string("kv-shared-password"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--kv-shared: " + e.getMessage());
        }
    }

    /**
     * The --model reference, checked in shape now; a local file (and each part of a split one) must exist now,
     * a download waits for the server's start.
     */
    private static ModelReference model(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            ModelReference ref = ModelReference.parse(value);
            if (ref instanceof ModelReference.LocalFile f) {
                if (!Files.exists(f.path()) && !value.toLowerCase(Locale.ROOT).endsWith(".gguf") && value.matches("[^/]+/[^/:]+")) {
                    throw new ConfigException("--model: no such file: " + f.path().toAbsolutePath() + " (for the Hugging Face repo write hf:" + value + ")");
                }
                if (!Files.isRegularFile(f.path())) {
                    throw new ConfigException("--model: no such file: " + f.path().toAbsolutePath());
                }
                SplitGguf.parts(f.path());
            }
            return ref;
        } catch (ModelReferenceException e) {
            throw new ConfigException("--model: " + e.getMessage());
        }
    }

    /** {@code --embedding}: a forced pooling, or null for the GGUF's own. */
    private static Pooling embedding(String v) {
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Pooling.parse(v.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--embedding: " + e.getMessage());
        }
    }

    private static CreditPrices credits(Values v) {
        return new CreditPrices(price(v, "credits-per-1k-prompt"), price(v, "credits-per-1k-cached-prompt"), price(v, "credits-per-1k-completion"));
    }

    /** A price per 1,000 tokens: 0 to 1,000,000 credits, at most 3 decimals (a token then costs whole millionths). */
    private static java.math.BigDecimal price(Values v, String name) {
        String raw = v.string(name);
        try {
            java.math.BigDecimal p = new java.math.BigDecimal(raw.strip());
            if (p.signum() >= 0 && p.compareTo(java.math.BigDecimal.valueOf(1_000_000)) <= 0 && p.stripTrailingZeros().scale() <= 3) {
                return p;
            }
        } catch (NumberFormatException | NullPointerException ignored) {
            // reported below
        }
        throw new ConfigException("--" + name + ": expected credits per 1,000 tokens from 0 to 1000000 with at most 3 decimals, got '" + raw + "'");
    }

    private static FileSettings files(Values v) {
        long maxBytes = size("file-max-size", v.string("file-max-size"));
        if (maxBytes < 1) {
            throw new ConfigException("--file-max-size must be at least 1 byte");
        }
        return new FileSettings(maxBytes, v.integer("file-max-text", 1, Integer.MAX_VALUE),
                Duration.ofSeconds(v.integer("file-extract-timeout", 1, 3600)));
    }

    private static HttpSettings http(Values v) {
        String hosts = v.string("allowed-hosts");
        java.util.Set<String> allowed = hosts == null || hosts.isBlank() ? null
                : hosts.strip().equals("*") ? java.util.Set.of() : list(hosts);
        java.util.Set<String> origins = new java.util.HashSet<>();
        for (String name : new String[] {"allowed-origins", "cors-origins"}) {
            String given = v.string(name);
            if (given == null || given.isBlank()) {
                continue;
            }
            for (String o : list(given)) {
                if (!o.equals("*") && !o.matches("https?://[^/\\s]+")) {
                    throw new ConfigException("--" + name + ": expected origins like https://app.example.com (scheme://host[:port], no path) or *, got '" + o + "'");
                }
                origins.add(o);
            }
        }
        return new HttpSettings(allowed, java.util.Set.copyOf(origins), Duration.ofSeconds(v.integer("header-timeout", 1, 3600)),
                Duration.ofSeconds(v.integer("body-timeout", 1, 86_400)), Duration.ofSeconds(v.integer("idle-timeout", 1, 86_400)),
                v.integer("max-connections", 1, 1_000_000), (long) v.integer("body-memory-mb", 0, 1 << 20) << 20,
                Duration.ofSeconds(v.integer("shutdown-grace", 0, 3600)));
    }

    /** A comma-separated list, trimmed and lower-cased. */
    private static java.util.Set<String> list(String csv) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (String item : csv.split(",")) {
            if (!item.isBlank()) {
                out.add(item.strip().toLowerCase(Locale.ROOT));
            }
        }
        return java.util.Set.copyOf(out);
    }

    private static String replicaName(String name) {
        if (name == null || name.isBlank()) {
            return null;
        }
        // It travels in a response header: keep it to characters every proxy passes untouched.
        if (!name.matches("[A-Za-z0-9._-]{1,63}")) {
            throw new ConfigException("--replica-name: expected 1 to 63 letters, digits, '.', '_' or '-', got '" + name + "'");
        }
        return name;
    }

    /** "auto": a quarter of physical memory, at most 8 GiB (llama-server's default --cache-ram). */
    private static long kvRamBudget(String value) {
        if (value.strip().equalsIgnoreCase("auto")) {
            long physical = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                    .getTotalMemorySize();
            return Math.min(8L << 30, physical / 4);
        }
        return size("kv-ram-budget", value);
    }

    private static long size(String option, String value) {
        try {
            return dev.parley.runtime.kv.KvSettings.parseSize(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--" + option + ": " + e.getMessage());
        }
    }

    private static String databaseUrl(String url) {
        if (url != null && !url.isBlank() && !url.startsWith("jdbc:postgresql:")) {
            throw new ConfigException("--database-url: expected a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db), got '" + url + "'");
        }
        return url == null || url.isBlank() ? null : url;
    }
}
