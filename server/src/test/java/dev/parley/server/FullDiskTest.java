package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A server whose data directory is a real, small tmpfs that the test fills to the last byte. Mounting
 * needs root (and a system that allows it): where it cannot, the test says why and stops, and
 * {@code threads.FullDiskStoreTest} (a seam failing writes as SQLite and PostgreSQL do) and
 * {@code kv.KvDiskFullTest} hold the same contract on every machine.
 */
class FullDiskTest {

    private static Path mount;
    private static Path data;
    private static boolean mounted;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        mount = Files.createTempDirectory("parley-full-disk");
        String why = mountTmpfs(mount, "12m");
        assumeTrue(why == null, () -> "no small filesystem to fill here (" + why + "); FullDiskStoreTest covers the contract through a seam");
        mounted = true;
        data = mount.resolve("data");
        server = new TestServer("--slots", "1", "--data-dir", data.toString(), "--no-kv-disk");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (mounted) {
            run("umount", mount.toString());
        }
        Files.deleteIfExists(mount);
    }

    /** Null when a tmpfs of {@code size} is mounted on {@code dir}, else why not. */
    private static String mountTmpfs(Path dir, String size) throws InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "not running as root";
        }
        try {
            String out = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
            return out == null ? null : "mount failed: " + out.strip();
        } catch (IOException e) {
            return "cannot run mount: " + e.getMessage();
        }
    }

    /** Null on success, else the command's output. */
    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? null : out;
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body());
    }

    private static HttpResponse<String> turn(String id) throws Exception {
        return server.post("/api/v1/conversations/" + id + "/messages", "{\"prompt\": \"Go on.\", \"stream\": false, \"max_tokens\": 4, \"temperature\": 0}");
    }

    private static HttpResponse<String> openAiUpload(byte[] content) throws Exception {
        String boundary = "parley-full-disk";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nuser_data\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return server.http.send(HttpRequest.newBuilder(server.uri("/v1/files")).POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double storageFull(String store) throws Exception {
        return PrometheusText.parse(server.get("/metrics").body()).named("parley_storage_full").stream()
                .filter(s -> store.equals(s.labels().get("store"))).findFirst().orElseThrow().value();
    }

    /** Fills the filesystem to its last byte with one file. */
    private static Path fill() throws IOException {
        Path filler = mount.resolve("filler");
        byte[] block = new byte[4096];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            assertTrue(String.valueOf(e.getMessage()).contains("No space left"), e.toString());
        }
        return filler;
    }

    @Test
    void aFullDiskAnswers507ReadsStayExactAndAllRecoversWhenSpaceReturns() throws Exception {
        List<LogRecord> severe = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    severe.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger.getLogger("").addHandler(capture);
        try {
            HttpResponse<String> created = server.post("/api/v1/conversations", "{\"title\": \"Trip\"}");
            assertEquals(201, created.statusCode(), created.body());
            String id = json(created).get("id").asText();
            for (int i = 0; i < 3; i++) {
                assertEquals(200, turn(id).statusCode());
            }
            AtomicInteger prompts = new AtomicInteger();
            server.server.exchange().watchPrompts((t, p) -> prompts.incrementAndGet());

            Path filler = fill();

            for (int i = 0; i < 3; i++) {
                HttpResponse<String> read = server.get("/api/v1/conversations/" + id);
                assertEquals(200, read.statusCode(), read.body());
                assertEquals(6, json(read).get("message_count").asInt());
                assertEquals(6, json(read).get("messages").size(), "the history, exactly, never an empty one");
            }

            HttpResponse<String> refused = server.post("/api/v1/conversations", "{\"title\": \"Another\"}");
            assertEquals(507, refused.statusCode(), refused.body());
            JsonNode error = json(refused).get("Error").get("error");
            assertEquals(507, error.get("code").asInt());
            assertTrue(error.get("description").asText().contains(data.toString()), "names the data directory: " + error);

            HttpResponse<String> turn = turn(id);
            assertEquals(507, turn.statusCode(), turn.body());
            assertEquals(0, prompts.get(), "refused before any generation");
            assertEquals(1.0, PrometheusText.parse(server.get("/metrics").body()).named("parley_requests_total").stream()
                    .filter(m -> "error_insufficient_storage".equals(m.labels().get("outcome"))).findFirst().orElseThrow().value());
            assertEquals(6, json(server.get("/api/v1/conversations/" + id)).get("message_count").asInt());

            HttpResponse<String> upload = openAiUpload(new byte[256 * 1024]);
            assertEquals(507, upload.statusCode(), upload.body());
            assertEquals("insufficient_storage", json(upload).get("error").get("code").asText());
            assertEquals("server_error", json(upload).get("error").get("type").asText());
            try (Stream<Path> spool = Files.list(data.resolve("uploads"))) {
                assertEquals(0, spool.count(), "no half-spooled upload left behind");
            }

            HttpResponse<String> ready = server.get("/health/ready");
            assertEquals(200, ready.statusCode(), "stateless turns still work: the replica stays ready");
            assertEquals("full", json(ready).get("storage").get("threads").asText());
            assertEquals("full", json(ready).get("storage").get("uploads").asText());
            assertEquals(1.0, storageFull("threads"));

            Files.delete(filler); // space returns; no restart

            HttpResponse<String> again = server.post("/api/v1/conversations", "{\"title\": \"Another\"}");
            assertEquals(201, again.statusCode(), again.body());
            assertEquals(200, turn(id).statusCode());
            assertEquals(1, prompts.get());
            JsonNode thread = json(server.get("/api/v1/conversations/" + id));
            assertEquals(8, thread.get("messages").size());
            HttpResponse<String> stored = server.upload("notes.txt", "text/plain", "The ferry leaves at nine.".getBytes(StandardCharsets.UTF_8));
            assertEquals(201, stored.statusCode(), stored.body());
            JsonNode storage = json(server.get("/health/ready")).get("storage");
            assertEquals("ok", storage.get("threads").asText());
            assertEquals("ok", storage.get("uploads").asText());
            assertEquals(0.0, storageFull("threads"));

            // The disk fills while a reply is generated (after the check passed): the reply is not stored, the answer says why.
            Path[] late = new Path[1];
            server.server.exchange().watchPrompts((t, p) -> {
                try {
                    late[0] = fill();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            HttpResponse<String> lost = turn(id);
            server.server.exchange().watchPrompts((t, p) -> { });
            assertEquals(507, lost.statusCode(), lost.body());
            assertTrue(json(lost).get("Error").get("error").get("description").asText().contains(data.toString()), lost.body());
            Files.delete(late[0]);
            assertEquals(8, json(server.get("/api/v1/conversations/" + id)).get("messages").size(), "nothing of that exchange stored");
            assertEquals(200, turn(id).statusCode());
            assertEquals(List.of(), severe.stream().map(LogRecord::getMessage).toList(), "a full disk is no internal error");
        } finally {
            Logger.getLogger("").removeHandler(capture);
        }
    }
}
