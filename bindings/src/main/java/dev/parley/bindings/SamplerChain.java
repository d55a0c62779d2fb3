package dev.parley.bindings;

import dev.parley.bindings.grammar.Grammar;
import dev.parley.bindings.grammar.GrammarException;
import dev.parley.bindings.grammar.GrammarState;
import dev.parley.bindings.llama.Llama;
import dev.parley.bindings.llama.llama_logit_bias;
import dev.parley.bindings.llama.llama_token_data;
import dev.parley.bindings.llama.llama_token_data_array;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * A llama.cpp sampler chain. Built once per request; {@link #sample} applies the chain to a row of
 * the last decode's logits and accepts the chosen token (so penalties and grammar advance).
 */
public final class SamplerChain implements AutoCloseable {

    private MemorySegment chain;
    /** Position of the penalties sampler in the chain, or -1. */
    private int penaltiesIndex = -1;
    /** Greedy with nothing before it: the token is the logits' argmax, and the chain keeps no state. */
    private boolean plainGreedy;

    /** With a grammar: its state mirrored in Java, advanced before the native grammar sees a token. */
    private GrammarState grammar;
    private Vocab vocab;
    /** With a grammar: the candidate array sampling applies the chain to, and a piece buffer (shared: closed from any thread). */
    private Arena grammarArena;
    private MemorySegment candidates;
    private MemorySegment candidateArray;
    private MemorySegment pieceBuffer;
    private byte[] piece;

    private SamplerChain(MemorySegment chain) {
        this.chain = chain;
    }

    public static Builder builder(Vocab vocab) {
        return new Builder(vocab);
    }

    /**
     * Samples from output row {@code batchIndex} of the last decode and accepts the token. With a
     * grammar, throws {@link GrammarException} (and accepts nothing) where llama.cpp's grammar would
     * end the process or its parses would multiply past {@link GrammarState#MAX_STACKS}: the request
     * fails, the process lives.
     */
    public int sample(LlamaContext context, int batchIndex) {
        if (plainGreedy) {
            return context.argmax(batchIndex);
        }
        if (grammar == null) {
            return Llama.llama_sampler_sample(handle(), context.nativeHandle(), batchIndex);
        }
        return sampleWithGrammar(context, batchIndex);
    }

    /** llama_sampler_sample's steps, with the Java grammar state accepting the token before the native chain does. */
    private int sampleWithGrammar(LlamaContext context, int batchIndex) {
        MemorySegment row = Llama.llama_get_logits_ith(context.nativeHandle(), batchIndex);
        if (row.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("no logits for batch index " + batchIndex + " in the last decode");
        }
        int n = vocab.size();
        MemorySegment logits = row.reinterpret((long) n * Float.BYTES);
        long stride = llama_token_data.LAYOUT.byteSize();
        for (int i = 0; i < n; i++) {
            long at = i * stride;
            candidates.set(ValueLayout.JAVA_INT, at + llama_token_data.id$OFFSET, i);
            candidates.set(ValueLayout.JAVA_FLOAT, at + llama_token_data.logit$OFFSET, logits.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            candidates.set(ValueLayout.JAVA_FLOAT, at + llama_token_data.p$OFFSET, 0f);
        }
        llama_token_data_array.data(candidateArray, candidates);
        llama_token_data_array.size(candidateArray, n);
        llama_token_data_array.selected(candidateArray, -1);
        llama_token_data_array.sorted(candidateArray, false);
        Llama.llama_sampler_apply(handle(), candidateArray);
        long selected = llama_token_data_array.selected(candidateArray);
        if (selected < 0 || selected >= llama_token_data_array.size(candidateArray)) {
            throw new NativeCallException("the sampler chain selected no token (" + selected + ")");
        }
        int token = candidates.get(ValueLayout.JAVA_INT, selected * stride + llama_token_data.id$OFFSET);
        grammar.accept(token, piece, piece(token), vocab.isEndOfGeneration(token));
        Llama.llama_sampler_accept(handle(), token);
        return token;
    }

    /** The token's piece with special tokens rendered (what llama.cpp's grammar matches) into {@link #piece}; its length. */
    private int piece(int token) {
        int n = Llama.llama_token_to_piece(vocab.handle(), token, pieceBuffer, (int) pieceBuffer.byteSize(), 0, true);
        if (n < 0) {
            pieceBuffer = grammarArena.allocate(-n);
            piece = new byte[-n];
            n = Llama.llama_token_to_piece(vocab.handle(), token, pieceBuffer, (int) pieceBuffer.byteSize(), 0, true);
            if (n < 0) {
                throw new NativeCallException("llama_token_to_piece failed for token " + token);
            }
        }
        MemorySegment.copy(pieceBuffer, ValueLayout.JAVA_BYTE, 0, piece, 0, n);
        return n;
    }

    /** Whether sampling is a plain argmax (greedy, no penalties, no grammar). */
    public boolean plainGreedy() {
        return plainGreedy;
    }

    /**
     * Feeds a prompt token to the penalties sampler only: penalties count the prompt, but a grammar
     * must see only generated text. Does nothing without penalties.
     */
    public void acceptPenaltyOnly(int token) {
        if (penaltiesIndex >= 0) {
            Llama.llama_sampler_accept(Llama.llama_sampler_chain_get(handle(), penaltiesIndex), token);
        }
    }

    public int length() {
        return Llama.llama_sampler_chain_n(handle());
    }

    private MemorySegment handle() {
        if (chain == null) {
            throw new IllegalStateException("sampler chain is closed");
        }
        return chain;
    }

    @Override
    public void close() {
        if (chain != null) {
            Llama.llama_sampler_free(chain);
            chain = null;
        }
        if (grammarArena != null) {
            grammarArena.close();
            grammarArena = null;
        }
    }

    /**
     * Adds samplers in llama-server's order: grammar, penalties, top-k, top-p, min-p, temperature,
     * then the final pick (greedy at temperature 0, else a seeded random draw).
     */
    public static final class Builder {
        private final Vocab vocab;
        private Grammar grammar;
        private int penaltyLastN = 64;
        private float repeatPenalty = 1.0f;
        private float frequencyPenalty;
        private float presencePenalty;
        private int topK;
        private float topP = 1.0f;
        private float minP;
        private float temperature;
        private long seed = 0xFFFFFFFFL;
        private Map<Integer, Float> logitBias = Map.of();

        private Builder(Vocab vocab) {
            this.vocab = vocab;
        }

        /**
         * Adds {@code bias} to the logit of each token before anything else sees it (OpenAI's
         * {@code logit_bias}; -100 effectively bans a token). Token ids are checked here.
         */
        public Builder logitBias(Map<Integer, Float> bias) {
            for (Map.Entry<Integer, Float> e : bias.entrySet()) {
                vocab.checkToken(e.getKey());
                if (!Float.isFinite(e.getValue())) {
                    throw new IllegalArgumentException("logit bias for token " + e.getKey() + " must be a finite number");
                }
            }
            this.logitBias = Map.copyOf(bias);
            return this;
        }

        /**
         * Constrains sampling to a grammar; null for none. Only a checked {@link Grammar} is taken:
         * llama.cpp aborts the process on grammars it cannot follow.
         */
        public Builder grammar(Grammar checked) {
            this.grammar = checked;
            return this;
        }

        public Builder penalties(int lastN, float repeat, float frequency, float presence) {
            if (lastN < -1) {
                throw new IllegalArgumentException("penalty last_n must be >= -1 (-1 = the whole context), got " + lastN);
            }
            this.penaltyLastN = lastN;
            this.repeatPenalty = repeat;
            this.frequencyPenalty = frequency;
            this.presencePenalty = presence;
            return this;
        }

        public Builder topK(int k) {
            this.topK = k;
            return this;
        }

        public Builder topP(float p) {
            this.topP = p;
            return this;
        }

        public Builder minP(float p) {
            this.minP = p;
            return this;
        }

        /** 0 (or below) means greedy. */
        public Builder temperature(float t) {
            this.temperature = t;
            return this;
        }

        /** Seed of the random draw; values outside 0..2^32-2 pick a random seed. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public SamplerChain build() {
            MemorySegment chain;
            try (Arena arena = Arena.ofConfined()) {
                chain = Llama.llama_sampler_chain_init(Llama.llama_sampler_chain_default_params(arena));
            }
            SamplerChain built = new SamplerChain(chain);
            try {
                if (!logitBias.isEmpty()) {
                    add(chain, logitBiasSampler());
                }
                if (grammar != null) {
                    add(chain, grammarSampler());
                    built.grammar = grammar.newState();
                    built.vocab = vocab;
                    built.grammarArena = Arena.ofShared();
                    built.candidates = built.grammarArena.allocate(llama_token_data.LAYOUT, vocab.size());
                    built.candidateArray = llama_token_data_array.allocate(built.grammarArena);
                    built.pieceBuffer = built.grammarArena.allocate(256);
                    built.piece = new byte[256];
                }
                if (repeatPenalty != 1.0f || frequencyPenalty != 0 || presencePenalty != 0) {
                    built.penaltiesIndex = Llama.llama_sampler_chain_n(chain);
                    add(chain, Llama.llama_sampler_init_penalties(vocab.size(), penaltyLastN, repeatPenalty, frequencyPenalty, presencePenalty));
                }
                if (temperature <= 0) {
                    built.plainGreedy = Llama.llama_sampler_chain_n(chain) == 0;
                    add(chain, Llama.llama_sampler_init_greedy());
                } else {
                    if (topK > 0) {
                        add(chain, Llama.llama_sampler_init_top_k(topK));
                    }
                    if (topP < 1.0f) {
                        add(chain, Llama.llama_sampler_init_top_p(topP, 1));
                    }
                    if (minP > 0) {
                        add(chain, Llama.llama_sampler_init_min_p(minP, 1));
                    }
                    add(chain, Llama.llama_sampler_init_temp(temperature));
                    int s = seed >= 0 && seed < 0xFFFFFFFFL ? (int) seed : (int) 0xFFFFFFFFL;
                    add(chain, Llama.llama_sampler_init_dist(s));
                }
                return built;
            } catch (RuntimeException e) {
                built.close();
                throw e;
            }
        }

        private MemorySegment logitBiasSampler() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment array = arena.allocate(llama_logit_bias.LAYOUT, logitBias.size());
                int i = 0;
                for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
                    MemorySegment entry = array.asSlice(i++ * llama_logit_bias.LAYOUT.byteSize(), llama_logit_bias.LAYOUT);
                    llama_logit_bias.token(entry, e.getKey());
                    llama_logit_bias.bias(entry, e.getValue());
                }
                // llama.cpp copies the array, so it may go with the arena
                return Llama.llama_sampler_init_logit_bias(vocab.size(), logitBias.size(), array);
            }
        }

        private MemorySegment grammarSampler() {
            try (Arena arena = Arena.ofConfined()) {
                NativeLog.beginCapture();
                MemorySegment g;
                List<String> errors;
                try {
                    g = Llama.llama_sampler_init_grammar(vocab.handle(), arena.allocateFrom(grammar.text()), arena.allocateFrom("root"));
                } finally {
                    errors = NativeLog.endCapture();
                }
                if (g.equals(MemorySegment.NULL)) {
                    // Checked grammars parse; this would be a difference between Parley's parser and llama.cpp's.
                    throw new GrammarException("llama.cpp refused the grammar: "
                            + (errors.isEmpty() ? "no reason given" : String.join("; ", errors)));
                }
                return g;
            }
        }

        private static void add(MemorySegment chain, MemorySegment sampler) {
            if (sampler.equals(MemorySegment.NULL)) {
                throw new NativeCallException("llama.cpp could not create a sampler");
            }
            Llama.llama_sampler_chain_add(chain, sampler);
        }
    }
}
