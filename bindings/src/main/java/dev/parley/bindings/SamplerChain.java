package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import dev.parley.bindings.llama.llama_logit_bias;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

    private SamplerChain(MemorySegment chain) {
        this.chain = chain;
    }

    public static Builder builder(Vocab vocab) {
        return new Builder(vocab);
    }

    /** Samples from output row {@code batchIndex} of the last decode and accepts the token. */
    public int sample(LlamaContext context, int batchIndex) {
        if (plainGreedy) {
            return context.argmax(batchIndex);
        }
        return Llama.llama_sampler_sample(handle(), context.nativeHandle(), batchIndex);
    }

    /** Whether sampling is a plain argmax (greedy, no penalties, no grammar). */
    public boolean plainGreedy() {
        return plainGreedy;
    }

    /** Feeds a token the chain did not choose to every sampler of the chain. */
    public void accept(int token) {
        Llama.llama_sampler_accept(handle(), token);
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

    public void reset() {
        Llama.llama_sampler_reset(handle());
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
    }

    /**
     * Adds samplers in llama-server's order: grammar, penalties, top-k, top-p, min-p, temperature,
     * then the final pick (greedy at temperature 0, else a seeded random draw).
     */
    public static final class Builder {
        private final Vocab vocab;
        private String grammar;
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

        public Builder grammar(String gbnf) {
            this.grammar = gbnf;
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
                if (grammar != null && !grammar.isBlank()) {
                    add(chain, grammarSampler());
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
                    g = Llama.llama_sampler_init_grammar(vocab.handle(), arena.allocateFrom(grammar), arena.allocateFrom("root"));
                } finally {
                    errors = NativeLog.endCapture();
                }
                if (g.equals(MemorySegment.NULL)) {
                    throw new IllegalArgumentException("invalid GBNF grammar: "
                            + (errors.isEmpty() ? "llama.cpp could not parse it" : String.join("; ", errors)));
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
