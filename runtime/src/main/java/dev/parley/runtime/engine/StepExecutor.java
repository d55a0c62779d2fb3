package dev.parley.runtime.engine;

import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.grammar.Grammar;
import java.lang.foreign.MemorySegment;

/**
 * Everything the {@link Scheduler} asks of a context, and nothing more: decode a batch, edit and
 * save sequences, sample, turn tokens into text. {@link ContextExecutor} runs it on llama.cpp; tests
 * run the scheduling policy against a simulated one, without natives. Called from the scheduler
 * thread only; the method names are {@code LlamaContext}'s where the call is the same.
 */
interface StepExecutor extends AutoCloseable {

    /** Cells of the KV cache. */
    int contextSize();

    /** Sequences (slots) the context holds. */
    int sequences();

    /** The most tokens one decode takes. */
    int batchSize();

    /**
     * Whether a restored sequence needs as many free cells of one cache all sequences share (a
     * unified cache of a model that is not recurrent); otherwise each sequence has its own cells.
     */
    boolean sharedCells();

    StepBatch newBatch(int capacity);

    /** Decodes a batch made by {@link #newBatch}. */
    DecodeStatus decode(StepBatch batch);

    /** Drops positions {@code from..to-1} of a sequence ({@code to} -1: to the end); false when the model cannot cut. */
    boolean removeTokens(int seq, int from, int to);

    void clearSequence(int seq);

    /** The highest position a sequence holds, -1 when empty. */
    int maxPosition(int seq);

    long sequenceStateBytes(int seq);

    /** Copies a sequence's KV state into {@code dst}; returns the bytes written. */
    long saveSequence(int seq, MemorySegment dst);

    boolean restoreSequence(int seq, MemorySegment src, int tokens);

    /** Restores like {@link #restoreSequence}; null on success, else why llama.cpp refused it. */
    String restoreRefusal(int seq, MemorySegment src, int tokens);

    /**
     * A sampler for one generation.
     *
     * @throws IllegalArgumentException when the request's sampling options are not valid
     */
    TokenSampler newSampler(GenerationRequest request, Grammar grammar);

    /** Records the logprobs of {@code token}, sampled from row {@code row} of the last decode. */
    void recordLogprobs(Logprobs logprobs, int row, int token);

    /** A token whose decode warms the context up (the model's BOS where it has one). */
    int warmUpToken();

    boolean isEndOfGeneration(int token);

    /**
     * Writes the text piece of {@code token} into {@link #pieceBytes()} and returns its length. The
     * buffer is the calling thread's: the first call binds it to the scheduler thread.
     */
    int piece(int token);

    /** The bytes of the last {@link #piece}; valid up to the length it returned. */
    byte[] pieceBytes();

    /** Frees what this executor made (not the context, which the engine owns). */
    @Override
    void close();
}
