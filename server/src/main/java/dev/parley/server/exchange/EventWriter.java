package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.credits.Charge;
import java.io.IOException;

/**
 * Writes one turn's events in a dialect. Exactly one of {@link #done} or {@link #failed} ends it.
 * A write that throws means the client left: the exchange cancels the generation.
 */
public interface EventWriter {

    /**
     * Called once, before any other event, when the {@code truncate} overflow policy dropped the oldest
     * {@code messages} of the conversation to fit the context; writers report it in their usage.
     */
    default void truncated(int messages) {
    }

    /** Generated text (reasoning or content, see the piece's channel). */
    void piece(GenerationEvent.Piece piece) throws IOException;

    /**
     * A tool call's progress ({@link ToolCallEvent.CallStarted}, {@link ToolCallEvent.ArgumentsDelta},
     * {@link ToolCallEvent.CallFinished}; content comes as pieces). Only turns whose {@link Call} has
     * {@link ToolCalls} get these, so a dialect that never asks for them need not implement it.
     */
    default void toolCall(ToolCallEvent event) throws IOException {
        throw new IllegalStateException("this dialect did not ask for tool calls, yet got " + event);
    }

    /**
     * Called once, just before {@link #done}, with what the call was charged and the credits its owner has
     * left; writers whose API reports credits put them in their last part.
     */
    default void charged(Charge charge) {
    }

    /** The generation ended; {@code messageId} is the stored reply's id when the turn was saved to a thread, else null. */
    void done(GenerationEvent.Done done, String messageId) throws IOException;

    /** The generation (or storing its exchange) failed after it started. */
    void failed(ApiError error) throws IOException;

    /**
     * Called every {@link Exchange#HEARTBEAT_MILLIS} or so while the turn runs. Streams need nothing (each
     * piece is a write that notices a client gone); a whole answer uses it to notice one (see {@link WholeJson}).
     */
    default void heartbeat() throws IOException {
    }
}
