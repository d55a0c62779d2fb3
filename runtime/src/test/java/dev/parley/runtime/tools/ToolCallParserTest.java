package dev.parley.runtime.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Hand-written replies per family, read whole and streamed in random pieces: the same content and calls. */
class ToolCallParserTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> TOOLS = Set.of("get_weather", "get_time");

    /** Everything one streamed reply produced. */
    record Streamed(String content, List<ToolCall> calls, List<ToolCallEvent> events) {}

    static Streamed stream(ToolCallFormat format, String reply, long seed) {
        AtomicInteger ids = new AtomicInteger();
        ToolCallParser parser = new ToolCallParser(format, TOOLS, () -> "call_" + ids.getAndIncrement());
        List<ToolCallEvent> events = new ArrayList<>();
        Random random = new Random(seed);
        int i = 0;
        while (i < reply.length()) {
            int n = 1 + random.nextInt(6);
            parser.feed(reply.substring(i, Math.min(reply.length(), i + n)), events::add);
            i += n;
        }
        parser.finish(events::add);
        StringBuilder content = new StringBuilder();
        events.stream().filter(e -> e instanceof ToolCallEvent.Content).forEach(e -> content.append(((ToolCallEvent.Content) e).text()));
        return new Streamed(content.toString(), parser.calls(), events);
    }

    /** Checks the event stream's shape: per call, started, then argument deltas adding up, then finished. */
    static void checkEvents(Streamed s) {
        int calls = 0;
        StringBuilder args = null;
        for (ToolCallEvent e : s.events()) {
            switch (e) {
                case ToolCallEvent.CallStarted started -> {
                    assertEquals(calls, started.index());
                    assertEquals(null, args, "a call started inside another");
                    args = new StringBuilder();
                }
                case ToolCallEvent.ArgumentsDelta delta -> {
                    assertEquals(calls, delta.index());
                    args.append(delta.fragment());
                }
                case ToolCallEvent.CallFinished finished -> {
                    assertEquals(calls, finished.index());
                    assertEquals(finished.call().argumentsJson(), args.toString());
                    assertEquals(s.calls().get(calls), finished.call());
                    args = null;
                    calls++;
                }
                case ToolCallEvent.Content content -> assertEquals(null, args, "content inside a call");
            }
        }
        assertEquals(s.calls().size(), calls);
    }

    static JsonNode args(ToolCall call) throws IOException {
        return JSON.readTree(call.argumentsJson());
    }

    /** Streams with several chunkings and compares with the whole-text parse. */
    static ToolCallParser.Result check(ToolCallFormat format, String reply) {
        ToolCallParser.Result whole = ToolCallParser.parse(format, TOOLS, reply);
        for (long seed = 0; seed < 20; seed++) {
            Streamed s = stream(format, reply, seed);
            checkEvents(s);
            assertEquals(whole.content(), s.content(), "seed " + seed);
            assertEquals(whole.calls().size(), s.calls().size(), "seed " + seed);
            for (int i = 0; i < whole.calls().size(); i++) {
                assertEquals(whole.calls().get(i).name(), s.calls().get(i).name());
                assertEquals(whole.calls().get(i).argumentsJson(), s.calls().get(i).argumentsJson());
            }
        }
        return whole;
    }

    @Test
    void hermesCallAfterContent() throws IOException {
        var r = check(ToolCallFormat.HERMES, "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": [1, 2]}}\n</tool_call>");
        assertEquals("Let me check.\n", r.content());
        assertEquals(1, r.calls().size());
        assertEquals("get_weather", r.calls().getFirst().name());
        assertEquals("Paris", args(r.calls().getFirst()).get("city").asText());
        assertEquals(2, args(r.calls().getFirst()).get("days").size());
        assertTrue(r.calls().getFirst().id().startsWith("call_"));
    }

    @Test
    void hermesParallelCallsArgumentsFirstAndStringArguments() throws IOException {
        String reply = "<tool_call>{\"arguments\": {\"tz\": \"UTC\"}, \"name\": \"get_time\"}</tool_call>\n"
                + "<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}</tool_call>";
        var r = check(ToolCallFormat.HERMES, reply);
        assertEquals(2, r.calls().size());
        assertEquals("get_time", r.calls().get(0).name());
        assertEquals("UTC", args(r.calls().get(0)).get("tz").asText());
        assertEquals("Oslo", args(r.calls().get(1)).get("city").asText());
        assertEquals("\n", r.content());
    }

    @Test
    void textThatOnlyLooksLikeMarkupStaysContent() {
        var r = check(ToolCallFormat.HERMES, "a < b and <tool but not <tool_call>oops</tool_call> done <tool_ca");
        assertEquals(0, r.calls().size());
        assertEquals("a < b and <tool but not <tool_call>oops</tool_call> done <tool_ca", r.content());
    }

    @Test
    void markupIsHeldBackWhileItMayBeACall() {
        ToolCallParser parser = new ToolCallParser(ToolCallFormat.HERMES, TOOLS);
        List<ToolCallEvent> events = new ArrayList<>();
        parser.feed("Hi <tool_", events::add);
        assertEquals(List.of(new ToolCallEvent.Content("Hi ")), events);
        parser.feed("call>{\"name\": \"get_time\", \"argu", events::add);
        assertInstanceOf(ToolCallEvent.CallStarted.class, events.getLast());
        parser.feed("ments\": {\"tz\": ", events::add);
        assertEquals(new ToolCallEvent.ArgumentsDelta(0, "{\"tz\": "), events.getLast());
        parser.feed("\"CET\"}}</tool_call>", events::add);
        parser.finish(events::add);
        assertEquals("{\"tz\": \"CET\"}", parser.calls().getFirst().argumentsJson());
        assertFalse(parser.content().contains("<"));
    }

    @Test
    void truncatedCallIsDroppedButCompleteArgumentsStand() throws IOException {
        var cut = ToolCallParser.parse(ToolCallFormat.HERMES, TOOLS, "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"tz\": \"U");
        assertEquals(0, cut.calls().size());
        var noClose = ToolCallParser.parse(ToolCallFormat.HERMES, TOOLS, "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}");
        assertEquals(1, noClose.calls().size());
        assertEquals("UTC", args(noClose.calls().getFirst()).get("tz").asText());
        assertEquals("", noClose.content());
    }

    @Test
    void llama3BareJsonAndPythonTag() throws IOException {
        var bare = check(ToolCallFormat.LLAMA3, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}");
        assertEquals("", bare.content());
        assertEquals("Rome", args(bare.calls().getFirst()).get("city").asText());
        var tagged = check(ToolCallFormat.LLAMA3, "<|python_tag|>{\"name\": \"get_time\", \"parameters\": {}}; {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}");
        assertEquals(2, tagged.calls().size());
        assertEquals("{}", tagged.calls().get(0).argumentsJson());
        assertEquals("Lima", args(tagged.calls().get(1)).get("city").asText());
    }

    @Test
    void bareJsonThatIsNotACallIsContent() {
        String answer = "{\"name\": \"Bob\", \"age\": 3}";
        var r = check(ToolCallFormat.LLAMA3, answer);
        assertEquals(0, r.calls().size());
        assertEquals(answer, r.content());
        var generic = check(ToolCallFormat.GENERIC, "  {\"answer\": 42} and more");
        assertEquals(0, generic.calls().size());
        assertEquals("  {\"answer\": 42} and more", generic.content());
        var prose = check(ToolCallFormat.GENERIC, "Sure {\"name\": \"get_time\"}");
        assertEquals(0, prose.calls().size());
    }

    @Test
    void genericCall() throws IOException {
        var r = check(ToolCallFormat.GENERIC, "\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Kyiv\", \"unit\": null, \"n\": -1.5e3}}");
        assertEquals(1, r.calls().size());
        assertEquals(-1500.0, args(r.calls().getFirst()).get("n").asDouble());
    }

    @Test
    void mistralNemoArrayWithIds() throws IOException {
        var r = check(ToolCallFormat.MISTRAL, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Bern\"}, \"id\": \"abc123def\"}, {\"name\": \"get_time\", \"arguments\": {}}]");
        assertEquals(2, r.calls().size());
        assertEquals("Bern", args(r.calls().get(0)).get("city").asText());
        assertEquals("get_time", r.calls().get(1).name());
        assertEquals("", r.content());
    }

    @Test
    void mistralSmallAndDevstral() throws IOException {
        var small = check(ToolCallFormat.MISTRAL, "[TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{\"city\": \"Graz\"}[TOOL_CALLS]get_time[ARGS]{}");
        assertEquals(2, small.calls().size());
        assertEquals("a1b2c3d4e", small.calls().get(0).id());
        assertEquals("Graz", args(small.calls().get(0)).get("city").asText());
        var devstral = check(ToolCallFormat.MISTRAL, "I'll look.[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Nice\"}");
        assertEquals("I'll look.", devstral.content());
        assertEquals("Nice", args(devstral.calls().getFirst()).get("city").asText());
    }

    @Test
    void deepSeekR1() throws IOException {
        String reply = "Checking.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Seoul\"}\n```<｜tool▁call▁end｜>\n"
                + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        var r = check(ToolCallFormat.DEEPSEEK, reply);
        assertEquals("Checking.", r.content());
        assertEquals(2, r.calls().size());
        assertEquals("Seoul", args(r.calls().get(0)).get("city").asText());
        assertEquals("get_time", r.calls().get(1).name());
    }

    @Test
    void deepSeekV31() throws IOException {
        var r = check(ToolCallFormat.DEEPSEEK, "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Hanoi\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
        assertEquals(1, r.calls().size());
        assertEquals("get_weather", r.calls().getFirst().name());
        assertEquals("Hanoi", args(r.calls().getFirst()).get("city").asText());
        assertEquals("", r.content());
    }

    @Test
    void markupBrokenAfterACallNeverLeaksIntoContent() {
        var r = check(ToolCallFormat.MISTRAL, "[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": {}}, oops] after");
        assertEquals(1, r.calls().size());
        assertFalse(r.content().contains("TOOL_CALLS") || r.content().contains("get_time"), r.content());
    }

    @Test
    void plainReplyHasNoCalls() {
        for (ToolCallFormat f : ToolCallFormat.values()) {
            var r = check(f, "Just text, with [brackets] and <angles> and {braces}.");
            assertEquals(0, r.calls().size(), f.name());
            assertEquals("Just text, with [brackets] and <angles> and {braces}.", r.content(), f.name());
        }
    }
}
