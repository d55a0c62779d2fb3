package dev.parley.runtime.format;

import dev.parley.runtime.text.Overlap;
import java.util.List;

/**
 * Splits a reply's text into reasoning and content at thinking markers, which may arrive split across
 * pieces: a possible partial marker at a piece's end is held back until the next piece tells. The
 * markers themselves come out as pieces with empty text, on the reasoning side of the block they open
 * or close. One per reply; not thread-safe.
 */
public final class ThinkingSplitter {

    /** Where pieces go: the raw text (markers included), the text without markers, and its side. */
    public interface Sink {
        void piece(String raw, String text, boolean reasoning);
    }

    private final List<Thinking.Markers> markers;
    private final StringBuilder held = new StringBuilder();
    private boolean reasoning;
    private String closeMarker;

    ThinkingSplitter(List<Thinking.Markers> markers, Thinking.Markers open) {
        this.markers = markers;
        this.reasoning = open != null;
        this.closeMarker = open == null ? null : open.close();
    }

    public boolean inReasoning() {
        return reasoning;
    }

    /** Splits the next text, holding back a possible partial marker at its end. */
    public void push(String text, Sink sink) {
        if (text.isEmpty() && held.isEmpty()) {
            return;
        }
        held.append(text);
        String s = held.toString();
        held.setLength(0);
        int from = 0;
        while (from < s.length()) {
            String marker = null;
            int at = -1;
            if (reasoning) {
                at = s.indexOf(closeMarker, from);
                marker = closeMarker;
            } else {
                for (Thinking.Markers m : markers) {
                    int i = s.indexOf(m.open(), from);
                    if (i >= 0 && (at < 0 || i < at)) {
                        at = i;
                        marker = m.open();
                        closeMarker = m.close();
                    }
                }
            }
            if (at < 0) {
                int partial = partialMarkerAtEnd(s, from);
                String emit = s.substring(from, s.length() - partial);
                if (!emit.isEmpty()) {
                    sink.piece(emit, emit, reasoning);
                }
                held.append(s, s.length() - partial, s.length());
                return;
            }
            String before = s.substring(from, at);
            if (!before.isEmpty()) {
                sink.piece(before, before, reasoning);
            }
            reasoning = !reasoning;
            // The marker itself belongs to the reasoning block it opens or closes.
            sink.piece(marker, "", true);
            from = at + marker.length();
        }
    }

    /** The reply is over: a held-back partial marker was text after all. */
    public void finish(Sink sink) {
        if (!held.isEmpty()) {
            String rest = held.toString();
            held.setLength(0);
            sink.piece(rest, rest, reasoning);
        }
    }

    /** Length of the longest end of s (after from) that is a proper prefix of a marker we wait for. */
    private int partialMarkerAtEnd(String s, int from) {
        if (reasoning) {
            return Overlap.heldPrefix(s, from, closeMarker, 0);
        }
        int best = 0;
        for (Thinking.Markers m : markers) {
            best = Overlap.heldPrefix(s, from, m.open(), best);
        }
        return best;
    }
}
