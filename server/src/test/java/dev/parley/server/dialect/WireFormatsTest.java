package dev.parley.server.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationEvent.Channel;
import dev.parley.server.api.ApiError;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.aisdk.AiChatStream;
import dev.parley.server.dialect.aisdk.UiMessageStream;
import dev.parley.server.dialect.openai.OpenAiFormat;
import dev.parley.server.dialect.paddler.PaddlerNdjson;
import dev.parley.server.dialect.parley.ParleyEvents;
import dev.parley.server.exchange.EventWriter;
import dev.parley.server.exchange.WholeJson;
import dev.parley.server.exchange.WireFormat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each dialect's encoder against scripted events: no model, no server; the bytes parsed. */
class WireFormatsTest {

    private static final GenerationEvent.Started STARTED = new GenerationEvent.Started(3, 20, 5, 0);
    private static final GenerationEvent.Usage USAGE = new GenerationEvent.Usage(20, 5, 7, 2, 0, 1, 2, 3);

    private static GenerationEvent.Piece reasoning(String text) {
        return new GenerationEvent.Piece(text, text, Channel.REASONING, 1);
    }

    private static GenerationEvent.Piece content(String text) {
        return new GenerationEvent.Piece(text, text, Channel.CONTENT, 1);
    }

    /** Feeds pieces, then ends with {@code end} (a Done, or an ApiError for a failure). */
    private static RecordingResponse run(WireFormat format, Object end, GenerationEvent.Piece... pieces) throws Exception {
        RecordingResponse res = new RecordingResponse();
        EventWriter w = format.open(STARTED, res);
        for (GenerationEvent.Piece p : pieces) {
            w.piece(p);
        }
        if (end instanceof GenerationEvent.Done d) {
            w.done(d, null);
        } else {
            w.failed((ApiError) end);
        }
        return res;
    }

    private static List<JsonNode> sseData(String body) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            assertTrue(block.startsWith("data: "), block);
            String data = block.substring(6);
            out.add(data.equals("[DONE]") ? Json.MAPPER.getNodeFactory().textNode("[DONE]") : Json.MAPPER.readTree(data));
        }
        return out;
    }

    private static String types(List<JsonNode> parts) {
        return String.join(",", parts.stream().map(p -> p.isTextual() ? p.asText() : p.get("type").asText() + (p.has("id") ? ":" + p.get("id").asText() : "")).toList());
    }

    @Test
    void uiMessageStreamOpensANewBlockWhenTheChannelChanges() throws Exception {
        RecordingResponse res = run(new UiMessageStream(), new GenerationEvent.Done(GenerationEvent.FinishReason.LENGTH, USAGE),
                reasoning("a"), reasoning("b"), content("c"), content(""), reasoning("d"));
        assertEquals("v1", res.headers.get("x-vercel-ai-ui-message-stream"));
        List<JsonNode> parts = sseData(res.body());
        assertEquals("start,start-step,reasoning-start:reasoning-0,reasoning-delta:reasoning-0,reasoning-delta:reasoning-0,reasoning-end:reasoning-0,"
                + "text-start:text-1,text-delta:text-1,text-end:text-1,reasoning-start:reasoning-2,reasoning-delta:reasoning-2,reasoning-end:reasoning-2,"
                + "finish-step,finish,[DONE]", types(parts));
        JsonNode finish = parts.get(parts.size() - 2);
        assertEquals("length", finish.get("finishReason").asText());
        assertEquals(7, finish.get("messageMetadata").get("usage").get("outputTokens").asInt());
    }

    @Test
    void uiMessageStreamClosesTheOpenBlockBeforeAnError() throws Exception {
        List<JsonNode> parts = sseData(run(new UiMessageStream(), ApiError.engine(ErrorCode.CONTEXT_FULL, "context full"), content("x")).body());
        assertEquals("start,start-step,text-start:text-0,text-delta:text-0,text-end:text-0,error,[DONE]", types(parts));
        assertEquals("context full", parts.get(5).get("errorText").asText());
    }

    @Test
    void aiChatStreamSendsOnePartPerDeltaAndErrorsAsParts() throws Exception {
        List<JsonNode> parts = sseData(run(new AiChatStream(), new GenerationEvent.Done(GenerationEvent.FinishReason.CANCELLED, USAGE),
                reasoning("r"), content("t")).body());
        assertEquals("reasoning,text-delta,finish", types(parts));
        assertEquals("other", parts.get(2).get("finishReason").asText(), "cancelled is the AI SDK's 'other'");
        assertEquals(27, parts.get(2).get("usage").get("totalTokens").asInt());
        List<JsonNode> failed = sseData(run(new AiChatStream(), ApiError.engine(ErrorCode.INTERNAL, "boom"), content("t")).body());
        assertEquals("text-delta,error", types(failed));
        assertEquals("boom", failed.get(1).get("error").asText());
    }

    @Test
    void paddlerNdjsonSendsRawPiecesAndErrorsAsTheLastLine() throws Exception {
        GenerationEvent.Piece marker = new GenerationEvent.Piece("<think>", "", Channel.REASONING, 1);
        RecordingResponse res = run(new PaddlerNdjson("r1"), ApiError.engine(ErrorCode.CONTEXT_FULL, "full"), marker, content("hi"),
                new GenerationEvent.Piece("", "", Channel.CONTENT, 0));
        assertEquals("application/x-ndjson", res.headers.get("content-type"));
        String[] lines = res.body().split("\n");
        assertEquals(3, lines.length, res.body());
        assertEquals("<think>", Json.MAPPER.readTree(lines[0]).at("/Response/response/GeneratedToken/generated_token_result/Token").asText());
        assertEquals(3, Json.MAPPER.readTree(lines[1]).at("/Response/response/GeneratedToken/slot").asInt());
        JsonNode error = Json.MAPPER.readTree(lines[2]).get("Error");
        assertEquals("r1", error.get("request_id").asText());
        assertEquals(500, error.get("error").get("code").asInt());
    }

    @Test
    void openAiChunksPutAFailureInTheStreamThenDone() throws Exception {
        List<JsonNode> parts = sseData(run(new OpenAiFormat("chatcmpl-1", "m", true, true, true, false), ApiError.engine(ErrorCode.CONTEXT_FULL, "full"),
                reasoning("r"), content("c")).body());
        assertEquals(5, parts.size());
        assertEquals("[DONE]", parts.get(4).asText(), "clients read to [DONE]; the error chunk before it says why");
        assertEquals("assistant", parts.get(0).at("/choices/0/delta/role").asText());
        assertEquals("r", parts.get(1).at("/choices/0/delta/reasoning_content").asText());
        assertEquals("c", parts.get(2).at("/choices/0/delta/content").asText());
        assertEquals("context_full", parts.get(3).at("/error/code").asText());
    }

    @Test
    void parleyWholeAnswersCarryAMessageIdOnlyWhereStored() throws Exception {
        GenerationEvent.Done done = new GenerationEvent.Done(GenerationEvent.FinishReason.STOP, USAGE);
        JsonNode thread = Json.MAPPER.readTree(run(ParleyEvents.whole("r", true), done, reasoning("t"), content("a")).body());
        assertTrue(thread.has("message_id") && thread.get("message_id").isNull());
        JsonNode stateless = Json.MAPPER.readTree(run(ParleyEvents.whole("r", false), done, content("a")).body());
        assertEquals(List.of("text", "thinking", "finish_reason", "usage"), fieldNames(stateless));
        assertEquals("a", stateless.get("text").asText());
    }

    @Test
    void aLongWholeAnswerHeartbeatsWithSpacesAndKeepsItsBodyValidJson() throws Exception {
        RecordingResponse res = new RecordingResponse();
        WholeJson json = new WholeJson(res);
        json.heartbeat();
        assertEquals(0, res.bytesWritten(), "silent during the quiet second");
        Thread.sleep(WholeJson.QUIET_MILLIS + 50);
        json.heartbeat();
        json.heartbeat();
        json.send(500, Json.object().put("error", "late"));
        assertEquals(200, res.committedStatus(), "the status went out with the first space");
        assertTrue(res.body().startsWith("  {"), res.body());
        assertEquals("late", Json.MAPPER.readTree(res.body()).get("error").asText(), "leading whitespace is valid JSON");
    }

    private static List<String> fieldNames(JsonNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
