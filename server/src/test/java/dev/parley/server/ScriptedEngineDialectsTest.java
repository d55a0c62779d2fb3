package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.ErrorCode;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.engine.ScriptedEngine;
import dev.parley.server.api.Json;
import dev.parley.server.dialect.anthropic.AnthropicRequests;
import dev.parley.server.dialect.openai.OpenAiRequests;
import dev.parley.server.dialect.paddler.PaddlerRequests;
import dev.parley.server.exchange.Dialect;
import dev.parley.server.exchange.Endpoints;
import dev.parley.server.exchange.Exchange;
import dev.parley.server.exchange.Limits;
import dev.parley.server.http.PlainErrors;
import dev.parley.server.threads.ThreadStore;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dialects end to end over HTTP (body parsing, the exchange, the wire format, the error shapes) against a
 * {@link ScriptedEngine}: no natives and no model, so every event the "model" sends and how it ends is the
 * test's choice. The last user message picks the script; the requests the engine got show what the
 * dialect's parser made of the body's options.
 */
class ScriptedEngineDialectsTest {

    /** Slots hold this many tokens (code points of the rendered prompt). */
    private static final int SLOT = 400;

    private static ScriptedEngine engine;
    private static ThreadStore store;
    private static WebServer web;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        engine = new ScriptedEngine("scripted", SLOT, ScriptedEngineDialectsTest::answer);
        store = ThreadStore.sqlite(Files.createTempDirectory("parley-scripted"));
        Endpoints endpoints = new Endpoints(new Exchange(engine, store), new Limits(64, 16, 1 << 20), PlainErrors.SHAPE);
        List<Dialect> dialects = List.of(new AnthropicRequests(engine, store.files()), new OpenAiRequests(engine, store, null),
                new PaddlerRequests(store.files()));
        web = WebServer.builder().host("127.0.0.1").port(0).useNio(false)
                .routing(r -> dialects.forEach(d -> d.register(r, endpoints)))
                .build().start();
    }

    @AfterAll
    static void stop() {
        web.stop();
        store.close();
    }

    /** The script: what the last message asks for. */
    private static List<GenerationEvent> answer(GenerationRequest request, int promptTokens) {
        String last = lastUserMessage(request.prompt());
        return switch (last) {
            case "stop at END" -> ScriptedEngine.reply(FinishReason.STOP, "END", "Hel", "lo").answer(request, promptTokens);
            case "run long" -> ScriptedEngine.reply(FinishReason.LENGTH, null, "a", "b", "c").answer(request, promptTokens);
            case "end of turn" -> ScriptedEngine.reply(FinishReason.STOP, null, "Done.").answer(request, promptTokens);
            case "fail midway" -> List.of(new GenerationEvent.Piece("par", "par", GenerationEvent.Channel.CONTENT, 3),
                    new GenerationEvent.Failed(ErrorCode.CONTEXT_FULL, "the slot's context is full"));
            case "be busy" -> throw new EngineException(ErrorCode.QUEUE_FULL, "the queue is full (1 waiting)");
            default -> throw new AssertionError("no script for " + last);
        };
    }

    private static String lastUserMessage(Prompt prompt) {
        return switch (prompt) {
            case Prompt.Chat chat -> String.valueOf(chat.messages().getLast().get("content"));
            case Prompt.Raw raw -> raw.text();
            default -> throw new AssertionError("unexpected prompt " + prompt);
        };
    }

    private static HttpResponse<String> post(String path, Map<String, String> headers, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body)));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> chat(String userMessage, boolean stream) {
        return Map.of("model", "scripted", "stream", stream, "messages", List.of(Map.of("role", "user", "content", userMessage)));
    }

    /** What the engine got last. */
    private static GenerationRequest lastSubmitted() {
        return engine.submitted().getLast();
    }

    @Test
    void openAiStreamsPiecesThenTheFinishReasonAndUsage() throws Exception {
        Map<String, Object> body = new java.util.HashMap<>(chat("stop at END", true));
        body.putAll(Map.of("stream_options", Map.of("include_usage", true), "max_completion_tokens", 9, "stop", List.of("END"),
                "temperature", 0.5, "seed", 7, "logprobs", true, "top_logprobs", 2, "logit_bias", Map.of("65", 5), "speculative", false));
        HttpResponse<String> res = post("/v1/chat/completions", Map.of("x-session-id", "s-1"), body);
        assertEquals(200, res.statusCode(), res.body());
        assertEquals("s-1", res.headers().firstValue("x-session-id").orElse(null));

        SseEvents sse = SseEvents.parse(res.body());
        assertTrue(sse.events().getLast().done(), "the stream ends with [DONE]");
        List<JsonNode> chunks = sse.data();
        assertEquals("assistant", chunks.getFirst().at("/choices/0/delta/role").asText());
        StringBuilder content = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        JsonNode usage = null;
        for (JsonNode c : chunks) {
            assertEquals("chat.completion.chunk", c.get("object").asText());
            JsonNode choice = c.path("choices").path(0);
            content.append(choice.path("delta").path("content").asText(""));
            if (choice.hasNonNull("finish_reason")) {
                finishReasons.add(choice.get("finish_reason").asText());
            }
            if (c.hasNonNull("usage")) {
                usage = c.get("usage");
            }
        }
        assertEquals("Hello", content.toString());
        assertEquals(List.of("stop"), finishReasons);
        assertEquals(5, usage.get("completion_tokens").asInt());
        int prompt = "<|user|>stop at END\n<|assistant|>".length();
        assertEquals(prompt, usage.get("prompt_tokens").asInt());
        assertEquals(prompt + 5, usage.get("total_tokens").asInt());

        // the body's options reached the engine as the dialect parsed them, in one record
        GenerationRequest r = lastSubmitted();
        assertEquals(9, r.options().maxTokens());
        assertEquals(List.of("END"), r.options().stop());
        assertEquals(0.5f, r.options().sampling().temperature());
        assertEquals(7, r.options().sampling().seed());
        assertEquals(2, r.options().topLogprobs());
        assertEquals(Map.of(65, 5f), r.options().logitBias());
        assertEquals(Boolean.FALSE, r.options().speculative());
        assertEquals("s-1", r.conversation());
        assertEquals("local", r.cacheNamespace());
    }

    @Test
    void openAiAnswersWholeWithTheLengthFinishReason() throws Exception {
        HttpResponse<String> res = post("/v1/chat/completions", Map.of(), chat("run long", false));
        assertEquals(200, res.statusCode(), res.body());
        JsonNode r = Json.MAPPER.readTree(res.body());
        assertEquals("chat.completion", r.get("object").asText());
        assertEquals("abc", r.at("/choices/0/message/content").asText());
        assertEquals("length", r.at("/choices/0/finish_reason").asText());
        assertEquals(3, r.at("/usage/completion_tokens").asInt());
        GenerationRequest sent = lastSubmitted();
        assertEquals(16, sent.options().maxTokens(), "the server's default max_tokens");
        assertEquals(-1, sent.options().topLogprobs());
        assertEquals(null, sent.options().speculative(), "absent: the engine's setting");
        assertEquals(null, sent.conversation());
    }

    @Test
    void aFailureAfterTheStartIsAnErrorInTheStream() throws Exception {
        HttpResponse<String> res = post("/v1/chat/completions", Map.of(), chat("fail midway", true));
        assertEquals(200, res.statusCode(), "the stream had started");
        SseEvents sse = SseEvents.parse(res.body());
        assertTrue(sse.events().getLast().done());
        List<JsonNode> data = sse.data();
        assertEquals("par", data.get(1).at("/choices/0/delta/content").asText());
        JsonNode error = data.getLast().get("error");
        assertEquals("the slot's context is full", error.get("message").asText());
        assertEquals("server_error", error.get("type").asText());
        assertEquals("context_full", error.get("code").asText());
        assertFalse(data.stream().anyMatch(c -> c.path("choices").path(0).hasNonNull("finish_reason")), "no normal finish after a failure");
    }

    @Test
    void refusalsBeforeTheStartAreStatuses() throws Exception {
        HttpResponse<String> busy = post("/v1/chat/completions", Map.of(), chat("be busy", true));
        assertEquals(503, busy.statusCode());
        assertEquals("1", busy.headers().firstValue("Retry-After").orElse(null));
        JsonNode error = Json.MAPPER.readTree(busy.body()).get("error");
        assertEquals("queue_full", error.get("code").asText());
        assertEquals("server_error", error.get("type").asText());

        HttpResponse<String> tooLong = post("/v1/chat/completions", Map.of(), chat("x".repeat(SLOT), false));
        assertEquals(413, tooLong.statusCode());
        assertEquals("prompt_too_long", Json.MAPPER.readTree(tooLong.body()).at("/error/code").asText());
    }

    @Test
    void badOptionsAreRefusedBeforeTheEngineSeesThem() throws Exception {
        int before = engine.submitted().size();
        Map<String, Object> body = new java.util.HashMap<>(chat("end of turn", false));
        body.putAll(Map.of("logprobs", true, "top_logprobs", 21));
        HttpResponse<String> res = post("/v1/chat/completions", Map.of(), body);
        assertEquals(400, res.statusCode());
        JsonNode error = Json.MAPPER.readTree(res.body()).get("error");
        assertEquals("top_logprobs", error.get("param").asText());
        assertEquals("invalid_request_error", error.get("type").asText());

        body = new java.util.HashMap<>(chat("end of turn", false));
        body.put("speculative", "no");
        res = post("/v1/chat/completions", Map.of(), body);
        assertEquals(400, res.statusCode());
        assertEquals("speculative", Json.MAPPER.readTree(res.body()).at("/error/param").asText());
        assertEquals(before, engine.submitted().size());
    }

    @Test
    void anthropicStreamsBlocksAndNamesTheStopSequence() throws Exception {
        Map<String, Object> body = Map.of("model", "scripted", "max_tokens", 5, "stream", true, "stop_sequences", List.of("END"),
                "messages", List.of(Map.of("role", "user", "content", "stop at END")));
        HttpResponse<String> res = post("/v1/messages", Map.of("anthropic-version", "2023-06-01"), body);
        assertEquals(200, res.statusCode(), res.body());
        SseEvents sse = SseEvents.parse(res.body());
        List<String> names = sse.events().stream().map(SseEvents.Event::name).filter(n -> !"ping".equals(n)).toList();
        assertEquals(List.of("message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop"), names);
        StringBuilder text = new StringBuilder();
        JsonNode delta = null;
        for (SseEvents.Event e : sse.events()) {
            assertEquals(e.name(), e.data().get("type").asText(), "each event's data names its type");
            if ("content_block_delta".equals(e.name())) {
                text.append(e.data().at("/delta/text").asText());
            }
            if ("message_delta".equals(e.name())) {
                delta = e.data();
            }
        }
        assertEquals("Hello", text.toString());
        assertEquals("stop_sequence", delta.at("/delta/stop_reason").asText());
        assertEquals("END", delta.at("/delta/stop_sequence").asText());
        assertEquals(5, delta.at("/usage/output_tokens").asInt());
        assertEquals(5, lastSubmitted().options().maxTokens());
        assertEquals(List.of("END"), lastSubmitted().options().stop());
    }

    @Test
    void anthropicRefusesAFullQueueInItsOwnShape() throws Exception {
        Map<String, Object> body = Map.of("model", "scripted", "max_tokens", 5,
                "messages", List.of(Map.of("role", "user", "content", "be busy")));
        HttpResponse<String> res = post("/v1/messages", Map.of(), body);
        assertEquals(503, res.statusCode());
        JsonNode r = Json.MAPPER.readTree(res.body());
        assertEquals("error", r.get("type").asText());
        assertEquals("the queue is full (1 waiting)", r.at("/error/message").asText());
    }

    @Test
    void paddlerStreamsNdjsonFromARawPrompt() throws Exception {
        HttpResponse<String> res = post("/api/v1/continue_from_raw_prompt", Map.of(), Map.of("raw_prompt", "end of turn", "max_tokens", 3,
                "context_overflow", "error"));
        assertEquals(200, res.statusCode(), res.body());
        List<JsonNode> lines = new ArrayList<>();
        for (String line : res.body().split("\n")) {
            if (!line.isBlank()) {
                lines.add(Json.MAPPER.readTree(line));
            }
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode l : lines.subList(0, lines.size() - 1)) {
            text.append(l.at("/Response/response/GeneratedToken/generated_token_result/Token").asText());
        }
        assertEquals("Done.", text.toString());
        assertEquals("Done", lines.getLast().at("/Response/response/GeneratedToken/generated_token_result").asText(), "the last line says Done");
        assertEquals(0, lines.getLast().at("/Response/response/GeneratedToken/slot").asInt());
        assertEquals(3, lastSubmitted().options().maxTokens());
    }
}
