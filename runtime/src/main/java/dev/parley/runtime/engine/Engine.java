package dev.parley.runtime.engine;

import dev.parley.bindings.Backends;
import dev.parley.bindings.LlamaContext;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelOptions;
import dev.parley.bindings.Vocab;
import dev.parley.bindings.grammar.Grammar;
import dev.parley.bindings.grammar.GrammarException;
import dev.parley.bindings.NativeLibraries;
import dev.parley.runtime.embed.Embedder;
import dev.parley.bindings.Pooling;
import dev.parley.runtime.format.ChatFormat;
import dev.parley.runtime.kv.Fingerprint;
import dev.parley.runtime.kv.KvSettings;
import dev.parley.runtime.kv.KvTierStats;
import dev.parley.runtime.kv.KvTiers;
import dev.parley.runtime.kv.SharedTier;
import dev.parley.runtime.kv.SharedTierStats;
import dev.parley.runtime.template.ChatTemplate;
import dev.parley.runtime.template.ChatTemplateException;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The inference engine: one model, one context of N slots, one scheduler thread. Requests are
 * rendered and tokenized on the caller's thread (so bad input fails there, before any queueing),
 * then wait in a bounded FIFO queue for a slot.
 */
public final class Engine implements AutoCloseable, EngineClient {

    private static final System.Logger LOG = System.getLogger("parley.engine");

    private final EngineConfig config;
    private final LlamaModel model;
    private final LlamaContext context;
    private final ChatTemplate template;
    /** What the model's output means (thinking markers, call markup), chosen once from the template. */
    private final ChatFormat format;
    private final ModelInfo info;
    private final ArrayBlockingQueue<Pending> queue;
    private final Scheduler scheduler;
    private final Thread thread;
    private final int slotCapacity;
    private final EngineObserver observer;
    /** Keeps message text from becoming control tokens; null when the config says to parse them (the old way). */
    private final ContentTokenizer content;
    /** Null when both tiers are off. */
    private final KvTiers tiers;
    /** Null without a shared tier (or without local tiers to take what it fetches). */
    private final SharedTier shared;
    private volatile boolean accepting = true;
    /** Drafts for speculative decoding with a second model; null without one. Closed after the scheduler stops. */
    private final DraftModel draftModel;
    /** The embedding context on the same model, when one was opened; null otherwise. */
    private volatile Embedder embedder;

    private Engine(EngineConfig config, EngineObserver observer) {
        this.config = config;
        this.observer = observer;
        int gpuLayers = config.gpuLayers() != null ? config.gpuLayers() : Backends.gpuOffloadAvailable() ? -1 : 0;
        this.model = LlamaModel.load(config.model(), ModelOptions.cpu().withGpuLayers(gpuLayers).withRepack(config.repack()));
        try {
            this.template = loadTemplate(config, model);
            this.format = ChatFormat.detect(template == null ? null : template.source());
            this.context = LlamaContext.create(model, config.contextOptions());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        this.slotCapacity = config.unifiedKv() ? context.contextSize() : context.contextSize() / config.slots();
        Speculation speculation = config.speculation();
        try {
            // Before the tiers: a draft model that cannot draft for this one stops the start before any disk or network work.
            // Whole on the GPU whenever the target uses it (the device plan kept room for it), else on the CPU.
            int draftLayers = gpuLayers == 0 ? 0 : -1;
            this.draftModel = speculation.draftModel() != null && !model.isRecurrent()
                    ? DraftModel.open(speculation.draftModel(), model.vocab(), config.contextOptions(), draftLayers, config.repack(), slotCapacity,
                            speculation.draftMinP())
                    : null;
        } catch (RuntimeException e) {
            context.close();
            model.close();
            throw e;
        }
        this.info = describe(model, config);
        this.content = config.parseSpecialInContent() ? null : new ContentTokenizer(model.vocab());
        this.queue = new ArrayBlockingQueue<>(Math.max(1, config.queueCapacity()));
        KvSettings kvs = config.kvTiers();
        try {
            byte[] fp = kvs.enabled() && config.prefixReuse() ? fingerprint(config) : null;
            this.tiers = fp != null ? KvTiers.open(kvs, fp) : null;
            if (kvs.shared() != null && tiers == null) {
                LOG.log(System.Logger.Level.WARNING, "the KV shared tier needs a local tier (RAM or disk) and prefix reuse: it stays off");
            }
            // A quarter of the RAM budget may wait for the shared tier's writer (at least 256 MiB).
            this.shared = kvs.shared() != null && tiers != null
                    ? SharedTier.open(kvs.shared(), fp, Math.max(256L << 20, kvs.ramBudgetBytes() / 4), new SharedTier.Listener() {
                        @Override
                        public void fetched(long bytes, long nanos) {
                            observer.kvSharedFetched(bytes, nanos);
                        }

                        @Override
                        public void written(long bytes, long nanos) {
                            observer.kvSharedWritten(bytes, nanos);
                        }
                    })
                    : null;
        } catch (RuntimeException e) {
            if (draftModel != null) {
                draftModel.close();
            }
            context.close();
            model.close();
            throw e;
        }
        this.scheduler = new Scheduler(new ContextExecutor(context), slotCapacity, queue, config.queueTimeout().toNanos(), config.prefixReuse(), observer,
                tiers, shared, config.kvTiers().conversationHold().toNanos(), speculation,
                draftModel != null ? draftModel : NgramDrafter.LOOKUP);
        this.thread = Thread.ofPlatform().name("parley-scheduler").daemon(false).unstarted(scheduler);
        thread.start();
        LOG.log(System.Logger.Level.INFO, String.format("engine ready: %s, %d slots, context %d (%s), batch %d, gpu layers %s, prefix reuse %s, speculative %s, chat format %s",
                model.description(), config.slots(), context.contextSize(), config.unifiedKv() ? "unified" : slotCapacity + " per slot",
                context.batchSize(), gpuLayers < 0 ? "all" : gpuLayers, config.prefixReuse() ? "on" : "off",
                !speculation.on() ? "off" : model.isRecurrent() ? "off (a recurrent model cannot roll drafts back)"
                        : (draftModel != null ? "draft model " + draftModel.description() : "ngram") + ", up to " + speculation.maxDraft() + " tokens",
                format.name()));
        KvSettings kv = config.kvTiers();
        LOG.log(System.Logger.Level.INFO, tiers == null ? "KV tiers off: a slot's KV is dropped when another conversation takes the slot"
                : "KV tiers: RAM " + (kv.ramBudgetBytes() > 0 ? KvSettings.formatSize(kv.ramBudgetBytes()) : "off")
                + ", disk " + (tiers.directory() != null ? KvSettings.formatSize(kv.diskBudgetBytes()) + " in " + tiers.directory() : "off")
                + ", conversation hold " + kv.conversationHold().toMillis() + " ms" + (shared != null ? ", shared " + shared.describe() : ""));
    }

    /** What a saved KV state depends on: the model file, the KV cache layout, and the llama.cpp build. */
    private static byte[] fingerprint(EngineConfig config) {
        String layout = "type=" + config.kvCacheType() + ";flash=" + config.flashAttention() + ";unified=" + config.unifiedKv()
                + ";llama=" + NativeLibraries.pinnedVersion();
        return Fingerprint.of(config.model(), layout);
    }

    public static Engine start(EngineConfig config) {
        return new Engine(config, EngineObserver.NONE);
    }

    public static Engine start(EngineConfig config, EngineObserver observer) {
        return new Engine(config, observer);
    }

    private static ChatTemplate loadTemplate(EngineConfig config, LlamaModel model) {
        if (config.chatTemplateOverride() != null) {
            return ChatTemplate.fromFile(config.chatTemplateOverride());
        }
        return model.chatTemplate(null).map(src -> ChatTemplate.compile(model.path().getFileName() + " (tokenizer.chat_template)", src)).orElse(null);
    }

    private static ModelInfo describe(LlamaModel model, EngineConfig config) {
        Vocab v = model.vocab();
        return new ModelInfo(model.path(), model.metadata("general.name").orElse(model.path().getFileName().toString()),
                model.metadata("general.architecture").orElse("unknown"), model.description(), model.contextLengthTrained(),
                model.parameterCount(), model.sizeBytes(), model.layerCount(), v.size(),
                v.isValid(v.bos()) ? v.tokenText(v.bos()) : "", v.isValid(v.eos()) ? v.tokenText(v.eos()) : "",
                config.chatTemplateOverride() != null);
    }

    public ModelInfo model() {
        return info;
    }

    /**
     * Opens the embedding context beside the generation one, on the same loaded weights, with its own
     * thread (see {@link Embedder}): {@code forced} pooling, or the GGUF's own when null. Inputs of up to
     * {@code tokens} tokens, {@link EngineConfig#slots()} of them a batch.
     *
     * @throws IllegalArgumentException when the model declares no pooling and none is forced
     */
    public synchronized Embedder openEmbedder(Pooling forced, int tokens) {
        if (embedder != null) {
            throw new IllegalStateException("the embedder is already open");
        }
        embedder = Embedder.open(model, forced, tokens, config.slots(), config.batchThreads(), Math.max(1, config.queueCapacity()),
                config.queueTimeout().toNanos());
        return embedder;
    }

    /** The GGUF's declared pooling type (NONE for a generative model). */
    public Pooling declaredPooling() {
        return model.declaredPooling();
    }

    /** The embedder opened by {@link #openEmbedder}, or null. */
    public Embedder embedder() {
        return embedder;
    }

    public EngineConfig config() {
        return config;
    }

    /** Tokens one generation can hold (prompt and output). */
    public int slotCapacity() {
        return slotCapacity;
    }

    public boolean hasChatTemplate() {
        return template != null;
    }

    /** The chat template's source (the model's or the operator's), or null. */
    public String chatTemplateSource() {
        return template == null ? null : template.source();
    }

    /**
     * The chat format, chosen from the template at load: thinking markers, tool-call markup, the grammar
     * that forces a call and the parsers of a reply. Without a template, {@link ChatFormat#UNTEMPLATED}.
     */
    @Override
    public ChatFormat chatFormat() {
        return format;
    }

    public List<SlotInfo> slots() {
        return List.of(scheduler.slotInfos());
    }

    public int queueLength() {
        return queue.size();
    }

    /**
     * The fraction of the context's KV cells that hold some slot's tokens, from 0 to 1: what a router
     * reads as KV-cache utilisation. Cells kept for idle slots count as used (they are reusable
     * prefixes, freed only when a new prompt needs the room).
     */
    public double kvCacheUsage() {
        long used = 0;
        for (SlotInfo s : scheduler.slotInfos()) {
            used += s.cachedTokens();
        }
        return Math.min(1.0, (double) used / context.contextSize());
    }

    /** Whether the scheduler thread is alive and requests are accepted. */
    public boolean ready() {
        return accepting && thread.isAlive();
    }

    /** Whether close() has begun and running generations are still finishing: new requests are refused. */
    public boolean draining() {
        return !accepting && thread.isAlive();
    }

    public EngineStats stats() {
        Scheduler.Counters c = scheduler.counters;
        return new EngineStats(queue.size(), scheduler.activeSlots(), c.promptTokens.sum(), c.cachedPromptTokens.sum(),
                c.generatedTokens.sum(), c.finished.sum(), c.cancelled.sum(), c.failed.sum(), c.steps.sum(), c.stepNanos.sum(),
                c.decodeNanos.sum(), c.samplingNanos.sum(), c.draftedTokens.sum(), c.acceptedTokens.sum());
    }

    /** How many tokens a chat's prompt takes, rendered and tokenized exactly as {@link #submit} would. */
    public int promptTokens(Prompt.Chat chat) {
        return prepare(chat).tokenCount();
    }

    /**
     * Renders and tokenizes a chat exactly as {@link #submit} would; submitting the result (as the
     * request's prompt) does not render it again.
     */
    public Prompt.Prepared prepare(Prompt.Chat chat) {
        RenderedChat r = renderChat(chat);
        return new Prompt.Prepared(this, chat, r.text(), r.tokens());
    }

    /** Whether the KV disk tier's disk is full (its writes are skipped until space returns). */
    public boolean kvDiskFull() {
        return tiers != null && tiers.diskFull();
    }

    /** The KV tiers' contents and counters ({@link KvTierStats#NONE} when they are off). */
    public KvTierStats kvStats() {
        return tiers == null ? KvTierStats.NONE : tiers.stats();
    }

    /** The shared tier's counters, or null without one. */
    public SharedTierStats kvSharedStats() {
        return shared == null ? null : shared.stats();
    }

    /** Waits until the shared tier's writer has taken every queued state (tests). */
    public void awaitKvSharedWrites() {
        if (shared != null) {
            shared.awaitWrites();
        }
    }

    /**
     * Before queueing: when the shared tier holds more of the prompt than this replica's slots and
     * tiers, and fetching it beats prefilling the difference, it is fetched (on this, the request's
     * thread, not the scheduler's) into the local tiers, where admission finds it.
     */
    private void importShared(GenerationRequest request, int[] tokens) {
        if (shared == null) {
            return;
        }
        String ns = request.cacheNamespace();
        int local = Math.max(tiers.longestPrefix(ns, tokens, tokens.length), scheduler.slotPrefixHint(tokens, ns));
        if (local >= tokens.length - 1) {
            return;
        }
        SharedTier.Found f = shared.lookup(ns, tokens, tokens.length);
        if (f == null || f.tokens() <= local || !shared.worthFetching(f, f.tokens() - local)) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            SharedTier.Fetched x = shared.fetch(f, ns, tokens, tokens.length, arena);
            if (x != null && x.tokens().length <= slotCapacity) {
                tiers.importState(ns, x.tokens(), x.state(), request.conversation() != null);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.log(System.Logger.Level.WARNING, "could not take a state from the KV shared tier: " + e);
        }
    }

    /** Waits until the disk tier has written every entry handed to it (tests; shutdown does this itself). */
    public void awaitKvWrites() {
        if (tiers != null) {
            tiers.awaitWrites();
        }
    }

    /** The prompt text a chat renders to with this model's template. */
    public String render(Prompt.Chat chat) {
        return renderTemplate(chat);
    }

    /** A chat's prompt text and its tokens. */
    private record RenderedChat(String text, int[] tokens) {}

    /**
     * Renders and tokenizes a chat. The template's own control tokens are parsed; control-token text
     * inside messages stays text unless the config asks for the old behaviour (see {@link ContentTokenizer}).
     */
    private RenderedChat renderChat(Prompt.Chat chat) {
        Vocab vocab = model.vocab();
        if (content == null) {
            String text = renderTemplate(chat);
            return new RenderedChat(text, vocab.tokenize(text, false, true)); // the template writes BOS itself
        }
        String withPlaceholders = renderTemplate(content.defuse(chat));
        return new RenderedChat(content.restore(withPlaceholders), content.tokens(withPlaceholders));
    }

    private String renderTemplate(Prompt.Chat chat) {
        if (template == null) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "the model has no chat template (tokenizer.chat_template): "
                    + "send a raw prompt, or start the server with a chat template file");
        }
        Map<String, Object> vars = new HashMap<>(chat.templateArguments());
        vars.put("messages", chat.messages());
        vars.put("add_generation_prompt", chat.addGenerationPrompt());
        vars.put("tools", chat.tools());
        vars.put("bos_token", info.bosToken());
        vars.put("eos_token", info.eosToken());
        if (chat.enableThinking() != null) {
            vars.put("enable_thinking", chat.enableThinking());
        }
        try {
            return template.render(vars);
        } catch (ChatTemplateException e) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
    }

    /** The model's vocabulary, for tests in this package. */
    Vocab vocab() {
        return model.vocab();
    }

    /** The tokens a prompt becomes (chat prompts through the template). */
    public int[] tokenize(Prompt prompt) {
        return switch (prompt) {
            case Prompt.Chat chat -> renderChat(chat).tokens();
            case Prompt.Raw raw -> model.vocab().tokenize(raw.text(), true, true);
            case Prompt.Tokens ids -> ids.ids().clone();
            case Prompt.Prepared p -> p.tokens().clone();
        };
    }

    /** Text to tokens without the chat template (special-token text becomes its token), BOS added when {@code addSpecial}. */
    public int[] tokenize(String text, boolean addSpecial) {
        return model.vocab().tokenize(text, addSpecial, true);
    }

    /** How many tokens text takes inside a message: no BOS, control-token text counted as text (as the chat template's content is). */
    public int textTokens(String text) {
        return model.vocab().tokenize(text, false, false).length;
    }

    /** Tokens to text; every id is checked against the vocabulary first. {@code renderSpecial} writes special tokens' text. */
    public String detokenize(int[] tokens, boolean renderSpecial) {
        Vocab vocab = model.vocab();
        for (int i = 0; i < tokens.length; i++) {
            if (!vocab.isValid(tokens[i])) {
                throw new EngineException(ErrorCode.INVALID_REQUEST, "token " + i + " (" + tokens[i]
                        + ") is not in the vocabulary: ids go from 0 to " + (vocab.size() - 1));
            }
        }
        return vocab.detokenize(tokens, renderSpecial);
    }

    /**
     * Pins the prefixes the request's cache hints name. A message prefix is rendered without the
     * generation prompt and tokenized; what it shares with the prompt's tokens is pinned (the
     * tokenization may differ where the prefix ends). A prefix the template cannot render alone is skipped.
     */
    private void pinHints(GenerationRequest request, int[] tokens) {
        if (tiers == null) {
            return;
        }
        for (CacheHint h : request.cacheHints()) {
            int length = tokens.length;
            if (h.messages() != CacheHint.WHOLE_PROMPT) {
                Prompt.Chat chat = switch (request.prompt()) {
                    case Prompt.Chat c -> c;
                    case Prompt.Prepared p -> p.chat();
                    default -> null;
                };
                if (chat == null || h.messages() > chat.messages().size()) {
                    continue;
                }
                try {
                    Prompt.Chat prefix = new Prompt.Chat(chat.messages().subList(0, h.messages()), false, chat.enableThinking(), chat.tools(),
                            chat.templateArguments());
                    int[] prefixTokens = renderChat(prefix).tokens();
                    length = 0;
                    while (length < prefixTokens.length && length < tokens.length && prefixTokens[length] == tokens[length]) {
                        length++;
                    }
                } catch (EngineException | IllegalArgumentException e) {
                    continue;
                }
            }
            tiers.pin(request.cacheNamespace(), tokens, length, h.ttl().toMillis());
        }
    }

    /**
     * Renders, tokenizes and checks the request, then queues it. Refusals (bad input, a prompt longer
     * than a slot, a full queue, shutdown) are thrown here; everything later arrives on the stream.
     */
    public TokenStream submit(GenerationRequest request) {
        observer.requestSubmitted();
        try {
            return enqueue(request);
        } catch (EngineException e) {
            observer.requestFailed(e.code());
            throw e;
        }
    }

    private TokenStream enqueue(GenerationRequest request) {
        if (!accepting) {
            throw new EngineException(ErrorCode.SHUTTING_DOWN, "the server is shutting down");
        }
        String rendered;
        int[] tokens;
        Vocab vocab = model.vocab();
        switch (request.prompt()) {
            case Prompt.Chat chat -> {
                // Every message renders to at least one token: refuse what certainly cannot fit before paying for the render.
                if (chat.messages().size() > slotCapacity) {
                    throw new EngineException(ErrorCode.PROMPT_TOO_LONG, "the conversation has " + chat.messages().size()
                            + " messages, more than the " + slotCapacity + " tokens a slot holds");
                }
                RenderedChat r = renderChat(chat);
                rendered = r.text();
                tokens = r.tokens();
            }
            case Prompt.Raw raw -> {
                refuseCertainlyTooLong(raw.text(), vocab);
                rendered = raw.text();
                tokens = tokenize(raw);
            }
            case Prompt.Tokens ids -> {
                for (int i = 0; i < ids.ids().length; i++) {
                    if (!vocab.isValid(ids.ids()[i])) {
                        throw new EngineException(ErrorCode.INVALID_REQUEST, "token " + i + " (" + ids.ids()[i]
                                + ") is not in the vocabulary: ids go from 0 to " + (vocab.size() - 1));
                    }
                }
                tokens = ids.ids().clone();
                rendered = "";
            }
            case Prompt.Prepared p -> {
                if (!p.preparedBy(this)) {
                    throw new EngineException(ErrorCode.INVALID_REQUEST, "the prompt was prepared by another engine (another model)");
                }
                rendered = p.text(); // rendered and tokenized by prepare(): the template is not run again
                tokens = p.tokens();
            }
        }
        if (tokens.length == 0) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "the prompt is empty");
        }
        if (tokens.length > slotCapacity) {
            throw new EngineException(ErrorCode.PROMPT_TOO_LONG, "the prompt has " + tokens.length + " tokens; a slot holds at most "
                    + slotCapacity);
        }
        Grammar grammar = compileGrammar(request.grammar());
        pinHints(request, tokens);
        importShared(request, tokens);
        TokenStream stream = new TokenStream(request.id());
        if (!queue.offer(new Pending(request, tokens, format.thinking().start(rendered), grammar, stream, System.nanoTime()))) {
            throw new EngineException(ErrorCode.QUEUE_FULL, "all " + config.slots() + " slots are busy and " + queue.size()
                    + " requests are waiting: try again shortly");
        }
        return stream;
    }

    /**
     * Refuses a raw prompt whose text is certainly more tokens than a slot holds, before paying for
     * tokenizing it: no token stands for more than {@link Vocab#maxBytesPerToken()} bytes of text.
     * Cheapest first: a UTF-16 length is at most the UTF-8 length, and a third of it at least.
     */
    private void refuseCertainlyTooLong(String text, Vocab vocab) {
        int perToken = vocab.maxBytesPerToken();
        if (perToken == 0) {
            return; // this vocabulary gives no bound: the token count decides
        }
        long limit = (long) slotCapacity * perToken;
        if ((long) text.length() * 3 <= limit) {
            return;
        }
        long bytes = text.length() > limit ? text.length() : utf8Length(text);
        if (bytes > limit) {
            throw new EngineException(ErrorCode.PROMPT_TOO_LONG, "the prompt is at least " + bytes + " bytes, more than the "
                    + slotCapacity + " tokens a slot holds could cover (a token of this model stands for at most " + perToken + " bytes)");
        }
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * Checks a request's grammar before anything native sees it: llama.cpp aborts the process on
     * grammars it cannot follow. Null or blank means no grammar.
     */
    private Grammar compileGrammar(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Grammar.compile(text, model.vocab().grammarView());
        } catch (GrammarException e) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "invalid grammar: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    /**
     * Stops accepting, lets in-flight generations finish for up to {@code grace}, cancels the rest,
     * then frees native memory: scheduler resources, context, model.
     */
    public void close(Duration grace) {
        if (!accepting && !thread.isAlive()) {
            return;
        }
        accepting = false;
        scheduler.stop(System.nanoTime() + grace.toNanos());
        try {
            thread.join(grace.toMillis() + TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.log(System.Logger.Level.ERROR, "scheduler did not stop; leaking the native context rather than freeing it under it");
            return;
        }
        if (tiers != null) {
            tiers.close(); // after the scheduler saved the idle slots: RAM entries go to disk
        }
        if (shared != null) {
            shared.close(); // what the last turns queued is written first (bounded)
        }
        Embedder e = embedder;
        if (e != null) {
            e.close(); // its context before the model it was made on
        }
        if (draftModel != null) {
            draftModel.close();
        }
        context.close();
        model.close();
    }
}
