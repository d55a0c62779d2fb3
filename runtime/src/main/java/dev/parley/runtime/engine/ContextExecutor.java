package dev.parley.runtime.engine;

import dev.parley.bindings.Batch;
import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.LlamaContext;
import dev.parley.bindings.SamplerChain;
import dev.parley.bindings.Vocab;
import dev.parley.bindings.grammar.Grammar;
import java.lang.foreign.MemorySegment;

/** The {@link StepExecutor} over a llama.cpp context: each call is the context's (or its sampler's) own. */
final class ContextExecutor implements StepExecutor {

    private final LlamaContext ctx;
    private final Vocab vocab;
    /** Made on the first call from the scheduler thread: its buffer is confined to that thread. */
    private Vocab.Pieces pieces;

    ContextExecutor(LlamaContext ctx) {
        this.ctx = ctx;
        this.vocab = ctx.model().vocab();
    }

    @Override
    public int contextSize() {
        return ctx.contextSize();
    }

    @Override
    public int sequences() {
        return ctx.sequences();
    }

    @Override
    public int batchSize() {
        return ctx.batchSize();
    }

    @Override
    public boolean sharedCells() {
        return ctx.options().unifiedKv() && !ctx.model().isRecurrent();
    }

    @Override
    public StepBatch newBatch(int capacity) {
        return new NativeBatch(ctx.newBatch(capacity));
    }

    @Override
    public DecodeStatus decode(StepBatch batch) {
        if (!(batch instanceof NativeBatch b)) {
            throw new IllegalArgumentException("not a batch of this executor: " + batch);
        }
        return ctx.decode(b.batch);
    }

    @Override
    public boolean removeTokens(int seq, int from, int to) {
        return ctx.removeTokens(seq, from, to);
    }

    @Override
    public void clearSequence(int seq) {
        ctx.clearSequence(seq);
    }

    @Override
    public int maxPosition(int seq) {
        return ctx.maxPosition(seq);
    }

    @Override
    public long sequenceStateBytes(int seq) {
        return ctx.sequenceStateBytes(seq);
    }

    @Override
    public long saveSequence(int seq, MemorySegment dst) {
        return ctx.saveSequence(seq, dst);
    }

    @Override
    public boolean restoreSequence(int seq, MemorySegment src, int tokens) {
        return ctx.restoreSequence(seq, src, tokens);
    }

    @Override
    public String restoreRefusal(int seq, MemorySegment src, int tokens) {
        return ctx.restoreRefusal(seq, src, tokens);
    }

    @Override
    public TokenSampler newSampler(GenerationRequest r, Grammar grammar) {
        Sampling sm = r.sampling();
        SamplerChain chain = SamplerChain.builder(vocab)
                .logitBias(r.logitBias())
                .grammar(grammar)
                .penalties(sm.penaltyLastN(), sm.repeatPenalty(), sm.frequencyPenalty(), sm.presencePenalty())
                .topK(sm.topK()).topP(sm.topP()).minP(sm.minP())
                .temperature(sm.temperature()).seed(sm.seed())
                .build();
        return new TokenSampler() {
            @Override
            public int sample(int row) {
                return chain.sample(ctx, row);
            }

            @Override
            public void acceptPenaltyOnly(int token) {
                chain.acceptPenaltyOnly(token);
            }

            @Override
            public void close() {
                chain.close();
            }
        };
    }

    @Override
    public void recordLogprobs(Logprobs logprobs, int row, int token) {
        logprobs.record(ctx.logits(row), token, pieces()); // the row this step decoded: no extra work for llama.cpp
    }

    @Override
    public int warmUpToken() {
        return vocab.isValid(vocab.bos()) ? vocab.bos() : 0;
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return vocab.isEndOfGeneration(token);
    }

    @Override
    public int piece(int token) {
        return pieces().piece(token, false);
    }

    @Override
    public byte[] pieceBytes() {
        return pieces().bytes();
    }

    private Vocab.Pieces pieces() {
        if (pieces == null) {
            pieces = vocab.pieces();
        }
        return pieces;
    }

    @Override
    public void close() {
        if (pieces != null) {
            pieces.close();
            pieces = null;
        }
    }

    /** A native {@code llama_batch} behind the scheduler's view of it. */
    private record NativeBatch(Batch batch) implements StepBatch {
        @Override
        public int capacity() {
            return batch.capacity();
        }

        @Override
        public int size() {
            return batch.size();
        }

        @Override
        public int remaining() {
            return batch.remaining();
        }

        @Override
        public void clear() {
            batch.clear();
        }

        @Override
        public int add(int token, int position, int sequence, boolean output) {
            return batch.add(token, position, sequence, output);
        }

        @Override
        public void close() {
            batch.close();
        }
    }
}
