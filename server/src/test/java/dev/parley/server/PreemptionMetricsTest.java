package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Admission by KV memory over HTTP: four answers that each fit the server's 256 cells alone but not
 * together all complete, some generations are preempted to the RAM tier for room and resumed, and
 * /metrics counts both (parsed, by label).
 */
class PreemptionMetricsTest {

    @ServerFlags(value = {"--ctx-size", "256", "--slots", "4"}, isolated = true)
    private static TestServer server;

    private static String body(String topic) {
        ObjectNode b = Json.object().put("model", "tiny").put("max_tokens", 90).put("temperature", 0);
        b.putArray("messages").addObject().put("role", "user").put("content", "Please write a long and careful answer about " + topic
                + ". Say what it is, where it comes from, why people care about it, what is often misunderstood, and what a curious "
                + "reader should look at next.");
        return b.toString();
    }

    @Test
    void generationsPreemptedForRoomFinishAndAreCounted() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (String topic : List.of("the sea and its tides", "a mountain village in winter", "the history of the printing press",
                "how bees find their way home")) {
            answers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return server.post("/v1/chat/completions", body(topic));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<HttpResponse<String>> f : answers) {
            HttpResponse<String> r = f.get();
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(Json.MAPPER.readTree(r.body()).path("usage").path("completion_tokens").asInt() > 0, r.body());
        }
        PrometheusText m = server.metrics();
        double toRam = m.named("parley_kv_preemptions_total").stream().filter(s -> "ram".equals(s.labels().get("to")))
                .mapToDouble(PrometheusText.Sample::value).sum();
        assertTrue(toRam > 0, "the four did not fit together: some were preempted to the RAM tier");
        double resumed = m.named("parley_kv_preemption_resume_seconds_count").stream().mapToDouble(PrometheusText.Sample::value).sum();
        assertEquals(toRam, resumed, "every generation preempted to the tier came back");
    }
}
