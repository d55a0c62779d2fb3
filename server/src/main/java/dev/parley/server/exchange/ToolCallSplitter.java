package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.TokenLogprob;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.runtime.tools.ToolCallParser;
import dev.parley.server.api.ApiError;
import dev.parley.server.credits.Charge;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Sits between the exchange and a dialect's writer when the reply may hold tool calls: the content
 * channel goes through the incremental {@link ToolCallParser}, so the writer gets plain content as
 * pieces and calls as {@link EventWriter#toolCall} events, and never the call markup. Reasoning passes
 * through as it is. Content the parser holds back (it may open a call) reaches the writer once it is
 * known to be text, at the latest just before {@code done}. Content that is only whitespace waits for
 * what follows: before text it goes out with it; around calls (the newline between parallel calls, say)
 * it is dropped, so a reply of calls has no content.
 */
final class ToolCallSplitter implements EventWriter {

    private final EventWriter writer;
    private final ToolCallParser parser;
    /** The first failed write: the parser calls back through a Consumer, which cannot throw. */
    private IOException failure;
    private int pieceTokens;
    private List<TokenLogprob> pieceLogprobs = List.of();
    /** Whitespace-only content not yet sent, with its tokens and logprobs. */
    private final StringBuilder space = new StringBuilder();
    private int spaceTokens;
    private final List<TokenLogprob> spaceLogprobs = new ArrayList<>();
    private boolean calls;

    ToolCallSplitter(EventWriter writer, ToolCallParser parser) {
        this.writer = writer;
        this.parser = parser;
    }

    @Override
    public void piece(GenerationEvent.Piece p) throws IOException {
        if (p.channel() == GenerationEvent.Channel.REASONING) {
            writer.piece(p);
            return;
        }
        pieceTokens = p.tokens();
        pieceLogprobs = p.logprobs();
        parser.feed(p.text(), this::forward);
        rethrow();
    }

    @Override
    public void done(GenerationEvent.Done done, String messageId) throws IOException {
        pieceTokens = 0;
        pieceLogprobs = List.of();
        parser.finish(this::forward);
        rethrow();
        if (!calls && !space.isEmpty()) {
            send("", 0, List.of());
        }
        writer.done(done, messageId);
    }

    @Override
    public void failed(ApiError error) throws IOException {
        writer.failed(error);
    }

    @Override
    public void heartbeat() throws IOException {
        writer.heartbeat();
    }

    @Override
    public void charged(Charge charge) {
        writer.charged(charge);
    }

    @Override
    public void toolCall(ToolCallEvent event) {
        throw new IllegalStateException("tool-call events come out of this splitter, not into it");
    }

    private void forward(ToolCallEvent e) {
        if (failure != null) {
            return;
        }
        try {
            if (e instanceof ToolCallEvent.Content c) {
                // The tokens (and their logprobs) go with the first text sent for the piece. Tokens inside
                // call markup carry no logprobs out.
                if (c.text().isBlank()) {
                    space.append(c.text());
                    spaceTokens += pieceTokens;
                    spaceLogprobs.addAll(pieceLogprobs);
                } else {
                    send(c.text(), pieceTokens, pieceLogprobs);
                }
                pieceTokens = 0;
                pieceLogprobs = List.of();
            } else {
                if (e instanceof ToolCallEvent.CallStarted) {
                    calls = true;
                    clearSpace();
                }
                writer.toolCall(e);
            }
        } catch (IOException io) {
            failure = io;
        }
    }

    /** Sends held whitespace and then {@code text} as one content piece (without markup, raw and text are the same). */
    private void send(String text, int tokens, List<TokenLogprob> logprobs) throws IOException {
        String all = space + text;
        List<TokenLogprob> lp = logprobs;
        if (!spaceLogprobs.isEmpty()) {
            lp = new ArrayList<>(spaceLogprobs);
            lp.addAll(logprobs);
        }
        int n = spaceTokens + tokens;
        clearSpace();
        writer.piece(new GenerationEvent.Piece(all, all, GenerationEvent.Channel.CONTENT, n, lp));
    }

    private void clearSpace() {
        space.setLength(0);
        spaceTokens = 0;
        spaceLogprobs.clear();
    }

    private void rethrow() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
