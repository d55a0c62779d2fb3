package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.parley.runtime.testmodel.TestModels;
import dev.parley.server.api.Json;
import dev.parley.server.config.ConfigException;
import dev.parley.server.config.ServerConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --model hf:ORG/REPO:QUANT} end to end: the server fetches the generated model from a fixture Hub
 * (HF_ENDPOINT), verifies it and answers; started again offline it serves from the cache.
 */
class ModelReferenceServerTest {

    @TempDir
    Path dir;

    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    /**
     * A one-repo Hub: revision, tree and resolve for org/tiny-GGUF holding the tiny model as tiny-Q8_0.gguf and, with
     * a few bytes after its tensors (another blob, still a whole GGUF), as tiny-Q4_K_M.gguf.
     */
    HttpServer hub(byte[] model, AtomicInteger downloads) throws Exception {
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        files.put("tiny-Q8_0.gguf", model);
        files.put("tiny-Q4_K_M.gguf", java.util.Arrays.copyOf(model, model.length + 64));
        StringBuilder tree = new StringBuilder("[");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            tree.append(tree.length() > 1 ? "," : "").append("{\"type\":\"file\",\"path\":\"").append(f.getKey()).append("\",\"size\":")
                    .append(f.getValue().length).append(",\"oid\":\"").append("1".repeat(40)).append("\",\"lfs\":{\"oid\":\"")
                    .append(sha256(f.getValue())).append("\",\"size\":").append(f.getValue().length).append("}}");
        }
        byte[] treeBody = tree.append("]").toString().getBytes();
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/api/models/org/tiny-GGUF/revision/main", ex -> reply(ex, 200, ("{\"sha\":\"" + COMMIT + "\"}").getBytes()));
        s.createContext("/api/models/org/tiny-GGUF/tree/" + COMMIT, ex -> reply(ex, 200, treeBody));
        s.createContext("/org/tiny-GGUF/resolve/" + COMMIT + "/", ex -> {
            byte[] body = files.get(ex.getRequestURI().getPath().substring(("/org/tiny-GGUF/resolve/" + COMMIT + "/").length()));
            downloads.incrementAndGet();
            reply(ex, body == null ? 404 : 200, body == null ? "{\"error\":\"Entry not found\"}".getBytes() : body);
        });
        s.start();
        return s;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void reply(com.sun.net.httpserver.HttpExchange ex, int status, byte[] body) throws java.io.IOException {
        try (ex) {
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        }
    }

    ParleyServer start(Map<String, String> env) {
        String[] args = {"--model", "hf:org/tiny-GGUF:Q8_0", "--port", "0", "--threads", "2", "--threads-batch", "2",
                "--data-dir", dir.resolve("data").toString()};
        return ParleyServer.start(ServerConfig.load(args, env));
    }

    static JsonNode chat(ParleyServer server) throws Exception {
        HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode(), res.body());
        return Json.MAPPER.readTree(res.body());
    }

    @Test
    void fetchesVerifiesAndServesThenServesOfflineFromTheCache() throws Exception {
        byte[] model = Files.readAllBytes(TestModels.tinyQwen3());
        AtomicInteger downloads = new AtomicInteger();
        HttpServer hub = hub(model, downloads);
        Map<String, String> env = new HashMap<>(Map.of("HF_HOME", dir.resolve("hf").toString(),
                "HF_ENDPOINT", "http://127.0.0.1:" + hub.getAddress().getPort()));
        try (ParleyServer server = start(env)) {
            JsonNode reply = chat(server);
            assertEquals("chat.completion", reply.path("object").asText());
            assertFalse(reply.path("choices").path(0).path("message").isMissingNode());
            assertEquals(1, downloads.get());
            pullStreamsOllamasProgress(server, model);
        } finally {
            hub.stop(0);
        }
        assertEquals(2, downloads.get());
        Path snapshot = dir.resolve("hf/hub/models--org--tiny-GGUF/snapshots").resolve(COMMIT).resolve("tiny-Q8_0.gguf");
        assertTrue(Files.isSymbolicLink(snapshot));
        env.put("HF_HUB_OFFLINE", "1");
        try (ParleyServer server = start(env)) {
            assertEquals("chat.completion", chat(server).path("object").asText());
        }
        assertEquals(2, downloads.get());
    }

    /** {@code /api/pull} of the other quant: Ollama's NDJSON progress, then the errors in Ollama's shape. */
    void pullStreamsOllamasProgress(ParleyServer server, byte[] model) throws Exception {
        HttpResponse<String> res = post(server, "{\"model\":\"hf.co/org/tiny-GGUF:Q4_K_M\"}");
        assertEquals(200, res.statusCode(), res.body());
        assertEquals("application/x-ndjson", res.headers().firstValue("content-type").orElse(""));
        List<JsonNode> lines = TestServer.ndjson(res.body());
        assertEquals("pulling manifest", lines.getFirst().path("status").asText());
        assertEquals("success", lines.getLast().path("status").asText());
        String sha = sha256(java.util.Arrays.copyOf(model, model.length + 64));
        JsonNode done = lines.stream().filter(l -> l.path("completed").asLong(-1) == model.length + 64).findFirst().orElseThrow();
        assertEquals("sha256:" + sha, done.path("digest").asText());
        assertEquals("pulling " + sha.substring(0, 12), done.path("status").asText());
        assertEquals(model.length + 64, done.path("total").asLong());
        assertTrue(lines.stream().anyMatch(l -> l.path("status").asText().equals("verifying sha256 digest")), res.body());
        // a quant the repo lacks: the stream ends with Ollama's error line, naming the quants there
        lines = TestServer.ndjson(post(server, "{\"model\":\"hf.co/org/tiny-GGUF:Q2_K\"}").body());
        assertTrue(lines.getLast().path("error").asText().contains("Q8_0, Q4_K_M"), lines.toString());
        res = post(server, "{\"model\":\"hf.co/org/tiny-GGUF:Q2_K\",\"stream\":false}");
        assertEquals(500, res.statusCode());
        assertTrue(Json.MAPPER.readTree(res.body()).path("error").asText().contains("matches quant 'Q2_K'"), res.body());
        res = post(server, "{\"model\":\"hf:only-one-part\"}");
        assertEquals(400, res.statusCode());
        assertTrue(Json.MAPPER.readTree(res.body()).path("error").asText().contains("ORG/REPO"), res.body());
        res = post(server, "{\"stream\":false}");
        assertEquals(400, res.statusCode());
        assertTrue(Json.MAPPER.readTree(res.body()).path("error").asText().contains("model is required"), res.body());
    }

    static HttpResponse<String> post(ParleyServer server, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/pull"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesAModelFromTheOllamaStoreInPlace() throws Exception {
        byte[] model = Files.readAllBytes(TestModels.tinyQwen3());
        String hex = sha256(model);
        Path store = dir.resolve("ollama");
        Path blob = store.resolve("blobs").resolve("sha256-" + hex);
        Files.createDirectories(blob.getParent());
        Files.write(blob, model);
        Path manifest = store.resolve("manifests/registry.ollama.ai/library/tiny/q8");
        Files.createDirectories(manifest.getParent());
        Files.writeString(manifest, "{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:"
                + hex + "\",\"size\":" + model.length + "}]}");
        long modified = Files.getLastModifiedTime(blob).toMillis();
        String[] args = {"--model", "ollama:tiny:q8", "--port", "0", "--threads", "2", "--threads-batch", "2", "--data-dir", dir.resolve("data").toString()};
        try (ParleyServer server = ParleyServer.start(ServerConfig.load(args, Map.of("OLLAMA_MODELS", store.toString())))) {
            assertEquals(blob, server.engine().model().path());
            assertEquals("chat.completion", chat(server).path("object").asText());
            // pulling a name the store has: nothing to fetch, Ollama's lines end in success
            List<JsonNode> lines = TestServer.ndjson(post(server, "{\"model\":\"tiny:q8\"}").body());
            assertEquals("pulling manifest", lines.getFirst().path("status").asText());
            assertTrue(lines.stream().anyMatch(l -> l.path("digest").asText().equals("sha256:" + hex) && l.path("completed").asLong() == model.length));
            assertEquals("success", lines.getLast().path("status").asText());
            lines = TestServer.ndjson(post(server, "{\"model\":\"tiny:q4\"}").body());
            assertTrue(lines.getLast().path("error").asText().contains("tags there: q8"), lines.toString());
        }
        assertEquals(modified, Files.getLastModifiedTime(blob).toMillis()); // read in place, never written
        try (var files = Files.walk(store)) {
            assertEquals(2, files.filter(Files::isRegularFile).count());
        }
    }

    @Test
    void badReferencesStopTheStartWithTheReason() {
        String msg = assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--model", "hf:nope"}, Map.of())).getMessage();
        assertTrue(msg.startsWith("--model: ") && msg.contains("ORG/REPO"), msg);
        msg = assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--model", dir.resolve("m-00001-of-00002.gguf").toString()}, Map.of()))
                .getMessage();
        assertTrue(msg.contains("no such file"), msg);
        msg = assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--model", "org/repo"}, Map.of())).getMessage();
        assertTrue(msg.contains("no such file") && msg.contains("write hf:org/repo"), msg);
        msg = assertThrows(ConfigException.class, () -> ServerConfig.load(new String[] {"--model", "x"}, Map.of("HF_ENDPOINT", "ftp://mirror"))).getMessage();
        assertTrue(msg.contains("HF_ENDPOINT"), msg);
        // offline with an empty cache: the start fails before any native code, naming the cache
        ServerConfig c = ServerConfig.load(new String[] {"--model", "hf:org/absent-GGUF", "--data-dir", dir.resolve("d").toString()},
                Map.of("HF_HOME", dir.resolve("empty").toString(), "HF_HUB_OFFLINE", "1"));
        msg = assertThrows(IllegalArgumentException.class, () -> ParleyServer.start(c)).getMessage();
        assertTrue(msg.contains("not in the Hugging Face cache") && msg.contains(dir.resolve("empty").toString()), msg);
    }
}
