package dev.parley.runtime.engine;

import dev.parley.bindings.Batch;
import dev.parley.bindings.ContextOptions;
import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.LlamaContext;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelOptions;
import dev.parley.bindings.Vocab;
import java.nio.file.Path;

/**
 * Drafts tokens with a second, smaller model ({@code --speculative draft --model-draft}): greedy
 * tokens of the draft model after a slot's history, which the target model verifies in its next batch.
 * The draft context has one sequence per slot and keeps each sequence's tokens, so a call decodes only
 * what changed since the last one (the tokens the target accepted or sampled); the drafts it decoded
 * and the target rejected are cut first. Greedy, hence deterministic in the history, so accepting a
 * draft token exactly when the target samples it leaves the output distribution unchanged.
 *
 * <p>Called from the scheduler thread only, which is then the one thread calling into the draft context.
 */
final class DraftModel implements Drafter, AutoCloseable {

    private final LlamaModel model;
    private final LlamaContext context;
    private final Batch batch;
    /** The tokens each sequence of the draft context holds, in position order. */
    private final int[][] held;
    private final int[] heldCount;
    private final int capacity;
    /** The least probability a drafted token may have under the draft model; 0: no check. */
    private final float minP;

    private DraftModel(LlamaModel model, LlamaContext context, int capacity, float minP) {
        this.model = model;
        this.context = context;
        this.capacity = capacity;
        this.minP = minP;
        this.batch = context.newBatch(context.batchSize());
        this.held = new int[context.sequences()][capacity];
        this.heldCount = new int[context.sequences()];
    }

    /**
     * Loads the draft model and makes its context with the target's cells, batch and sequences.
     *
     * @throws IllegalArgumentException when its vocabulary is not the target's: drafted ids would
     *     mean other tokens to the target
     */
    static DraftModel open(Path file, Vocab target, ContextOptions targetOptions, int gpuLayers, boolean repack, int cellsPerSequence,
                           float minP) {
        LlamaModel model = LlamaModel.load(file, ModelOptions.cpu().withGpuLayers(gpuLayers).withRepack(repack));
        try {
            if (model.isRecurrent()) {
                throw new IllegalArgumentException("the draft model " + file.getFileName()
                        + " is recurrent: its sequences cannot drop rejected drafts, so it would decode the whole history every step");
            }
            String mismatch = mismatch(target, model.vocab());
            if (mismatch != null) {
                throw new IllegalArgumentException("the draft model " + file.getFileName() + " cannot draft for this model: " + mismatch);
            }
            ContextOptions o = new ContextOptions(targetOptions.contextSize(), targetOptions.batchSize(), targetOptions.microBatchSize(),
                    targetOptions.sequences(), targetOptions.threads(), targetOptions.batchThreads(), targetOptions.flashAttention(),
                    targetOptions.kvCacheType(), targetOptions.unifiedKv(), 0);
            LlamaContext context = LlamaContext.create(model, o);
            return new DraftModel(model, context, cellsPerSequence, minP);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Why {@code draft}'s token ids do not mean {@code target}'s tokens, or null when they do: the same
     * size, the same BOS and EOS, and the same text for every id (llama.cpp's own check allows a few
     * extra ids at the end; here a drafted id must always be valid for the target, so the sizes match).
     */
    static String mismatch(Vocab target, Vocab draft) {
        if (target.size() != draft.size()) {
            return "its vocabulary has " + draft.size() + " tokens, the model's has " + target.size();
        }
        if (target.bos() != draft.bos() || target.eos() != draft.eos()) {
            return "its BOS/EOS tokens are " + draft.bos() + "/" + draft.eos() + ", the model's are " + target.bos() + "/" + target.eos();
        }
        for (int id = 0; id < target.size(); id++) {
            if (!target.tokenText(id).equals(draft.tokenText(id))) {
                return "token " + id + " is '" + draft.tokenText(id) + "' in it and '" + target.tokenText(id) + "' in the model";
            }
        }
        return null;
    }

    @Override
    public boolean costly() {
        return true;
    }

    String description() {
        return model.description();
    }

    /**
     * Writes up to {@code max} drafted tokens for sequence {@code seq} into {@code out} and returns how
     * many (0 when the draft context has no room or refused a decode). The history is
     * {@code tokens[0..count)} followed by {@code next}, the token the target decodes this step.
     */
    @Override
    public int draft(int seq, int[] tokens, int count, int next, int[] out, int max) {
        int length = count + 1;
        max = Math.min(max, capacity - length);
        if (max <= 0) {
            return 0;
        }
        int[] h = held[seq];
        int keep = 0;
        int limit = Math.min(heldCount[seq], count); // at least `next` is decoded, for its logits
        while (keep < limit && h[keep] == tokens[keep]) {
            keep++;
        }
        if (keep < heldCount[seq] && !cut(seq, keep)) {
            return 0;
        }
        // The history the draft context lacks, in batches, logits only after `next`.
        for (int from = keep; from < length; ) {
            batch.clear();
            int to = Math.min(length, from + batch.capacity());
            for (int i = from; i < to; i++) {
                h[i] = i < count ? tokens[i] : next; // counted as held only once decoded
                batch.add(h[i], i, seq, i == length - 1);
            }
            if (context.decode(batch) != DecodeStatus.OK) {
                forget(seq);
                return 0;
            }
            heldCount[seq] = to;
            from = to;
        }
        int n = 0;
        while (true) {
            int row = batch.size() - 1;
            int token = context.argmax(row);
            if (minP > 0 && !likely(row, token)) {
                return n; // unlikely to be accepted, and every drafted token costs the target a logits row
            }
            out[n++] = token;
            if (n == max || model.vocab().isEndOfGeneration(token)) {
                return n;
            }
            batch.clear();
            batch.add(token, length + n - 1, seq, true);
            if (context.decode(batch) != DecodeStatus.OK) {
                forget(seq);
                return n;
            }
            h[heldCount[seq]++] = token;
        }
    }

    /**
     * Whether the draft model gives {@code token}, the most likely of row {@code row}, at least
     * {@link #minP}: p = 1 / sum(exp(l - l_top)), so the sum may not pass 1 / minP. The sum stops as soon as
     * it does, which for an unsure model is after a few tokens, not the whole vocabulary.
     */
    private boolean likely(int row, int token) {
        java.lang.foreign.MemorySegment logits = context.logits(row);
        int vocab = model.vocab().size();
        float top = logits.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, token);
        double limit = 1.0 / minP;
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i) - top);
            if (sum > limit) {
                return false;
            }
        }
        return true;
    }

    private boolean cut(int seq, int keep) {
        if (!context.removeTokens(seq, keep, -1)) {
            forget(seq);
            return keep == 0;
        }
        heldCount[seq] = keep;
        return true;
    }

    /** Empties a sequence: its next draft decodes the whole history again. */
    void forget(int seq) {
        context.clearSequence(seq);
        heldCount[seq] = 0;
    }

    /** Tokens sequence {@code seq} holds, for tests. */
    int held(int seq) {
        return heldCount[seq];
    }

    @Override
    public void close() {
        batch.close();
        context.close();
        model.close();
    }
}
