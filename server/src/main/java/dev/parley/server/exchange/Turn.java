package dev.parley.server.exchange;

import dev.parley.runtime.engine.Prompt;
import dev.parley.server.threads.Conversation;

/**
 * One conversation turn, whatever dialect it came in: what to continue, how to generate, and whose it is.
 *
 * @param requestId the id in logs, the slot table and the dialect's answer
 * @param conversationKey the key a router hashes for affinity (the {@code x-session-id} header, else the
 *        thread's id, else the dialect's conversation id), or null for a stateless call without one;
 *        sent back as {@code x-session-id}
 * @param owner the caller's owner (API key), for threads and per-owner caches
 */
public record Turn(String requestId, Source source, GenerationOptions options, String conversationKey, String owner) {

    /** What the turn continues. */
    public sealed interface Source {}

    /** A stateless turn: the whole conversation (or a raw prompt) comes with the request. */
    public record Given(Prompt prompt) implements Source {}

    /**
     * A turn on a saved thread: the exchange reads the thread's history, appends {@code message} (after
     * {@code additionalContext}, which reaches this prompt only), and when {@code save} stores the user
     * message and the reply atomically once the generation completes.
     */
    public record OnThread(Conversation thread, String message, String additionalContext, Boolean enableThinking, boolean save)
            implements Source {}
}
