package dev.parley.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputFilterTest {

    private record Out(String raw, String text, GenerationEvent.Channel channel) {}

    private static List<Out> feed(OutputFilter f, String... fragments) {
        List<Out> out = new ArrayList<>();
        for (String fr : fragments) {
            f.push(fr, (raw, text, ch) -> out.add(new Out(raw, text, ch)));
        }
        f.finish((raw, text, ch) -> out.add(new Out(raw, text, ch)));
        return out;
    }

    private static String join(List<Out> outs, GenerationEvent.Channel channel, boolean raw) {
        StringBuilder b = new StringBuilder();
        for (Out o : outs) {
            if (channel == null || o.channel() == channel) {
                b.append(raw ? o.raw() : o.text());
            }
        }
        return b.toString();
    }

    @Test
    void splitsReasoningFromContentAtMarkersSplitAcrossPieces() {
        List<Out> outs = feed(new OutputFilter(List.of(), "<|im_start|>assistant\n"), "<th", "ink>\nLet me", " see.</", "think>\n\nThe answer.");
        assertEquals("<think>\nLet me see.</think>\n\nThe answer.", join(outs, null, true), "raw keeps the markers");
        assertEquals("\nLet me see.", join(outs, GenerationEvent.Channel.REASONING, false));
        assertEquals("\n\nThe answer.", join(outs, GenerationEvent.Channel.CONTENT, false));
    }

    @Test
    void aPromptThatOpensThinkingStartsInReasoning() {
        List<Out> outs = feed(new OutputFilter(List.of(), "<｜Assistant｜><think>\n"), "pondering", "</think>", "done");
        assertEquals("pondering", join(outs, GenerationEvent.Channel.REASONING, false));
        assertEquals("done", join(outs, GenerationEvent.Channel.CONTENT, false));
        List<Out> closed = feed(new OutputFilter(List.of(), "<think>\n\n</think>\n\n"), "just content");
        assertEquals("just content", join(closed, GenerationEvent.Channel.CONTENT, false));
    }

    @Test
    void stopStringsAcrossPiecesEndTheOutputAndAreNeverShown() {
        OutputFilter f = new OutputFilter(List.of("STOP", "\n\nUser:"), "");
        List<Out> outs = feed(f, "Hello wor", "ld\n", "\nUs", "er: more");
        assertTrue(f.stopped());
        assertEquals("Hello world", join(outs, null, true));
        assertEquals("\n\nUser:", f.matchedStop(), "the stop string that ended it, for Anthropic's stop_sequence");
    }

    @Test
    void theEarliestStopStringInTheTextIsTheOneThatMatched() {
        OutputFilter f = new OutputFilter(List.of("later", "first"), "");
        feed(f, "a first and later");
        assertEquals("first", f.matchedStop());
    }

    @Test
    void heldBackTextThatIsNoStopComesOutAtTheEnd() {
        OutputFilter f = new OutputFilter(List.of("STOP"), "");
        List<Out> outs = feed(f, "almost ST", "O");
        assertEquals("almost STO", join(outs, null, true));
        assertTrue(!f.stopped());
        assertEquals(null, f.matchedStop());
    }
}
