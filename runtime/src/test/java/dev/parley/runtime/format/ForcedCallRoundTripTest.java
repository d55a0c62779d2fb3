package dev.parley.runtime.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.bindings.grammar.Grammar;
import dev.parley.bindings.grammar.GrammarException;
import dev.parley.bindings.grammar.GrammarState;
import dev.parley.bindings.grammar.GrammarVocab;
import dev.parley.runtime.tools.FunctionTool;
import dev.parley.runtime.tools.ToolCall;
import dev.parley.runtime.tools.ToolCallParser;
import dev.parley.runtime.tools.ToolCallStyle;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * For each call syntax, what the format's forcing grammar accepts is what its parser reads back: the
 * call text goes byte by byte through the grammar's Java mirror (llama.cpp's grammar stacks, no
 * natives) and then through the same format's call parser.
 */
class ForcedCallRoundTripTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ARGS = "{\"city\": \"Oslo\", \"days\": 2}";

    /** Ids 0..255 spell their byte (0 nothing); 256 ends generation. */
    static final GrammarVocab BYTES = new GrammarVocab() {
        @Override
        public int size() {
            return 257;
        }

        @Override
        public boolean isEndOfGeneration(int token) {
            return token == 256;
        }

        @Override
        public byte[] piece(int token) {
            return token == 256 ? "<eos>".getBytes(StandardCharsets.UTF_8) : token == 0 ? new byte[0] : new byte[] {(byte) token};
        }

        @Override
        public int[] tokenizeSpecial(String text) {
            return new int[text.length()];
        }

        @Override
        public boolean hasEndOfGeneration() {
            return true;
        }

        @Override
        public BitSet singleByteTokens() {
            BitSet b = new BitSet();
            b.set(1, 256);
            return b;
        }
    };

    static List<FunctionTool> tools() throws Exception {
        return List.of(new FunctionTool("get_weather", JSON.readTree("""
                        {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                         "required": ["city", "days"], "additionalProperties": false}""")),
                new FunctionTool("get_time", null));
    }

    /** One call of get_weather and one of get_time, written as the syntax writes them. */
    static String calls(ToolCallStyle style, boolean two) {
        String id = "abcDEF123";
        String begin = "<｜tool▁calls▁begin｜>";
        String end = "<｜tool▁calls▁end｜>";
        return switch (style) {
            case HERMES -> hermes("get_weather", ARGS) + (two ? "\n" + hermes("get_time", "{}") : "");
            case LLAMA3 -> object("get_weather", "parameters", ARGS) + (two ? "; " + object("get_time", "parameters", "{}") : "");
            case GENERIC -> object("get_weather", "arguments", ARGS) + (two ? "\n" + object("get_time", "arguments", "{}") : "");
            case MISTRAL_NEMO -> "[TOOL_CALLS][" + nemo("get_weather", ARGS, id) + (two ? ", " + nemo("get_time", "{}", "xyz987UVW") : "") + "]";
            case MISTRAL_CALL_ID -> "[TOOL_CALLS]get_weather[CALL_ID]" + id + "[ARGS]" + ARGS + (two ? "[TOOL_CALLS]get_time[CALL_ID]xyz987UVW[ARGS]{}" : "");
            case MISTRAL_ARGS -> "[TOOL_CALLS]get_weather[ARGS]" + ARGS + (two ? "[TOOL_CALLS]get_time[ARGS]{}" : "");
            case DEEPSEEK_R1 -> begin + r1("get_weather", ARGS) + (two ? r1("get_time", "{}") : "") + end;
            case DEEPSEEK_V31 -> begin + v31("get_weather", ARGS) + (two ? v31("get_time", "{}") : "") + end;
        };
    }

    static String hermes(String name, String args) {
        return "<tool_call>\n" + object(name, "arguments", args) + "\n</tool_call>";
    }

    static String object(String name, String argsKey, String args) {
        return "{\"name\": \"" + name + "\", \"" + argsKey + "\": " + args + "}";
    }

    static String nemo(String name, String args, String id) {
        return "{\"name\": \"" + name + "\", \"arguments\": " + args + ", \"id\": \"" + id + "\"}";
    }

    static String r1(String name, String args) {
        return "<｜tool▁call▁begin｜>function<｜tool▁sep｜>" + name + "\n```json\n" + args + "\n```<｜tool▁call▁end｜>";
    }

    static String v31(String name, String args) {
        return "<｜tool▁call▁begin｜>" + name + "<｜tool▁sep｜>" + args + "<｜tool▁call▁end｜>";
    }

    /** Feeds text through the grammar's mirror byte by byte and ends the generation; throws where the grammar refuses. */
    static void follow(String grammar, String text) {
        GrammarState state = Grammar.compile(grammar, BYTES).newState();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int token = b & 0xff;
            state.accept(token, BYTES.piece(token), 1, false);
        }
        byte[] eos = BYTES.piece(256);
        state.accept(256, eos, eos.length, true);
    }

    static ChatFormat format(ToolCallStyle style) {
        return ChatFormat.of(style, Thinking.UNTEMPLATED);
    }

    @ParameterizedTest
    @EnumSource(ToolCallStyle.class)
    void oneForcedCallParsesBack(ToolCallStyle style) throws Exception {
        ChatFormat f = format(style);
        String text = calls(style, false);
        follow(f.forcedCallGrammar(tools(), "get_weather", false), text);
        ToolCallParser.Result r = ToolCallParser.parse(f.callMarkup(), Set.of("get_weather", "get_time"), text);
        assertEquals(1, r.calls().size(), text);
        ToolCall call = r.calls().get(0);
        assertEquals("get_weather", call.name());
        assertEquals(JSON.readTree(ARGS), JSON.readTree(call.argumentsJson()));
        assertTrue(r.content().isBlank(), "no markup reaches content: '" + r.content() + "'");
    }

    @ParameterizedTest
    @EnumSource(ToolCallStyle.class)
    void parallelForcedCallsParseBackInOrder(ToolCallStyle style) throws Exception {
        ChatFormat f = format(style);
        String text = calls(style, true);
        follow(f.forcedCallGrammar(tools(), null, true), text);
        var reply = f.parse("", text, Set.of("get_weather", "get_time"));
        assertEquals(List.of("get_weather", "get_time"), reply.calls().stream().map(ToolCall::name).toList(), text);
        assertEquals(JSON.readTree("{}"), JSON.readTree(reply.calls().get(1).argumentsJson()));
        assertThrows(GrammarException.class, () -> follow(f.forcedCallGrammar(tools(), null, false), text), "one call only");
    }

    @ParameterizedTest
    @EnumSource(ToolCallStyle.class)
    void aGrammarRefusesAnotherSyntax(ToolCallStyle style) throws Exception {
        ToolCallStyle other = style == ToolCallStyle.HERMES ? ToolCallStyle.MISTRAL_ARGS : ToolCallStyle.HERMES;
        String grammar = format(style).forcedCallGrammar(tools(), "get_weather", false);
        assertThrows(GrammarException.class, () -> follow(grammar, calls(other, false)));
    }
}
