package dev.parley.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.testmodel.TestModels;
import dev.parley.server.api.Json;
import dev.parley.server.config.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Parley server on a free port, with the tiny generated model, and an HTTP client for it. Test classes get
 * theirs from a {@link ServerFlags} field (shared by classes that ask for the same); a test that starts, restarts or
 * closes one itself makes it here.
 */
final class TestServer implements AutoCloseable {

    final ParleyServer server;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    TestServer(String... flags) {
        List<String> args = new ArrayList<>(List.of("--port", "0", "--threads", "2", "--threads-batch", "2"));
        if (!List.of(flags).contains("--model")) {
            args.addAll(List.of("--model", TestModels.tinyQwen3().toString()));
        }
        if (!List.of(flags).contains("--data-dir")) {
            try {
                args.addAll(List.of("--data-dir", java.nio.file.Files.createTempDirectory("parley-data").toString()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        args.addAll(List.of(flags));
        server = ParleyServer.start(ServerConfig.load(args.toArray(String[]::new), Map.of()));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        return send("GET", path, null, headers);
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null || method.equals("POST") || method.equals("PATCH")) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Uploads a file as multipart/form-data (field {@code file}, the part typed {@code partType}) to /api/v1/files. */
    HttpResponse<String> upload(String name, String partType, byte[] content, String... headers) throws IOException, InterruptedException {
        String boundary = "parley-test-boundary";
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nuser_data\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\nContent-Type: " + partType
                + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/api/v1/files")).POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until no slot is busy (after a client went away, say). */
    void awaitIdleSlots() throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            if (server.engine().stats().activeSlots() == 0) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("slots still busy");
    }

    /** /metrics, parsed as a scraper reads it. */
    PrometheusText metrics() throws IOException, InterruptedException {
        return PrometheusText.parse(get("/metrics").body());
    }

    /** The value of a Prometheus counter or gauge (summed over its label sets), 0 when absent. */
    double metric(String name) throws IOException, InterruptedException {
        return metrics().named(name).stream().mapToDouble(PrometheusText.Sample::value).sum();
    }

    /** Requests that ended cancelled (their client left), from /metrics. */
    double cancelledRequests() throws IOException, InterruptedException {
        return metrics().named("parley_requests_total").stream().filter(s -> "cancelled".equals(s.labels().get("outcome")))
                .mapToDouble(PrometheusText.Sample::value).sum();
    }

    static List<JsonNode> ndjson(String body) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (!line.isBlank()) {
                lines.add(Json.MAPPER.readTree(line));
            }
        }
        return lines;
    }

    @Override
    public void close() {
        server.close();
    }
}
