package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * TEST ONLY: a greedy sampler chain with grammar text handed to llama.cpp with no check at all, as
 * Parley did before its grammar front end. It exists to prove that the child-process replay harness
 * notices when llama.cpp ends the process. (In this package to reach the native handles; it lives in
 * the runtime module's test sources and is in no jar.)
 */
public final class UncheckedGrammarSampler implements AutoCloseable {

    private MemorySegment chain;

    public UncheckedGrammarSampler(Vocab vocab, String grammarText) {
        try (Arena arena = Arena.ofConfined()) {
            chain = Llama.llama_sampler_chain_init(Llama.llama_sampler_chain_default_params(arena));
            MemorySegment g = Llama.llama_sampler_init_grammar(vocab.handle(), arena.allocateFrom(grammarText), arena.allocateFrom("root"));
            if (g.equals(MemorySegment.NULL)) {
                close();
                throw new IllegalArgumentException("llama.cpp refused the grammar");
            }
            Llama.llama_sampler_chain_add(chain, g);
            Llama.llama_sampler_chain_add(chain, Llama.llama_sampler_init_greedy());
        }
    }

    public int sample(LlamaContext context, int row) {
        return Llama.llama_sampler_sample(chain, context.nativeHandle(), row);
    }

    @Override
    public void close() {
        if (chain != null) {
            Llama.llama_sampler_free(chain);
            chain = null;
        }
    }
}
