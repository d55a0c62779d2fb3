package dev.parley.runtime.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.runtime.tools.ToolCall;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.runtime.tools.ToolCallStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Each family's reply, thinking and markup included, into reasoning, content and calls: whole and
 * in 20 random chunkings, which must agree (the engine and the exchange see a reply in pieces).
 */
class ReplyParserTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> TOOLS = Set.of("get_weather", "get_time");

    static ChatFormat format(ToolCallStyle style) {
        return ChatFormat.of(style, Thinking.UNTEMPLATED);
    }

    /** What streamed events add up to. */
    record Streamed(String reasoning, String content, List<String> calls) {}

    static Streamed stream(ChatFormat f, String prompt, String reply, long seed) {
        ReplyParser p = f.replyParser(prompt, TOOLS);
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        List<String> calls = new ArrayList<>();
        Random random = new Random(seed);
        int at = 0;
        while (at < reply.length()) {
            int n = Math.min(reply.length() - at, 1 + random.nextInt(6));
            p.feed(reply.substring(at, at + n), e -> collect(e, reasoning, content, calls));
            at += n;
        }
        p.finish(e -> collect(e, reasoning, content, calls));
        return new Streamed(reasoning.toString(), content.toString(), calls);
    }

    static void collect(ReplyParser.Event e, StringBuilder reasoning, StringBuilder content, List<String> calls) {
        switch (e) {
            case ReplyParser.Event.Reasoning r -> reasoning.append(r.text());
            case ReplyParser.Event.Content c -> content.append(c.text());
            case ReplyParser.Event.Call c when c.event() instanceof ToolCallEvent.CallFinished done -> calls.add(done.call().name());
            case ReplyParser.Event.Call c -> { }
        }
    }

    /** Parses whole, checks every chunking gives the same, and returns the whole result. */
    static ReplyParser.Reply check(ChatFormat f, String prompt, String reply) {
        ReplyParser.Reply whole = f.parse(prompt, reply, TOOLS);
        List<String> names = whole.calls().stream().map(ToolCall::name).toList();
        for (long seed = 0; seed < 20; seed++) {
            Streamed s = stream(f, prompt, reply, seed);
            assertEquals(whole.reasoning(), s.reasoning(), "reasoning, chunking " + seed);
            assertEquals(whole.content(), s.content(), "content, chunking " + seed);
            assertEquals(names, s.calls(), "calls, chunking " + seed);
        }
        return whole;
    }

    static JsonNode args(ToolCall c) throws Exception {
        return JSON.readTree(c.argumentsJson());
    }

    @Test
    void hermesThinksThenCalls() throws Exception {
        var r = check(format(ToolCallStyle.HERMES), "<|im_start|>assistant\n",
                "<think>\nThe user wants weather.\n</think>\n\nChecking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>");
        assertEquals("\nThe user wants weather.\n", r.reasoning());
        assertEquals("\n\nChecking.\n", r.content());
        assertEquals(1, r.calls().size());
        assertEquals("Oslo", args(r.calls().get(0)).path("city").asText());
    }

    @Test
    void aPromptThatOpenedTheBlockStartsTheReplyInReasoning() throws Exception {
        // DeepSeek R1's template ends the prompt with an open <think>: the model never writes it
        var r = check(format(ToolCallStyle.DEEPSEEK_R1), "<｜User｜>hi<｜Assistant｜><think>\n",
                "let me see</think>\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{\"tz\": \"UTC\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
        assertEquals("let me see", r.reasoning());
        assertEquals("\n\n", r.content());
        assertEquals(List.of("get_time"), r.calls().stream().map(ToolCall::name).toList());
        assertEquals("UTC", args(r.calls().get(0)).path("tz").asText());
    }

    @Test
    void deepSeekV31CallsWithoutTheTypeWord() throws Exception {
        var r = check(format(ToolCallStyle.DEEPSEEK_V31), "<｜Assistant｜></think>",
                "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Hanoi\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
        assertEquals("", r.reasoning());
        assertEquals("Hanoi", args(r.calls().get(0)).path("city").asText());
    }

    @Test
    void mistralReadsItsOwnThinkingMarkersAndEachSyntax() throws Exception {
        var magistral = check(format(ToolCallStyle.MISTRAL_ARGS), "[INST]hi[/INST]",
                "[THINK]short[/THINK]Looking.[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Nice\"}");
        assertEquals("short", magistral.reasoning());
        assertEquals("Looking.", magistral.content());
        assertEquals("Nice", args(magistral.calls().get(0)).path("city").asText());
        var small = check(format(ToolCallStyle.MISTRAL_CALL_ID), "",
                "[TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{\"city\": \"Graz\"}[TOOL_CALLS]get_time[ARGS]{}");
        assertEquals(List.of("get_weather", "get_time"), small.calls().stream().map(ToolCall::name).toList());
        assertEquals("a1b2c3d4e", small.calls().get(0).id());
        var nemo = check(format(ToolCallStyle.MISTRAL_NEMO), "",
                "[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": {}, \"id\": \"abcDEF123\"}]");
        assertEquals("get_time", nemo.calls().get(0).name());
        assertEquals("", nemo.content());
    }

    @Test
    void llama3TakesABareObjectNamingADeclaredTool() throws Exception {
        var r = check(format(ToolCallStyle.LLAMA3), "", "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}");
        assertEquals("Rome", args(r.calls().get(0)).path("city").asText());
        var prose = check(format(ToolCallStyle.LLAMA3), "", "{\"name\": \"unknown\", \"parameters\": {}} is JSON");
        assertEquals(List.of(), prose.calls());
        assertEquals("{\"name\": \"unknown\", \"parameters\": {}} is JSON", prose.content());
    }

    @Test
    void plainReadsTheForcedObjectAndLeavesTextAlone() throws Exception {
        var r = check(format(ToolCallStyle.GENERIC), "", "<think>hm</think>{\"name\": \"get_time\", \"arguments\": {\"tz\": \"CET\"}}");
        assertEquals("hm", r.reasoning());
        assertEquals("CET", args(r.calls().get(0)).path("tz").asText());
        var text = check(format(ToolCallStyle.GENERIC), "", "Sure, <tool_call> is not markup here.");
        assertEquals("Sure, <tool_call> is not markup here.", text.content());
        assertEquals(List.of(), text.calls());
    }

    @Test
    void markersInsideContentAreOnlyMarkersOfThisReply() {
        // A stray closing marker outside a block is content; a block cut off by the end stays reasoning
        var r = check(format(ToolCallStyle.HERMES), "", "a </think> b <think>unfinished");
        assertEquals("a </think> b ", r.content());
        assertEquals("unfinished", r.reasoning());
    }
}
