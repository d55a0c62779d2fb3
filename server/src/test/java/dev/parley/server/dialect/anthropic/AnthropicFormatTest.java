package dev.parley.server.dialect.anthropic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationEvent.Channel;
import dev.parley.runtime.tools.ToolCall;
import dev.parley.runtime.tools.ToolCallEvent;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.RecordingResponse;
import dev.parley.server.exchange.EventWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Anthropic's encoder against scripted events: no model, no server; the events parsed. */
class AnthropicFormatTest {

    private static final GenerationEvent.Started STARTED = new GenerationEvent.Started(0, 20, 5, 0);
    private static final GenerationEvent.Usage USAGE = new GenerationEvent.Usage(20, 5, 7, 2, 0, 1, 2, 3);

    private record Event(String name, JsonNode data) {}

    private static List<Event> events(String body) throws Exception {
        List<Event> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            String[] lines = block.split("\n");
            assertEquals(2, lines.length, block);
            assertTrue(lines[0].startsWith("event: ") && lines[1].startsWith("data: "), block);
            JsonNode data = Json.MAPPER.readTree(lines[1].substring(6));
            assertEquals(lines[0].substring(7), data.get("type").asText(), "data.type is the event's name");
            out.add(new Event(lines[0].substring(7), data));
        }
        return out;
    }

    private static GenerationEvent.Piece piece(Channel channel, String text) {
        return new GenerationEvent.Piece(text, text, channel, 1);
    }

    @Test
    void aStreamNumbersItsBlocksAndEndsACallWithToolUse() throws Exception {
        RecordingResponse res = new RecordingResponse();
        EventWriter w = new AnthropicFormat("msg_1", "m", "r1", true).open(STARTED, res);
        w.piece(piece(Channel.REASONING, "hmm"));
        w.piece(piece(Channel.CONTENT, ""));
        w.piece(piece(Channel.CONTENT, "Let me look."));
        w.toolCall(new ToolCallEvent.CallStarted(0, "call_abc", "get_weather"));
        w.toolCall(new ToolCallEvent.ArgumentsDelta(0, "{\"city\":"));
        w.toolCall(new ToolCallEvent.ArgumentsDelta(0, "\"Paris\"}"));
        w.toolCall(new ToolCallEvent.CallFinished(0, new ToolCall("call_abc", "get_weather", "{\"city\":\"Paris\"}")));
        w.done(new GenerationEvent.Done(GenerationEvent.FinishReason.STOP, USAGE), null);
        assertEquals("r1", res.headers.get("request-id"));
        List<Event> events = events(res.body());
        assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start",
                "content_block_delta", "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop"), events.stream().map(Event::name).toList());
        JsonNode usage = events.get(0).data().get("message").get("usage");
        assertEquals(15, usage.get("input_tokens").asInt(), "the prompt tokens the cache did not hold");
        assertEquals(5, usage.get("cache_read_input_tokens").asInt());
        assertEquals(Map.of(2, 0, 5, 1, 8, 2, 11, 2), Map.of(2, events.get(2).data().get("index").asInt(), 5, events.get(5).data().get("index").asInt(),
                8, events.get(8).data().get("index").asInt(), 11, events.get(11).data().get("index").asInt()));
        assertEquals("thinking", events.get(2).data().get("content_block").get("type").asText());
        assertEquals("hmm", events.get(3).data().get("delta").get("thinking").asText());
        assertEquals("text_delta", events.get(6).data().get("delta").get("type").asText());
        JsonNode call = events.get(8).data().get("content_block");
        assertEquals("toolu_abc", call.get("id").asText());
        assertEquals("get_weather", call.get("name").asText());
        assertEquals("{\"city\":\"Paris\"}", events.get(9).data().get("delta").get("partial_json").asText()
                + events.get(10).data().get("delta").get("partial_json").asText());
        JsonNode delta = events.get(12).data();
        assertEquals("tool_use", delta.get("delta").get("stop_reason").asText());
        assertTrue(delta.get("delta").get("stop_sequence").isNull());
        assertEquals(7, delta.get("usage").get("output_tokens").asInt());
    }

    @Test
    void aFailureAfterTheStartIsAnErrorEvent() throws Exception {
        RecordingResponse res = new RecordingResponse();
        EventWriter w = new AnthropicFormat("msg_1", "m", "r2", true).open(STARTED, res);
        w.piece(piece(Channel.CONTENT, "x"));
        w.failed(ApiError.engine(ErrorCode.QUEUE_TIMEOUT, "waited too long"));
        List<Event> events = events(res.body());
        Event last = events.getLast();
        assertEquals("error", last.name());
        assertEquals("timeout_error", last.data().get("error").get("type").asText());
        assertEquals("waited too long", last.data().get("error").get("message").asText());
        assertEquals("r2", last.data().get("request_id").asText());
    }

    @Test
    void aWholeMessageNamesTheStopSequence() throws Exception {
        RecordingResponse res = new RecordingResponse();
        EventWriter w = new AnthropicFormat("msg_2", "m", "r3", false).open(STARTED, res);
        w.piece(piece(Channel.CONTENT, "Hello "));
        w.piece(piece(Channel.CONTENT, "there"));
        w.done(new GenerationEvent.Done(GenerationEvent.FinishReason.STOP, USAGE, "END"), null);
        JsonNode m = Json.MAPPER.readTree(res.body());
        assertEquals("stop_sequence", m.get("stop_reason").asText());
        assertEquals("END", m.get("stop_sequence").asText());
        assertEquals(1, m.get("content").size(), "adjacent pieces are one block");
        assertEquals("Hello there", m.get("content").get(0).get("text").asText());
        assertEquals(0, m.get("usage").get("cache_creation_input_tokens").asInt());
        JsonNode cut = Json.MAPPER.readTree(runWhole(new GenerationEvent.Done(GenerationEvent.FinishReason.LENGTH, USAGE)).body());
        assertEquals("max_tokens", cut.get("stop_reason").asText());
        assertEquals(0, cut.get("content").size());
    }

    private static RecordingResponse runWhole(GenerationEvent.Done done) throws Exception {
        RecordingResponse res = new RecordingResponse();
        new AnthropicFormat("msg_3", "m", "r4", false).open(STARTED, res).done(done, null);
        return res;
    }

    @Test
    void errorTypesFollowAnthropicsStatuses() {
        Map<Integer, String> expected = Map.of(400, "invalid_request_error", 401, "authentication_error", 403, "permission_error", 404,
                "not_found_error", 413, "request_too_large", 429, "rate_limit_error", 500, "api_error", 503, "overloaded_error", 529,
                "overloaded_error", 504, "timeout_error");
        expected.forEach((status, type) -> assertEquals(type, AnthropicErrors.type(status), "status " + status));
        JsonNode body = AnthropicErrors.SHAPE.body("req-9", new ApiError(409, "busy thread", null));
        assertEquals("error", body.get("type").asText());
        assertEquals("invalid_request_error", body.get("error").get("type").asText());
        assertEquals("req-9", body.get("request_id").asText());
    }
}
