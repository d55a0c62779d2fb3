package dev.parley.server.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationEvent.Channel;
import dev.parley.runtime.tools.ToolCallFormat;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.RecordingResponse;
import dev.parley.server.dialect.openai.OpenAiFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The splitter between the exchange and a writer, with OpenAI's chunks as the writer: scripted pieces
 * that cut the call markup anywhere give content without markup and OpenAI's tool-call deltas.
 */
class ToolCallSplitterTest {

    private static final GenerationEvent.Usage USAGE = new GenerationEvent.Usage(20, 0, 9, 0, 0, 1, 2, 3);

    private static List<JsonNode> streamed(List<String> pieces) throws Exception {
        RecordingResponse res = new RecordingResponse();
        EventWriter w = new ToolCallSplitter(new OpenAiFormat("chatcmpl-1", "m", true, true, false, false)
                .open(new GenerationEvent.Started(0, 20, 0, 0), res), new ToolCalls(ToolCallFormat.HERMES, Set.of("get_weather")).parser());
        w.piece(new GenerationEvent.Piece("hmm", "hmm", Channel.REASONING, 1));
        for (String p : pieces) {
            w.piece(new GenerationEvent.Piece(p, p, Channel.CONTENT, 1));
        }
        w.done(new GenerationEvent.Done(GenerationEvent.FinishReason.STOP, USAGE), null);
        List<JsonNode> chunks = new ArrayList<>();
        for (String block : res.body().split("\n\n")) {
            String data = block.substring("data: ".length());
            if (!data.equals("[DONE]")) {
                chunks.add(Json.MAPPER.readTree(data));
            }
        }
        return chunks;
    }

    @Test
    void markupCutAnywhereBecomesToolCallDeltas() throws Exception {
        String reply = "Let me check.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        for (int cut1 = 1; cut1 < reply.length() - 1; cut1 += 3) {
            int cut2 = Math.min(reply.length() - 1, cut1 + 7);
            List<JsonNode> chunks = streamed(List.of(reply.substring(0, cut1), reply.substring(cut1, cut2), reply.substring(cut2)));
            StringBuilder content = new StringBuilder();
            StringBuilder reasoning = new StringBuilder();
            StringBuilder args = new StringBuilder();
            List<JsonNode> calls = new ArrayList<>();
            for (JsonNode c : chunks) {
                JsonNode delta = c.get("choices").get(0).get("delta");
                content.append(delta.path("content").asText(""));
                reasoning.append(delta.path("reasoning_content").asText(""));
                for (JsonNode call : delta.path("tool_calls")) {
                    calls.add(call);
                    args.append(call.get("function").path("arguments").asText(""));
                }
            }
            String at = "cut at " + cut1 + "/" + cut2;
            assertEquals("Let me check.", content.toString(), at);
            assertEquals("hmm", reasoning.toString(), at);
            JsonNode first = calls.getFirst();
            assertEquals("get_weather", first.get("function").get("name").asText(), at);
            assertTrue(first.get("id").asText().startsWith("call_"), at);
            assertEquals("function", first.get("type").asText(), at);
            assertTrue(calls.stream().skip(1).noneMatch(c -> c.has("id") || c.get("function").has("name")), "name and id come once: " + calls);
            assertEquals(Json.MAPPER.readTree("{\"city\": \"Paris\"}"), Json.MAPPER.readTree(args.toString()), at);
            assertEquals("tool_calls", chunks.getLast().get("choices").get(0).get("finish_reason").asText(), at);
        }
    }

    @Test
    void whitespaceBetweenParallelCallsIsNotContent() throws Exception {
        String call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>";
        List<JsonNode> chunks = streamed(List.of(call, "\n", call, "\n"));
        int announced = 0;
        for (JsonNode c : chunks) {
            JsonNode delta = c.get("choices").get(0).get("delta");
            assertTrue(delta.path("content").asText("").isEmpty(), "no content: " + delta);
            announced += (int) java.util.stream.StreamSupport.stream(delta.path("tool_calls").spliterator(), false).filter(t -> t.has("id")).count();
        }
        assertEquals(2, announced);
        // Whitespace before text still goes out with it.
        StringBuilder content = new StringBuilder();
        for (JsonNode c : streamed(List.of("\n\n", "Hi", " "))) {
            content.append(c.get("choices").get(0).get("delta").path("content").asText(""));
        }
        assertEquals("\n\nHi ", content.toString());
    }

    @Test
    void textThatOnlyLooksLikeMarkupIsContent() throws Exception {
        List<JsonNode> chunks = streamed(List.of("a <tool", "_cal", "l is not here"));
        StringBuilder content = new StringBuilder();
        for (JsonNode c : chunks) {
            JsonNode delta = c.get("choices").get(0).get("delta");
            content.append(delta.path("content").asText(""));
            assertTrue(delta.path("tool_calls").isMissingNode());
        }
        assertEquals("a <tool_call is not here", content.toString());
        assertEquals("stop", chunks.getLast().get("choices").get(0).get("finish_reason").asText());
    }
}
