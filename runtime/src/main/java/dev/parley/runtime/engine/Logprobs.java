package dev.parley.runtime.engine;

import dev.parley.bindings.Vocab;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities of sampled tokens, from the logits row the step already decoded (no extra
 * decode): a log-softmax over the row, the chosen token's value and the {@code top} largest. One per
 * request that asked for logprobs; collects a step's result until the piece that carries the token
 * is emitted. Used by the scheduler thread only.
 */
final class Logprobs {
    /** OpenAI's limit on top_logprobs. */
    static final int MAX_TOP = 20;

    private final int top;
    private final int[] topTokens;
    private final float[] topLogits;
    private List<TokenLogprob> pending = new ArrayList<>();

    Logprobs(int top) {
        if (top < 0 || top > MAX_TOP) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "top_logprobs must be between 0 and " + MAX_TOP + ", got " + top);
        }
        this.top = top;
        this.topTokens = new int[top];
        this.topLogits = new float[top];
    }

    /** Records the step that chose {@code token} from {@code logits} (one float per vocabulary entry). */
    void record(MemorySegment logits, int token, Vocab.Pieces pieces) {
        pending.add(compute(logits, token, top, topTokens, topLogits, pieces));
    }

    /** The steps recorded since the last call, in order. */
    List<TokenLogprob> drain() {
        if (pending.isEmpty()) {
            return List.of();
        }
        List<TokenLogprob> out = pending;
        pending = new ArrayList<>();
        return out;
    }

    /** The log-softmax of the row at {@code token}, and its {@code top} best entries (scratch arrays of that length). */
    static TokenLogprob compute(MemorySegment logits, int token, int top, int[] topTokens, float[] topLogits, Vocab.Pieces pieces) {
        int n = (int) (logits.byteSize() / Float.BYTES);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
        double sum = 0;
        int filled = 0;
        for (int i = 0; i < n; i++) {
            float l = logits.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            sum += Math.exp(l - max);
            if (top > 0 && (filled < top || l > topLogits[filled - 1])) {
                // insertion into the small sorted top list
                int at = filled < top ? filled++ : top - 1;
                while (at > 0 && topLogits[at - 1] < l) {
                    topLogits[at] = topLogits[at - 1];
                    topTokens[at] = topTokens[at - 1];
                    at--;
                }
                topLogits[at] = l;
                topTokens[at] = i;
            }
        }
        float logSum = (float) (max + Math.log(sum));
        List<TokenLogprob.Alternative> alternatives = new ArrayList<>(filled);
        for (int k = 0; k < filled; k++) {
            alternatives.add(new TokenLogprob.Alternative(topTokens[k], text(pieces, topTokens[k]), topLogits[k] - logSum));
        }
        float chosen = logits.getAtIndex(ValueLayout.JAVA_FLOAT, token) - logSum;
        return new TokenLogprob(token, text(pieces, token), chosen, List.copyOf(alternatives));
    }

    private static String text(Vocab.Pieces pieces, int token) {
        return pieces == null ? "" : pieces.pieceString(token, false);
    }
}
