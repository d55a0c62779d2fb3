package dev.parley.runtime.engine;

import java.util.List;

/**
 * Turns decoded text into pieces: holds back text that may be the start of a stop string (so a stop
 * string split across tokens is still caught and never shown), and splits reasoning from content at
 * thinking markers (which may also arrive split). One per slot and request; not thread-safe.
 */
final class OutputFilter {

    /** Where pieces go: the raw text, the text without markers, and its channel. */
    interface Sink {
        void piece(String raw, String text, GenerationEvent.Channel channel);
    }

    /** Pairs of thinking markers Parley understands. */
    static final List<String[]> MARKERS = List.of(new String[] {"<think>", "</think>"}, new String[] {"[THINK]", "[/THINK]"});

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder reasoningHeld = new StringBuilder();
    private boolean reasoning;
    private String closeMarker;
    private boolean stopped;
    /** The stop string that was seen, or null. */
    private String matchedStop;

    OutputFilter(List<String> stops, String renderedPrompt) {
        this.stops = stops;
        String tail = renderedPrompt.stripTrailing();
        for (String[] m : MARKERS) {
            int open = tail.lastIndexOf(m[0]);
            if (open >= 0 && tail.indexOf(m[1], open) < 0) {
                // The template opened a thinking block for the model (DeepSeek R1, Qwen3 thinking).
                reasoning = true;
                closeMarker = m[1];
            }
        }
    }

    boolean inReasoning() {
        return reasoning;
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
            split(before, sink);
            flushReasoning(sink);
            return;
        }
        int keep = longestStopPrefixSuffix();
        String ready = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        split(ready, sink);
    }

    /** At the end of a generation: whatever was held back is output after all. */
    void finish(Sink sink) {
        if (!stopped && !held.isEmpty()) {
            String rest = held.toString();
            held.setLength(0);
            split(rest, sink);
        }
        flushReasoning(sink);
    }

    private int longestStopPrefixSuffix() {
        int best = 0;
        for (String stop : stops) {
            best = overlap(held, 0, stop, best);
        }
        return best;
    }

    /**
     * The length of the longest end of {@code text} (from {@code from} on) that is a proper prefix of
     * {@code s}, when longer than {@code best}; else {@code best}.
     */
    private static int overlap(CharSequence text, int from, String s, int best) {
        for (int n = Math.min(s.length() - 1, text.length() - from); n > best; n--) {
            int off = text.length() - n;
            int i = 0;
            while (i < n && text.charAt(off + i) == s.charAt(i)) {
                i++;
            }
            if (i == n) {
                return n;
            }
        }
        return best;
    }

    /** Splits text at thinking markers, holding back a possible partial marker at its end. */
    private void split(String text, Sink sink) {
        if (text.isEmpty() && reasoningHeld.isEmpty()) {
            return;
        }
        reasoningHeld.append(text);
        String s = reasoningHeld.toString();
        reasoningHeld.setLength(0);
        int from = 0;
        while (from < s.length()) {
            String marker = null;
            int at = -1;
            if (reasoning) {
                at = s.indexOf(closeMarker, from);
                marker = closeMarker;
            } else {
                for (String[] m : MARKERS) {
                    int i = s.indexOf(m[0], from);
                    if (i >= 0 && (at < 0 || i < at)) {
                        at = i;
                        marker = m[0];
                        closeMarker = m[1];
                    }
                }
            }
            if (at < 0) {
                int partial = partialMarkerAtEnd(s, from);
                String emit = s.substring(from, s.length() - partial);
                if (!emit.isEmpty()) {
                    sink.piece(emit, emit, channel());
                }
                reasoningHeld.append(s, s.length() - partial, s.length());
                return;
            }
            String before = s.substring(from, at);
            if (!before.isEmpty()) {
                sink.piece(before, before, channel());
            }
            GenerationEvent.Channel markerChannel = channel();
            reasoning = !reasoning;
            // The marker itself belongs to the reasoning block it opens or closes.
            sink.piece(marker, "", reasoning ? GenerationEvent.Channel.REASONING : markerChannel);
            from = at + marker.length();
        }
    }

    private void flushReasoning(Sink sink) {
        if (!reasoningHeld.isEmpty()) {
            String rest = reasoningHeld.toString();
            reasoningHeld.setLength(0);
            sink.piece(rest, rest, channel());
        }
    }

    private GenerationEvent.Channel channel() {
        return reasoning ? GenerationEvent.Channel.REASONING : GenerationEvent.Channel.CONTENT;
    }

    /** Length of the longest end of s (after from) that is a proper prefix of a marker we wait for. */
    private int partialMarkerAtEnd(String s, int from) {
        if (reasoning) {
            return overlap(s, from, closeMarker, 0);
        }
        int best = 0;
        for (String[] m : MARKERS) {
            best = overlap(s, from, m[0], best);
        }
        return best;
    }
}
