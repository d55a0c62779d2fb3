package dev.parley.runtime.format;

import java.util.List;

/**
 * What a chat format knows about thinking: the marker pairs that bound a reasoning block in the model's
 * output, and whether the template has thinking at all (a switch or markers of its own). Where a reply
 * starts, in reasoning or in content, depends on the rendered prompt ({@link #start}): a template that
 * opens the block itself (DeepSeek R1, Qwen3 thinking) leaves the model inside it.
 *
 * @param markers the pairs read in the output, in order of preference
 * @param capable whether the template can think: it has an {@code enable_thinking} switch or writes {@code <think>}
 */
public record Thinking(List<Markers> markers, boolean capable) {

    /** One pair of markers around a reasoning block. */
    public record Markers(String open, String close) {}

    /**
     * The pairs Parley reads in every model's output: {@code <think>} (Qwen3, QwQ, DeepSeek R1 and most
     * others) and {@code [THINK]} (Magistral, Ministral reasoning). A model may be tuned to think with a
     * template that writes neither, so no format reads fewer.
     */
    public static final List<Markers> KNOWN = List.of(new Markers("<think>", "</think>"), new Markers("[THINK]", "[/THINK]"));

    /** For prompts no template wrote (raw prompts, a model without a template): the known markers. */
    public static final Thinking UNTEMPLATED = new Thinking(KNOWN, false);

    public Thinking {
        markers = List.copyOf(markers);
    }

    /** The thinking a template source shows. */
    static Thinking of(String templateSource) {
        return new Thinking(KNOWN, templateSource.contains("enable_thinking") || templateSource.contains("<think>"));
    }

    /** Where a reply to this prompt starts: inside the block the prompt's end left open, or in content. */
    public Start start(String renderedPrompt) {
        String tail = renderedPrompt.stripTrailing();
        Markers open = null;
        for (Markers m : markers) {
            int at = tail.lastIndexOf(m.open());
            if (at >= 0 && tail.indexOf(m.close(), at) < 0) {
                open = m;
            }
        }
        return new Start(markers, open);
    }

    /**
     * A forced output (a tool call, a JSON answer) must begin at the reply's first token, where a
     * thinking block the template opens would take it: unless the client chose, thinking is off then.
     */
    public static Boolean underForcedOutput(Boolean requested, boolean forced) {
        return requested == null && forced ? Boolean.FALSE : requested;
    }

    /**
     * Where a reply begins, made before the request is queued; immutable, so a request admitted again
     * starts the same way.
     *
     * @param open the pair whose block the prompt left open, or null when the reply starts in content
     */
    public record Start(List<Markers> markers, Markers open) {

        public Start {
            markers = List.copyOf(markers);
        }

        public boolean inReasoning() {
            return open != null;
        }

        /** A fresh splitter for one reply. */
        public ThinkingSplitter splitter() {
            return new ThinkingSplitter(markers, open);
        }
    }
}
