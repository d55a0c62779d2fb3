package dev.parley.runtime.format;

import dev.parley.runtime.tools.ToolCall;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.runtime.tools.ToolCallParser;
import java.util.List;
import java.util.function.Consumer;

/**
 * A reply's text, markers and markup included, split the way the engine and the exchange split it as
 * it streams: thinking markers first ({@link ThinkingSplitter}, what the engine does per token), then
 * the content through the format's call parser ({@link ToolCallParser}, what the exchange does). Fed
 * in pieces or whole ({@link #parse}); a piece boundary anywhere gives the same result. One per reply;
 * not thread-safe. Made by {@link ChatFormat#replyParser}.
 */
public final class ReplyParser {

    /** What the reply's text comes to, in order. */
    public sealed interface Event {
        /** Text of a reasoning block, markers removed. */
        record Reasoning(String text) implements Event {}

        /** Content, call markup removed. */
        record Content(String text) implements Event {}

        /** A call's start, arguments or end. */
        record Call(ToolCallEvent event) implements Event {}
    }

    /** A whole reply: reasoning and content (markers and markup removed) and the calls in order. */
    public record Reply(String reasoning, String content, List<ToolCall> calls) {}

    private final ThinkingSplitter thinking;
    private final ToolCallParser calls;
    private final StringBuilder reasoning = new StringBuilder();
    private Consumer<Event> out = e -> { };
    private final ThinkingSplitter.Sink split = this::split;
    private final Consumer<ToolCallEvent> content = this::content;

    ReplyParser(ThinkingSplitter thinking, ToolCallParser calls) {
        this.thinking = thinking;
        this.calls = calls;
    }

    /** Feeds the next piece of the reply; events go to {@code out} before this returns. */
    public void feed(String text, Consumer<Event> out) {
        this.out = out;
        thinking.push(text, split);
    }

    /** The reply is over: held-back text is settled. */
    public void finish(Consumer<Event> out) {
        this.out = out;
        thinking.finish(split);
        calls.finish(content);
    }

    /** Parses a whole reply. */
    public Reply parse(String text) {
        feed(text, e -> { });
        finish(e -> { });
        return reply();
    }

    /** The reply so far. */
    public Reply reply() {
        return new Reply(reasoning.toString(), calls.content(), calls.calls());
    }

    private void split(String raw, String text, boolean inReasoning) {
        if (text.isEmpty()) {
            return; // a marker
        }
        if (inReasoning) {
            reasoning.append(text);
            out.accept(new Event.Reasoning(text));
        } else {
            calls.feed(text, content);
        }
    }

    private void content(ToolCallEvent e) {
        out.accept(e instanceof ToolCallEvent.Content c ? new Event.Content(c.text()) : new Event.Call(e));
    }
}
