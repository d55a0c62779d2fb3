package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * /v1/embeddings, /api/embed and /api/embeddings on the generated Qwen3-shaped embedding model (last-token
 * pooling from its GGUF), through the real openai and ollama npm clients and plain HTTP; and the errors a
 * generative model answers in each dialect's shape.
 */
class EmbeddingsApiTest {

    private static final String KEY = "embed-key-ann-0123456789";
    private static final String SPENT = "embed-key-zed-0123456789";
    private static final String[] AUTH = {"Authorization", "Bearer " + KEY};
    // ann: no budget (her embedded tokens are counted); zed: a budget of 0, spent before the first call
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "1024", "--batch-size", "256", "--ubatch-size", "256"},
            keys = "ann:" + KEY + "\nzed:" + SPENT + ":0\n", model = ServerFlags.Model.TINY_QWEN3_EMBEDDING)
    private static TestServer server;
    @ServerFlags({"--slots", "1", "--ctx-size", "1024"})
    private static TestServer generative;

    @Test
    void openAiAndOllamaClients() throws Exception {
        String out = NodeClients.run("embeddings.mjs", "http://127.0.0.1:" + server.server.port(), Duration.ofSeconds(90),
                List.of("PARLEY_KEY=" + KEY));
        List<String> lines = out.lines().filter(l -> l.startsWith("{")).toList();
        JsonNode facts = Json.MAPPER.readTree(lines.getLast());
        assertEquals(64, facts.get("dims").intValue(), "the model's width");
        assertEquals(256, facts.get("cutTokens").intValue(), "a long input is cut to one micro-batch");
        assertTrue(facts.get("legacyNorm").doubleValue() > 1.5, "the legacy route is not normalized: " + facts.get("legacyNorm"));
        JsonNode first = facts.get("first");
        JsonNode mine = Json.MAPPER.readTree(server.post("/v1/embeddings",
                "{\"input\":\"The sea is calm tonight.\",\"encoding_format\":\"float\"}", AUTH).body()).at("/data/0/embedding");
        for (int i = 0; i < first.size(); i++) {
            assertEquals(first.get(i).doubleValue(), mine.get(i).doubleValue(), 1e-6, "same input, same vector, element " + i);
        }
    }

    @Test
    void base64IsTheFloatsLittleEndian() throws Exception {
        JsonNode f = Json.MAPPER.readTree(server.post("/v1/embeddings", "{\"input\":[\"abc\"],\"encoding_format\":\"float\"}", AUTH).body());
        JsonNode b = Json.MAPPER.readTree(server.post("/v1/embeddings", "{\"input\":[\"abc\"],\"encoding_format\":\"base64\"}", AUTH).body());
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(b.at("/data/0/embedding").textValue())).order(ByteOrder.LITTLE_ENDIAN);
        JsonNode floats = f.at("/data/0/embedding");
        assertEquals(floats.size() * 4, bytes.remaining());
        for (int i = 0; i < floats.size(); i++) {
            assertEquals(floats.get(i).floatValue(), bytes.getFloat(), "element " + i);
        }
        assertEquals(f.at("/usage/prompt_tokens").intValue(), b.at("/usage/total_tokens").intValue());
    }

    @Test
    void badInputIsA400InEachShape() throws Exception {
        HttpResponse<String> r = server.post("/v1/embeddings", "{\"input\":\"x\",\"encoding_format\":\"hex\"}", AUTH);
        assertEquals(400, r.statusCode());
        assertEquals("encoding_format", Json.MAPPER.readTree(r.body()).at("/error/param").textValue());
        r = server.post("/v1/embeddings", "{\"input\":[1,\"a\"]}", AUTH);
        assertEquals(400, r.statusCode());
        assertEquals("invalid_request_error", Json.MAPPER.readTree(r.body()).at("/error/type").textValue());
        r = server.post("/v1/embeddings", "{\"input\":[[99999999]]}", AUTH);
        assertEquals(400, r.statusCode(), r.body());
        r = server.post("/api/embed", "{\"model\":\"m\",\"input\":[3]}", AUTH);
        assertEquals(400, r.statusCode());
        assertTrue(Json.MAPPER.readTree(r.body()).get("error").isTextual());
    }

    @Test
    void embeddedTokensAreChargedAndASpentBudgetRefuses() throws Exception {
        long before = Json.MAPPER.readTree(server.get("/api/v1/usage", AUTH).body()).get("prompt_tokens").longValue();
        JsonNode r = Json.MAPPER.readTree(server.post("/v1/embeddings", "{\"input\":[\"one two\",\"three\"]}", AUTH).body());
        long after = Json.MAPPER.readTree(server.get("/api/v1/usage", AUTH).body()).get("prompt_tokens").longValue();
        assertEquals(r.at("/usage/prompt_tokens").longValue(), after - before, "the owner is charged the tokens embedded");
        HttpResponse<String> spent = server.post("/v1/embeddings", "{\"input\":\"x\"}", "Authorization", "Bearer " + SPENT);
        assertEquals(402, spent.statusCode());
        assertEquals("insufficient_quota", Json.MAPPER.readTree(spent.body()).at("/error/code").textValue());
        spent = server.post("/api/embed", "{\"model\":\"m\",\"input\":\"x\"}", "Authorization", "Bearer " + SPENT);
        assertEquals(402, spent.statusCode());
        assertTrue(Json.MAPPER.readTree(spent.body()).get("error").isTextual());
        assertEquals(401, server.post("/v1/embeddings", "{\"input\":\"x\"}").statusCode(), "a key is required");
    }

    @Test
    void aModelWithoutPoolingSaysSoInEachShape() throws Exception {
        HttpResponse<String> r = generative.post("/v1/embeddings", "{\"model\":\"m\",\"input\":\"hello\"}");
        assertEquals(400, r.statusCode());
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertEquals("embeddings_unsupported", e.get("code").textValue());
        assertTrue(e.get("message").textValue().contains("--embedding"), e.toString());
        JsonNode caps = Json.MAPPER.readTree(generative.post("/api/show", "{\"model\":\"m\"}").body()).get("capabilities");
        assertTrue(caps.isArray() && !caps.toString().contains("embedding"), caps.toString());
        for (String path : List.of("/api/embed", "/api/embeddings")) {
            r = generative.post(path, "{\"model\":\"m\",\"input\":\"hello\",\"prompt\":\"hello\"}");
            assertEquals(400, r.statusCode(), path);
            assertTrue(Json.MAPPER.readTree(r.body()).get("error").textValue().contains("does not make embeddings"), r.body());
        }
    }
}
