package dev.parley.server.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationEvent.Channel;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.byid.ConversationByIdAnswer;
import dev.parley.server.dialect.messagethreads.MessageThreadsAnswer;
import dev.parley.server.dialect.ollama.OllamaNdjson;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.WireFormat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The encoders of the conversation-by-id, conversation-threads and Ollama dialects against scripted
 * events: what a failure after the start looks like (a real model rarely fails mid-stream on cue).
 */
class SavedThreadAndOllamaFormatsTest {

    private static final GenerationEvent.Started STARTED = new GenerationEvent.Started(0, 20, 5, 0);
    private static final GenerationEvent.Usage USAGE = new GenerationEvent.Usage(20, 5, 7, 2, 1, 2, 3, 4);
    private static final ApiError FULL = ApiError.engine(ErrorCode.CONTEXT_FULL, "context full");

    private static GenerationEvent.Piece piece(Channel channel, String text) {
        return new GenerationEvent.Piece(text, text, channel, 1);
    }

    private static RecordingResponse run(WireFormat format, Object end, GenerationEvent.Piece... pieces) throws Exception {
        RecordingResponse res = new RecordingResponse();
        EventWriter w = format.open(STARTED, res);
        for (GenerationEvent.Piece p : pieces) {
            w.piece(p);
        }
        if (end instanceof GenerationEvent.Done d) {
            w.done(d, "msg_1");
        } else {
            w.failed((ApiError) end);
        }
        return res;
    }

    private static List<JsonNode> lines(String body, String prefix) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : body.split(prefix.isEmpty() ? "\n" : "\n\n")) {
            assertTrue(line.startsWith(prefix), line);
            out.add(Json.MAPPER.readTree(line.substring(prefix.length())));
        }
        return out;
    }

    @Test
    void ollamaStreamsThinkingAndContentApartAndEndsWithAnErrorLine() throws Exception {
        RecordingResponse res = run(new OllamaNdjson(true, true, "m:latest"), FULL, piece(Channel.REASONING, "hm"), piece(Channel.CONTENT, ""),
                piece(Channel.CONTENT, "Hi"));
        assertEquals("application/x-ndjson", res.headers.get("content-type"));
        List<JsonNode> l = lines(res.body(), "");
        assertEquals(3, l.size(), res.body());
        assertEquals("hm", l.get(0).at("/message/thinking").asText());
        assertEquals("", l.get(0).at("/message/content").asText());
        assertEquals("Hi", l.get(1).at("/message/content").asText());
        assertFalse(l.get(1).at("/message").has("thinking"));
        assertEquals(Json.MAPPER.readTree("{\"error\": \"context full\"}"), l.get(2));

        JsonNode whole = Json.MAPPER.readTree(run(new OllamaNdjson(false, false, "m"),
                new GenerationEvent.Done(GenerationEvent.FinishReason.STOP, USAGE), piece(Channel.REASONING, "t"), piece(Channel.CONTENT, "a")).body());
        assertEquals("a", whole.get("response").asText());
        assertEquals("t", whole.get("thinking").asText());
        assertEquals(6_000_000L, whole.get("total_duration").asLong(), "queue + prefill + generation, in nanoseconds");
        assertEquals(3_000_000L, whole.get("eval_duration").asLong());
    }

    @Test
    void conversationThreadsEndAStreamWithTheWholeReplyOrAnErrorObject() throws Exception {
        List<JsonNode> ok = lines(run(new MessageThreadsAnswer(true, "conv_1"), new GenerationEvent.Done(GenerationEvent.FinishReason.STOP, USAGE),
                piece(Channel.REASONING, "t"), piece(Channel.CONTENT, "a"), piece(Channel.CONTENT, "b")).body(), "data: ");
        assertEquals("thinking", ok.get(0).get("messagetype").asText());
        assertEquals("ab", ok.get(3).at("/data/message").asText());
        assertEquals("t", ok.get(3).at("/data/thinking").asText());
        assertEquals("msg_1", ok.get(3).at("/data/id").asText());
        assertEquals("conv_1", ok.get(3).at("/data/conversation_id").asText());
        List<JsonNode> failed = lines(run(new MessageThreadsAnswer(true, "conv_1"), FULL, piece(Channel.CONTENT, "a")).body(), "data: ");
        assertEquals(Json.MAPPER.readTree("{\"status\": \"error\", \"code\": 500, \"message\": \"context full\"}"), failed.get(1));

        RecordingResponse whole = run(new MessageThreadsAnswer(false, null), FULL, piece(Channel.CONTENT, "a"));
        assertEquals(500, whole.committedStatus());
        assertEquals("error", Json.MAPPER.readTree(whole.body()).get("status").asText());
    }

    @Test
    void aConversationByIdAnswersTextOrTheErrorWithItsStatus() throws Exception {
        JsonNode ok = Json.MAPPER.readTree(run(new ConversationByIdAnswer(false, "r"), new GenerationEvent.Done(GenerationEvent.FinishReason.LENGTH, USAGE),
                piece(Channel.CONTENT, "4"), piece(Channel.CONTENT, "44")).body());
        assertEquals("444", ok.get("text").asText());
        assertEquals("msg_1", ok.get("message_id").asText());
        assertEquals(7, ok.at("/usage/completion_tokens").asInt());
        RecordingResponse res = new RecordingResponse();
        EventWriter w = new ConversationByIdAnswer(false, "r").open(STARTED, res);
        w.truncated(2);
        w.done(new GenerationEvent.Done(GenerationEvent.FinishReason.STOP, USAGE), null);
        assertEquals(2, Json.MAPPER.readTree(res.body()).at("/usage/truncated_messages").asInt(), "the overflow policy's drop, reported");
        assertFalse(ok.get("usage").has("truncated_messages"), "absent when nothing was dropped");
        RecordingResponse failed = run(new ConversationByIdAnswer(false, "r"), new ApiError(409, "stored elsewhere first", null));
        assertEquals(409, failed.committedStatus());
        assertEquals(Json.MAPPER.readTree("{\"error\": \"stored elsewhere first\"}"), Json.MAPPER.readTree(failed.body()));
    }
}
