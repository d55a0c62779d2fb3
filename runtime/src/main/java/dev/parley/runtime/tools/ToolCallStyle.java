package dev.parley.runtime.tools;

/**
 * The exact call syntax of a template's family: what {@link ToolCallGrammar} makes a model write. Finer
 * than {@link ToolCallFormat} (which the parser needs), since one parser reads several Mistral and
 * DeepSeek variants.
 */
public enum ToolCallStyle {
    /** {@code <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>}, calls separated by a newline. */
    HERMES(ToolCallFormat.HERMES),
    /** {@code {"name": "f", "parameters": {...}}}, calls separated by {@code "; "}. */
    LLAMA3(ToolCallFormat.LLAMA3),
    /** Mistral Nemo: {@code [TOOL_CALLS][{"name": "f", "arguments": {...}, "id": "abcDEF123"}]}. */
    MISTRAL_NEMO(ToolCallFormat.MISTRAL),
    /** Mistral Small 3.2: {@code [TOOL_CALLS]f[CALL_ID]abcDEF123[ARGS]{...}} per call. */
    MISTRAL_CALL_ID(ToolCallFormat.MISTRAL),
    /** Devstral, Ministral: {@code [TOOL_CALLS]f[ARGS]{...}} per call. */
    MISTRAL_ARGS(ToolCallFormat.MISTRAL),
    /** DeepSeek R1: {@code <｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{...}\n```<｜tool▁call▁end｜>} inside the list markers. */
    DEEPSEEK_R1(ToolCallFormat.DEEPSEEK),
    /** DeepSeek V3.1: {@code <｜tool▁call▁begin｜>f<｜tool▁sep｜>{...}<｜tool▁call▁end｜>} inside the list markers. */
    DEEPSEEK_V31(ToolCallFormat.DEEPSEEK),
    /** {@code {"name": "f", "arguments": {...}}}, calls separated by a newline. */
    GENERIC(ToolCallFormat.GENERIC);

    private final ToolCallFormat format;

    ToolCallStyle(ToolCallFormat format) {
        this.format = format;
    }

    /** The format the parser reads this style's output with. */
    public ToolCallFormat format() {
        return format;
    }

    public static ToolCallStyle detect(String templateSource) {
        String src = templateSource == null ? "" : templateSource;
        return switch (ToolCallFormat.detect(src)) {
            case HERMES -> HERMES;
            case LLAMA3 -> LLAMA3;
            case MISTRAL -> !src.contains("[ARGS]") ? MISTRAL_NEMO : src.contains("[CALL_ID]") ? MISTRAL_CALL_ID : MISTRAL_ARGS;
            // R1 writes the call's type ("function") before the separator and the name after it
            case DEEPSEEK -> src.contains("function<｜tool▁sep｜>") || src.contains("['type'] + '<｜tool▁sep｜>'")
                    || src.contains("tc['type'] + '<｜tool▁sep｜>'") ? DEEPSEEK_R1 : DEEPSEEK_V31;
            case GENERIC -> GENERIC;
        };
    }
}
