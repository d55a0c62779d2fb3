package dev.parley.server.dialect.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.format.ChatFormat;
import dev.parley.runtime.format.Thinking;
import dev.parley.runtime.tools.ToolCall;
import dev.parley.runtime.tools.ToolCallStyle;
import dev.parley.server.api.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tools of a request are read for the model's chat format: its grammar forces the call, its parser reads it. */
class ChatToolsFormatTest {

    static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    static JsonNode tools() throws Exception {
        return json("""
                [{"type": "function", "function": {"name": "get_weather",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]""");
    }

    @Test
    void aForcedCallUsesTheFormatsGrammarAndItsParserReadsTheCall() throws Exception {
        ChatFormat devstral = ChatFormat.of(ToolCallStyle.MISTRAL_ARGS, Thinking.UNTEMPLATED);
        ChatTools t = ChatTools.parse(tools(), json("\"required\""), null, devstral);
        assertSame(devstral, t.toolCalls().format(), "the exchange parses with the format the grammar came from");
        assertEquals(devstral.forcedCallGrammar(List.of(new dev.parley.runtime.tools.FunctionTool("get_weather",
                tools().get(0).path("function").path("parameters"))), null, true), t.grammar());
        var parser = t.toolCalls().format().callParser(t.toolCalls().functionNames());
        parser.feed("[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Nice\"}", e -> { });
        parser.finish(e -> { });
        List<ToolCall> calls = parser.calls();
        assertEquals(1, calls.size());
        assertEquals("Nice", Json.MAPPER.readTree(calls.get(0).argumentsJson()).path("city").asText());
    }

    @Test
    void autoReadsCallsWithoutForcingAndNoneDeclaresNothing() throws Exception {
        ChatFormat qwen = ChatFormat.of(ToolCallStyle.HERMES, Thinking.UNTEMPLATED);
        ChatTools auto = ChatTools.parse(tools(), json("\"auto\""), null, qwen);
        assertNull(auto.grammar());
        assertNotNull(auto.toolCalls());
        assertSame(qwen, auto.toolCalls().format());
        assertSame(ChatTools.NONE, ChatTools.parse(tools(), json("\"none\""), null, qwen));
    }
}
