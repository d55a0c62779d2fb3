package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.testmodel.TestModels;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several models in one server: three copies of the tiny model under --models-dir (one also by an alias),
 * at most two loaded; the first stays loaded, the others load on first use, go after an idle second and
 * give way to each other least recently used first.
 */
class MultiModelTest {

    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("parley-models");
        for (String n : List.of("alpha", "beta", "gamma")) {
            Files.copy(TestModels.tinyQwen3(), dir.resolve(n + ".gguf"));
        }
        Files.writeString(dir.resolve("parley-models.properties"), "# another name for gamma's file\ng = gamma.gguf\n");
        server = new TestServer("--model", "alpha=" + dir.resolve("alpha.gguf"), "--model", "embed=" + TestModels.tinyQwen3Embedding(),
                "--models-dir", dir.toString(), "--models-max-loaded", "2", "--keep-alive", "1s",
                "--slots", "2", "--ctx-size", "512");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    private static Set<String> loaded() throws Exception {
        Set<String> names = new TreeSet<>();
        for (JsonNode m : json(server.get("/api/ps")).get("models")) {
            names.add(m.get("name").asText());
        }
        return names;
    }

    private static JsonNode openAi(String model) throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions",
                "{\"model\":\"" + model + "\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static JsonNode ollama(String model, String keepAlive) throws Exception {
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"" + model + "\",\"prompt\":\"hi\",\"stream\":false,"
                + "\"options\":{\"num_predict\":3}" + (keepAlive == null ? "" : ",\"keep_alive\":" + keepAlive) + "}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    @Test
    void everyModelIsListedAndTheDefaultIsLoaded() throws Exception {
        List<String> ids = new ArrayList<>();
        json(server.get("/v1/models")).get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertEquals(List.of("alpha", "embed", "beta", "gamma", "g"), ids);
        List<String> tags = new ArrayList<>();
        json(server.get("/api/tags")).get("models").forEach(m -> tags.add(m.get("name").asText()));
        assertEquals(ids, tags);
        assertTrue(loaded().contains("alpha"));
        assertTrue(json(server.get("/v1/models/alpha")).get("loaded").asBoolean());
    }

    @Test
    void modelsAnswerInTurnAndAtOnceAndTheLeastRecentlyUsedGoes() throws Exception {
        assertEquals("beta", openAi("beta").get("model").asText());
        assertEquals(Set.of("alpha", "beta"), loaded());
        assertEquals("gamma", ollama("gamma", "\"1m\"").get("model").asText());
        assertEquals(Set.of("alpha", "gamma"), loaded(), "beta was the least recently used idle model");
        assertTrue(PrometheusText.parse(server.get("/metrics").body()).samples().stream()
                .anyMatch(s -> s.name().equals("parley_model_unloads_total") && "beta".equals(s.labels().get("model"))));

        // at once: the default and another model, through OpenAI, Ollama and a thread
        String thread = json(server.post("/api/v1/conversations", "{\"title\":\"two models\"}")).get("id").asText();
        List<Callable<String>> calls = List.of(
                () -> openAi("alpha").get("model").asText(),
                () -> openAi("g").get("model").asText(),
                () -> ollama("g", null).get("model").asText(),
                () -> ollama("alpha:latest", null).get("model").asText(),
                () -> {
                    HttpResponse<String> r = server.post("/api/v1/conversations/" + thread + "/messages",
                            "{\"prompt\":\"hi\",\"stream\":false,\"max_tokens\":3,\"model\":\"g\"}");
                    assertEquals(200, r.statusCode(), r.body());
                    return "g";
                });
        try (var pool = Executors.newFixedThreadPool(calls.size())) {
            List<String> got = new ArrayList<>();
            for (Future<String> f : pool.invokeAll(calls)) {
                got.add(f.get());
            }
            assertEquals(List.of("alpha", "g", "g", "alpha:latest", "g"), got);
        }
        assertEquals(Set.of("alpha", "g"), loaded());

        // the answer names the model that gave it, in the Responses and Anthropic shapes too
        HttpResponse<String> resp = server.post("/v1/responses", "{\"model\":\"g\",\"input\":\"hi\",\"max_output_tokens\":3}");
        assertEquals(200, resp.statusCode(), resp.body());
        assertEquals("g", json(resp).get("model").asText());
        HttpResponse<String> msg = server.post("/v1/messages", "{\"model\":\"g\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, msg.statusCode(), msg.body());
        assertEquals("g", json(msg).get("model").asText());
    }

    @Test
    void idleModelsUnloadAndKeepAliveZeroUnloadsAtOnce() throws Exception {
        ollama("beta", "0");
        // the lease ends just after the answer is written; well before the 1 s keep-alive could unload it
        long soon = System.nanoTime() + 500_000_000L;
        while (loaded().contains("beta") && System.nanoTime() < soon) {
            Thread.sleep(20);
        }
        assertFalse(loaded().contains("beta"), "keep_alive 0 unloads when the request ends");
        openAi("gamma");
        assertTrue(loaded().contains("gamma"));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (loaded().contains("gamma") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(Set.of("alpha"), loaded(), "gamma went after --keep-alive 1s idle; the default stays");
    }

    @Test
    void embeddingsComeFromTheModelNamed() throws Exception {
        HttpResponse<String> o = server.post("/v1/embeddings", "{\"model\":\"embed\",\"input\":[\"a\",\"b\"]}");
        assertEquals(200, o.statusCode(), o.body());
        assertEquals("embed", json(o).get("model").asText());
        assertEquals(2, json(o).get("data").size());
        HttpResponse<String> l = server.post("/api/embed", "{\"model\":\"embed\",\"input\":\"a\"}");
        assertEquals(200, l.statusCode(), l.body());
        assertTrue(json(l).get("embeddings").get(0).size() > 0);
        assertEquals(400, server.post("/v1/embeddings", "{\"model\":\"alpha\",\"input\":\"a\"}").statusCode(), "alpha declares no pooling");
        assertEquals(404, server.post("/api/embed", "{\"model\":\"nope\",\"input\":\"a\"}").statusCode());
        // /api/show reads the named model: only the embedding one says it embeds
        List<String> caps = new ArrayList<>();
        json(server.post("/api/show", "{\"model\":\"embed\"}")).get("capabilities").forEach(c -> caps.add(c.asText()));
        assertTrue(caps.contains("embedding"), caps.toString());
        List<String> alphaCaps = new ArrayList<>();
        json(server.post("/api/show", "{\"model\":\"alpha\"}")).get("capabilities").forEach(c -> alphaCaps.add(c.asText()));
        assertFalse(alphaCaps.contains("embedding"), alphaCaps.toString());
        assertEquals(404, server.post("/api/show", "{\"model\":\"nope\"}").statusCode());
    }

    @Test
    void anUnknownModelIs404InEachDialectsShapeListingTheModels() throws Exception {
        HttpResponse<String> o = server.post("/v1/chat/completions", "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(404, o.statusCode());
        JsonNode err = json(o).get("error");
        assertEquals("model_not_found", err.get("code").asText());
        assertTrue(err.get("message").asText().contains("alpha, embed, beta, gamma, g"), err.toString());

        HttpResponse<String> l = server.post("/api/chat", "{\"model\":\"nope\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(404, l.statusCode());
        assertTrue(json(l).get("error").asText().contains("alpha, embed, beta, gamma, g"), l.body());

        HttpResponse<String> a = server.post("/v1/messages", "{\"model\":\"nope\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(404, a.statusCode());
        assertEquals("error", json(a).get("type").asText());
        assertEquals("not_found_error", json(a).get("error").get("type").asText());

        assertEquals(404, server.get("/v1/models/nope").statusCode());
    }

    private static JsonNode thread(String id) throws Exception {
        return json(server.get("/api/v1/conversations/" + id));
    }

    private static HttpResponse<String> turn(String id, String model) throws Exception {
        return server.post("/api/v1/conversations/" + id + "/messages", "{\"prompt\":\"hi\",\"stream\":false,\"max_tokens\":3"
                + (model == null ? "" : ",\"model\":\"" + model + "\"") + "}");
    }

    @Test
    void aThreadKeepsItsModel() throws Exception {
        HttpResponse<String> created = server.post("/api/v1/conversations", "{\"title\":\"on beta\",\"model\":\"beta\"}");
        assertEquals(201, created.statusCode(), created.body());
        String id = json(created).get("id").asText();
        assertEquals("beta", json(created).get("model").asText());
        // a turn naming no model runs on the thread's: beta loads for it
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (loaded().contains("beta") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertFalse(loaded().contains("beta"));
        assertEquals(200, turn(id, null).statusCode());
        assertTrue(loaded().contains("beta"), "the thread's model answered");

        // PATCH changes it, null sets it back to the default
        HttpResponse<String> patched = server.send("PATCH", "/api/v1/conversations/" + id, "{\"model\":\"g\"}");
        assertEquals(200, patched.statusCode(), patched.body());
        assertEquals("g", json(patched).get("model").asText());
        patched = server.send("PATCH", "/api/v1/conversations/" + id, "{\"model\":null}");
        assertEquals(200, patched.statusCode(), patched.body());
        assertTrue(json(patched).get("model").isNull());

        // a thread without one remembers the first model a turn names, and only the first
        String plain = json(server.post("/api/v1/conversations", "{}")).get("id").asText();
        assertTrue(thread(plain).get("model").isNull());
        assertEquals(404, turn(plain, "nope").statusCode());
        assertTrue(thread(plain).get("model").isNull(), "an unknown model is not remembered");
        assertEquals(200, turn(plain, "gamma").statusCode());
        assertEquals("gamma", thread(plain).get("model").asText());
        assertEquals(200, turn(plain, "alpha").statusCode());
        assertEquals("gamma", thread(plain).get("model").asText());
        // a fork continues on its parent's model
        String first = thread(plain).get("messages").get(1).get("id").asText();
        HttpResponse<String> fork = server.post("/api/v1/conversations/" + plain + "/fork", "{\"at_message_id\":\"" + first + "\"}");
        assertEquals(201, fork.statusCode(), fork.body());
        assertEquals("gamma", json(fork).get("model").asText());
    }

    @Test
    void anUnknownModelOnAThreadIs404InTheThreadsShapeListingTheModels() throws Exception {
        HttpResponse<String> c = server.post("/api/v1/conversations", "{\"model\":\"nope\"}");
        assertEquals(404, c.statusCode());
        JsonNode err = json(c).get("Error").get("error");
        assertEquals(404, err.get("code").asInt());
        assertTrue(err.get("description").asText().contains("alpha, embed, beta, gamma, g"), c.body());
        String id = json(server.post("/api/v1/conversations", "{}")).get("id").asText();
        HttpResponse<String> p = server.send("PATCH", "/api/v1/conversations/" + id, "{\"model\":\"nope\"}");
        assertEquals(404, p.statusCode());
        assertTrue(json(p).get("Error").get("error").get("description").asText().contains("alpha, embed, beta, gamma, g"), p.body());
        assertTrue(thread(id).get("model").isNull());
    }

    @Test
    void theChatPageChoosesTheThreadsModel() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "chromium is not installed (./parley test installs Debian's package)");
        NodeClients.run("chat-page-models.mjs", "http://127.0.0.1:" + server.server.port(), Duration.ofSeconds(90),
                List.of("CHROMIUM=/usr/bin/chromium"));
    }
}
