package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationEvent;
import java.io.IOException;

/**
 * A whole (non-streaming) answer's writer that keeps the reply's text and thinking for the one JSON body
 * it sends at the end; a dialect supplies that body ({@link #done}) and its error ({@link #failed}).
 */
public abstract class WholeReply implements EventWriter {

    protected final WholeJson json;
    protected final StringBuilder text = new StringBuilder();
    protected final StringBuilder thinking = new StringBuilder();
    /** Messages the overflow policy dropped from the prompt (0: none). */
    protected int truncated;

    protected WholeReply(WholeJson json) {
        this.json = json;
    }

    @Override
    public void truncated(int messages) {
        truncated = messages;
    }

    @Override
    public void piece(GenerationEvent.Piece p) {
        (p.channel() == GenerationEvent.Channel.REASONING ? thinking : text).append(p.text());
    }

    @Override
    public void heartbeat() throws IOException {
        json.heartbeat();
    }
}
