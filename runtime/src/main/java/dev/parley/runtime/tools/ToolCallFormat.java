package dev.parley.runtime.tools;

import java.util.List;

/**
 * How a model family writes tool calls, recognised from its chat template's source (by the markers the
 * template itself writes for calls in the history, as llama.cpp's common/chat.cpp detects them).
 */
public enum ToolCallFormat {
    /** Hermes 2/3, Qwen 2.5/3, QwQ and others: {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}. */
    HERMES(List.of("<tool_call>")),
    /** Llama 3.1-3.3: {@code {"name": ..., "parameters": {...}}}, bare or after {@code <|python_tag|>}. */
    LLAMA3(List.of("<|python_tag|>")),
    /** Mistral: {@code [TOOL_CALLS][{...}]} (Nemo) or {@code [TOOL_CALLS]name[CALL_ID]id[ARGS]{...}} (Small 3.2, Devstral). */
    MISTRAL(List.of(MistralRegion.OPEN)),
    /** DeepSeek R1 and V3.1: {@code <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>...<｜tool▁calls▁end｜>}. */
    DEEPSEEK(List.of(DeepSeekRegion.CALLS_BEGIN, DeepSeekRegion.CALL_BEGIN)),
    /** Any other template: the reply is a JSON object {@code {"name": ..., "arguments": {...}}} (what Parley's grammar forces). */
    GENERIC(List.of());

    private final List<String> openers;

    ToolCallFormat(List<String> openers) {
        this.openers = openers;
    }

    /** The markers that open tool-call markup in this format's output. */
    public List<String> openers() {
        return openers;
    }

    /** Whether a reply that is a bare JSON call object (with a declared tool's name) counts as a call. */
    boolean bareJson() {
        return this == LLAMA3 || this == GENERIC;
    }

    /**
     * The format a template writes calls in. Templates whose calls look otherwise (Qwen3-Coder's
     * {@code <function=...>} XML, GLM's {@code <arg_key>}, MiniMax's {@code <invoke>}, Kimi, GPT-OSS...) get
     * {@link #GENERIC}: Parley parses their calls only when it forced them with a grammar.
     */
    public static ToolCallFormat detect(String templateSource) {
        String src = templateSource == null ? "" : templateSource;
        if (src.contains("<｜tool▁calls▁begin｜>") || src.contains("<｜tool▁call▁begin｜>")) {
            return DEEPSEEK;
        }
        if (src.contains("[TOOL_CALLS]")) {
            return MISTRAL;
        }
        if (src.contains("<tool_call>") && !src.contains("<function=") && !src.contains("<arg_key>")
                && !src.contains("<invoke") && !src.contains("]<]minimax[>[")) {
            return HERMES;
        }
        if (src.contains("<|start_header_id|>") && (src.contains("<|python_tag|>") || src.contains("\"parameters\": "))
                && !src.contains(">>>")) {
            return LLAMA3;
        }
        return GENERIC;
    }
}
