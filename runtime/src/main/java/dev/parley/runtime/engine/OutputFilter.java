package dev.parley.runtime.engine;

import dev.parley.runtime.format.Thinking;
import dev.parley.runtime.format.ThinkingSplitter;
import dev.parley.runtime.text.Overlap;
import java.util.List;

/**
 * Turns decoded text into pieces: holds back text that may be the start of a stop string (so a stop
 * string split across tokens is still caught and never shown), and splits reasoning from content at
 * the chat format's thinking markers ({@link ThinkingSplitter}, which may also arrive split). One per
 * slot and request; not thread-safe.
 */
final class OutputFilter {

    /** Where pieces go: the raw text, the text without markers, and its channel. */
    interface Sink {
        void piece(String raw, String text, GenerationEvent.Channel channel);
    }

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private final ThinkingSplitter thinking;
    /** The sink of the current push: the adapter below is made once, not per token. */
    private Sink out;
    private final ThinkingSplitter.Sink toOut = (raw, text, reasoning) ->
            out.piece(raw, text, reasoning ? GenerationEvent.Channel.REASONING : GenerationEvent.Channel.CONTENT);
    private boolean stopped;
    /** The stop string that was seen, or null. */
    private String matchedStop;

    /** For a prompt no chat format is known for: the markers every format reads. */
    OutputFilter(List<String> stops, String renderedPrompt) {
        this(stops, Thinking.UNTEMPLATED.start(renderedPrompt));
    }

    /** @param start where the reply begins, as the chat format read the rendered prompt */
    OutputFilter(List<String> stops, Thinking.Start start) {
        this.stops = stops;
        this.thinking = start.splitter();
    }

    boolean inReasoning() {
        return thinking.inReasoning();
    }

    /** True once a stop string was seen: the caller ends the generation. */
    boolean stopped() {
        return stopped;
    }

    /** The stop string that ended the generation (the earliest in the text), or null when none was seen. */
    String matchedStop() {
        return matchedStop;
    }

    /** Feeds newly decoded text. */
    void push(String fragment, Sink sink) {
        if (stopped || fragment.isEmpty()) {
            return;
        }
        out = sink;
        held.append(fragment);
        int stopAt = -1;
        String stop = null;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (stopAt < 0 || i < stopAt)) {
                stopAt = i;
                stop = s;
            }
        }
        if (stopAt >= 0) {
            stopped = true;
            matchedStop = stop;
            String before = held.substring(0, stopAt);
            held.setLength(0);
            thinking.push(before, toOut);
            thinking.finish(toOut);
            return;
        }
        int keep = longestStopPrefixSuffix();
        String ready = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        thinking.push(ready, toOut);
    }

    /** At the end of a generation: whatever was held back is output after all. */
    void finish(Sink sink) {
        out = sink;
        if (!stopped && !held.isEmpty()) {
            String rest = held.toString();
            held.setLength(0);
            thinking.push(rest, toOut);
        }
        thinking.finish(toOut);
    }

    private int longestStopPrefixSuffix() {
        int best = 0;
        for (String stop : stops) {
            best = Overlap.heldPrefix(held, 0, stop, best);
        }
        return best;
    }
}
