package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import dev.parley.server.metrics.RouterMetrics;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The gauges the Gateway API Inference Extension's endpoint picker scrapes, read from /metrics the way
 * a Prometheus scraper reads them: exact names (colons kept), gauge type, the model_name label, values.
 */
class RouterMetricsTest {

    private static final int CONTEXT = 8192;
    @ServerFlags({"--slots", "1", "--ctx-size", "" + CONTEXT, "--max-tokens-limit", "6000", "--replica-name", "r-test"})
    private static TestServer server;

    /** A generation that only max_tokens ends: the grammar never reaches an accepting state. */
    private static String endless(String user, int maxTokens) {
        ObjectNode b = Json.object();
        b.put("model", "parley").put("max_tokens", maxTokens).put("stream", true).put("grammar", "root ::= [a-z]{2000} [a-z]{2000} [a-z]{2000}"); // outlasts max_tokens
        b.putArray("messages").addObject().put("role", "user").put("content", user);
        return b.toString();
    }

    private static PrometheusText scrape() throws Exception {
        HttpResponse<String> r = server.get("/metrics");
        assertEquals(200, r.statusCode());
        return PrometheusText.parse(r.body());
    }

    private CompletableFuture<HttpResponse<InputStream>> stream(String body) {
        return server.http.sendAsync(HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void pickerGaugesHaveVllmNamesGaugeTypeAndTheModelName() throws Exception {
        PrometheusText m = scrape();
        String model = Json.MAPPER.readTree(server.get("/v1/models").body()).get("data").get(0).get("id").asText();
        for (String name : List.of(RouterMetrics.WAITING, RouterMetrics.RUNNING, RouterMetrics.KV_CACHE_USAGE)) {
            assertEquals("gauge", m.types().get(name), name + " is declared a gauge");
            assertEquals(1, m.named(name).size(), name + " has one series");
            // Helidon adds its own scope="application" label; the picker selects by name and ignores extra labels.
            assertEquals(model, m.named(name).getFirst().labels().get("model_name"), name + " carries the served model's name");
        }
    }

    @Test
    void waitingAndRunningFollowTheQueueAndKvUsageIsTheUsedFractionOfTheContext() throws Exception {
        CompletableFuture<HttpResponse<InputStream>> first = stream(endless("first", 6000));
        HttpResponse<InputStream> running = first.get();
        assertEquals(200, running.statusCode());
        assertEquals("r-test", running.headers().firstValue(ParleyServer.REPLICA_HEADER).orElseThrow(), "the replica names itself");
        CompletableFuture<HttpResponse<InputStream>> second = stream(endless("second", 10));
        double waiting = -1;
        double busy = -1;
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline && !(waiting == 1 && busy == 1)) {
            PrometheusText m = scrape();
            waiting = m.single(RouterMetrics.WAITING);
            busy = m.single(RouterMetrics.RUNNING);
        }
        assertEquals(1, busy, "the one slot runs the first request");
        assertEquals(1, waiting, "the second waits for it");
        running.body().close(); // the client leaves: the first generation is cancelled and the second starts
        second.get().body().readAllBytes();
        server.awaitIdleSlots();

        PrometheusText idle = scrape();
        assertEquals(0, idle.single(RouterMetrics.WAITING));
        assertEquals(0, idle.single(RouterMetrics.RUNNING));
        JsonNode slots = Json.MAPPER.readTree(server.get("/api/v1/slots").body()).get("slots");
        int cached = 0;
        for (JsonNode s : slots) {
            cached += s.get("tokens_cached").asInt();
        }
        assertTrue(cached > 0, "the idle slot keeps its conversation's cells");
        assertEquals((double) cached / CONTEXT, idle.single(RouterMetrics.KV_CACHE_USAGE), 1e-9,
                "used cells over the context's cells");
    }
}
