package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAI-compatible API, driven by the official OpenAI Java SDK. */
class OpenAiApiTest {

    @ServerFlags({"--slots", "2", "--ctx-size", "4096"})
    private static TestServer server;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.server.port() + "/v1").apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
    }

    private static ChatCompletionCreateParams.Builder params(long maxTokens) {
        return ChatCompletionCreateParams.builder().model("parley").addSystemMessage("You are helpful.").addUserMessage("Hello!")
                .maxCompletionTokens(maxTokens).temperature(0.0);
    }

    @Test
    void nonStreamingChatCompletion() {
        ChatCompletion c = client.chat().completions().create(params(6).build());
        assertEquals(1, c.choices().size());
        ChatCompletion.Choice choice = c.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, choice.finishReason());
        assertFalse(choice.message().content().orElse("").isEmpty());
        assertEquals(6, c.usage().orElseThrow().completionTokens());
        assertTrue(c.usage().orElseThrow().promptTokens() > 5);
        assertTrue(c.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens().isPresent());
    }

    @Test
    void streamingChatCompletionWithUsage() {
        ChatCompletionCreateParams p = params(7).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(p)) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
            });
        }
        assertFalse(text.isEmpty());
        ChatCompletionChunk withFinish = chunks.stream().filter(ch -> !ch.choices().isEmpty() && ch.choices().getFirst().finishReason().isPresent())
                .findFirst().orElseThrow();
        assertEquals(ChatCompletionChunk.Choice.FinishReason.LENGTH, withFinish.choices().getFirst().finishReason().orElseThrow());
        assertEquals(7, chunks.getLast().usage().orElseThrow().completionTokens());
        // The same request without streaming gives the same text (greedy).
        String whole = client.chat().completions().create(params(7).build()).choices().getFirst().message().content().orElse("");
        assertEquals(whole, text.toString());
    }

    @Test
    void modelsListsTheLoadedModel() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals(server.server.engine().model().name(), models.getFirst().id());
    }

    @Test
    void badRequestsComeBackInOpenAisErrorShape() throws Exception {
        assertThrows(BadRequestException.class, () -> client.chat().completions().create(params(0).build()));
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}");
        assertEquals(400, r.statusCode());
        JsonNode err = Json.MAPPER.readTree(r.body()).get("error");
        assertEquals("invalid_request_error", err.get("type").asText());
        assertTrue(err.get("message").asText().contains("wizard"));
        assertEquals("messages[0].role", err.get("param").asText());
    }

    @Test
    void reasoningComesApartFromContent() throws Exception {
        // The grammar makes the tiny model "think" first, so the split is exercised for real.
        String body = """
                {"messages": [{"role": "user", "content": "Think first."}], "max_tokens": 30, "temperature": 0,
                 "grammar": "root ::= \\"<think>\\\\nhmm\\\\n</think>\\\\n\\\\nAnswer.\\""}""";
        HttpResponse<String> r = server.post("/v1/chat/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode message = Json.MAPPER.readTree(r.body()).get("choices").get(0).get("message");
        assertEquals("\nhmm\n", message.get("reasoning_content").asText());
        assertEquals("\n\nAnswer.", message.get("content").asText());
        assertTrue(Json.MAPPER.readTree(r.body()).get("usage").get("completion_tokens_details").get("reasoning_tokens").asInt() > 0);
    }

    @Test
    void jsonObjectResponseFormatGivesJson() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"JSON please\"}], \"max_tokens\": 40, \"temperature\": 0,"
                + " \"response_format\": {\"type\": \"json_object\"}}";
        HttpResponse<String> r = server.post("/v1/chat/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = Json.MAPPER.readTree(r.body()).get("choices").get(0);
        String content = choice.get("message").get("content").asText();
        if (choice.get("finish_reason").asText().equals("stop")) {
            assertTrue(Json.MAPPER.readTree(content).isObject(), content);
        } else {
            assertTrue(content.startsWith("{"), content);
        }
    }

    @Test
    void legacyCompletions() throws Exception {
        HttpResponse<String> r = server.post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 4, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode c = Json.MAPPER.readTree(r.body());
        assertEquals("text_completion", c.get("object").asText());
        assertEquals(4, c.get("usage").get("completion_tokens").asInt());
        assertFalse(c.get("choices").get(0).get("text").asText().isEmpty());
    }
}
