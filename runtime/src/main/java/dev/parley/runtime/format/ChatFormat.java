package dev.parley.runtime.format;

import dev.parley.runtime.tools.FunctionTool;
import dev.parley.runtime.tools.ToolCallFormat;
import dev.parley.runtime.tools.ToolCallGrammar;
import dev.parley.runtime.tools.ToolCallParser;
import dev.parley.runtime.tools.ToolCallStyle;
import java.util.List;
import java.util.Set;

/**
 * What a model's output means, chosen once from its chat template when the model loads (as llama.cpp's
 * {@code common/chat.cpp} keeps it in one place): the thinking markers and where a reply starts, the
 * markup of its tool calls, the grammar that forces a call, and the parsers that turn generated text
 * into reasoning, content and calls. One record per family; the engine, the exchange and the dialects
 * ask this instead of reading the template themselves.
 *
 * <p>The markup tables (regions that read calls, the GBNF of each call syntax) stay in
 * {@code runtime.tools}; a format picks among them by its {@link #callStyle()}.
 */
public sealed interface ChatFormat permits ChatFormat.Hermes, ChatFormat.Llama3, ChatFormat.Mistral, ChatFormat.DeepSeek, ChatFormat.Plain {

    /** The format for prompts no template wrote (raw prompts, a model without a template). */
    ChatFormat UNTEMPLATED = new Plain(Thinking.UNTEMPLATED);

    /** Hermes 2/3, Qwen 2.5/3, QwQ: {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}. */
    record Hermes(Thinking thinking) implements ChatFormat {
        @Override
        public ToolCallStyle callStyle() {
            return ToolCallStyle.HERMES;
        }
    }

    /** Llama 3.1-3.3: {@code {"name": ..., "parameters": {...}}}, bare or after {@code <|python_tag|>}. */
    record Llama3(Thinking thinking) implements ChatFormat {
        @Override
        public ToolCallStyle callStyle() {
            return ToolCallStyle.LLAMA3;
        }
    }

    /** Mistral: Nemo's {@code [TOOL_CALLS][...]}, Small 3.2's {@code [CALL_ID]} or Devstral's {@code [ARGS]} per call. */
    record Mistral(ToolCallStyle callStyle, Thinking thinking) implements ChatFormat {
        public Mistral {
            requireFamily(callStyle, ToolCallFormat.MISTRAL);
        }
    }

    /** DeepSeek R1 ({@code function<｜tool▁sep｜>name} and fenced JSON) or V3.1 ({@code name<｜tool▁sep｜>{...}}). */
    record DeepSeek(ToolCallStyle callStyle, Thinking thinking) implements ChatFormat {
        public DeepSeek {
            requireFamily(callStyle, ToolCallFormat.DEEPSEEK);
        }
    }

    /**
     * Every other template (and none): a reply that is a JSON object naming a declared tool is a call,
     * which is what Parley's grammar forces. Templates whose own calls are XML or key/value markup
     * (Qwen3-Coder, GLM, MiniMax, Kimi, GPT-OSS...) land here: their calls are read when forced.
     */
    record Plain(Thinking thinking) implements ChatFormat {
        @Override
        public ToolCallStyle callStyle() {
            return ToolCallStyle.GENERIC;
        }
    }

    /** The thinking markers of the output and whether the template thinks. */
    Thinking thinking();

    /** The exact call syntax: what the forcing grammar makes the model write. */
    ToolCallStyle callStyle();

    /** The markup the call parser reads (one for several syntaxes of a family). */
    default ToolCallFormat callMarkup() {
        return callStyle().format();
    }

    /** A short name for logs and {@code /props}: the family and, where it has several, the syntax. */
    default String name() {
        return callStyle().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /**
     * A GBNF grammar that makes the model call a tool in this format's syntax: {@code tool_choice}
     * {@code "required"} ({@code onlyFunction} null) or a named function, one call or several.
     *
     * @throws dev.parley.runtime.jsonschema.SchemaException when a function's parameters are not a schema a grammar can enforce
     * @throws IllegalArgumentException when there are no tools or {@code onlyFunction} is not among them
     */
    default String forcedCallGrammar(List<FunctionTool> tools, String onlyFunction, boolean parallel) {
        return ToolCallGrammar.forced(callStyle(), tools, onlyFunction, parallel);
    }

    /** A streaming parser of the reply's content channel into content and calls. */
    default ToolCallParser callParser(Set<String> toolNames) {
        return new ToolCallParser(callMarkup(), toolNames);
    }

    /** A streaming parser of a whole reply's text (markers included) into reasoning, content and calls. */
    default ReplyParser replyParser(String renderedPrompt, Set<String> toolNames) {
        return new ReplyParser(thinking().start(renderedPrompt).splitter(), callParser(toolNames));
    }

    /** Parses a whole reply to {@code renderedPrompt}: llama.cpp's {@code common_chat_parse}. */
    default ReplyParser.Reply parse(String renderedPrompt, String text, Set<String> toolNames) {
        return replyParser(renderedPrompt, toolNames).parse(text);
    }

    /**
     * The format a chat template writes, read from the markers the template itself writes (calls in the
     * history, thinking blocks), as llama.cpp's {@code common/chat.cpp} detects them.
     *
     * @param templateSource the template's source, or null for a model without one
     */
    static ChatFormat detect(String templateSource) {
        if (templateSource == null) {
            return UNTEMPLATED;
        }
        return of(ToolCallStyle.detect(templateSource), Thinking.of(templateSource));
    }

    /** The format of a call syntax. */
    static ChatFormat of(ToolCallStyle style, Thinking thinking) {
        return switch (style) {
            case HERMES -> new Hermes(thinking);
            case LLAMA3 -> new Llama3(thinking);
            case MISTRAL_NEMO, MISTRAL_CALL_ID, MISTRAL_ARGS -> new Mistral(style, thinking);
            case DEEPSEEK_R1, DEEPSEEK_V31 -> new DeepSeek(style, thinking);
            case GENERIC -> new Plain(thinking);
        };
    }

    /**
     * For callers that know only the markup calls are read in (a parser, not a grammar): the family's
     * first syntax, with the markers every format reads.
     */
    static ChatFormat reading(ToolCallFormat markup) {
        ToolCallStyle style = switch (markup) {
            case HERMES -> ToolCallStyle.HERMES;
            case LLAMA3 -> ToolCallStyle.LLAMA3;
            case MISTRAL -> ToolCallStyle.MISTRAL_NEMO;
            case DEEPSEEK -> ToolCallStyle.DEEPSEEK_R1;
            case GENERIC -> ToolCallStyle.GENERIC;
        };
        return of(style, Thinking.UNTEMPLATED);
    }

    private static void requireFamily(ToolCallStyle style, ToolCallFormat family) {
        if (style.format() != family) {
            throw new IllegalArgumentException(style + " is not a " + family + " syntax");
        }
    }
}
