package dev.parley.runtime.engine;

/**
 * Hooks for metrics, called on the scheduler thread (unless said otherwise): implementations must be
 * quick and never throw.
 * The per-token and per-step methods take primitives only, so calling them allocates nothing.
 */
public interface EngineObserver {

    EngineObserver NONE = new EngineObserver() {};

    /**
     * Called on the submitting thread when {@link Engine#submit} begins: from here on the engine reports
     * the request's outcome ({@link #requestFailed} for a refusal in submit, on that same thread).
     */
    default void requestSubmitted() {}

    default void requestStarted(String requestId, int slot, long queueNanos, int promptTokens, int cachedTokens) {}

    default void firstToken(long timeToFirstTokenNanos) {}

    /** A token after the first; {@code gapNanos} since the one before it. */
    default void token(long gapNanos) {}

    /** One scheduler step: its decode, its sampling, and all of it. */
    default void step(int batchTokens, long decodeNanos, long samplingNanos, long totalNanos) {}

    /** Speculative decoding: a slot's {@code drafted} tokens verified in one step, the first {@code accepted} of them kept. */
    default void draftVerified(int drafted, int accepted) {}

    default void requestFinished(GenerationEvent.FinishReason reason, int generatedTokens) {}

    default void requestFailed(ErrorCode code) {}

    // ---- KV cache tiers ----

    /** Where an admitted prompt's reused tokens came from ({@code MISS}: nowhere; {@code tokens} is 0). */
    default void cacheLookup(CacheSource source, int tokens) {}

    /** A saved state restored into a slot from {@code source} (RAM or DISK) in {@code nanos}. */
    default void kvRestored(CacheSource source, int tokens, long bytes, long nanos) {}

    /** A matched saved state not restored, for {@code reason}: its {@code tokens} are prefilled instead. */
    default void kvRestoreSkipped(RestoreSkip reason, int tokens) {}

    /**
     * A restore from {@code source} that the context refused although its cells were counted free (a
     * state it cannot parse, or cells it counts differently): the prompt is prefilled instead.
     */
    default void kvRestoreFailed(CacheSource source) {}

    /** A slot's state saved to the tiers in {@code nanos} (the copy out of the context, on the scheduler thread). */
    default void kvSaved(int tokens, long bytes, long nanos) {}

    /** A state fetched from the shared tier in {@code nanos} (on the submitting thread). */
    default void kvSharedFetched(long bytes, long nanos) {}

    /** A state written to the shared tier in {@code nanos} (on its writer thread). */
    default void kvSharedWritten(long bytes, long nanos) {}

    // ---- room in the KV cache ----

    /**
     * A running generation of {@code tokens} cells stopped for room: saved to the RAM tier and its
     * cells freed ({@code toTier}), or paused in place (its state copied into its own memory).
     */
    default void preempted(int tokens, boolean toTier) {}

    /** A generation preempted to the RAM tier came back into the context in {@code nanos}. */
    default void resumedFromPreemption(int tokens, long nanos) {}
}
