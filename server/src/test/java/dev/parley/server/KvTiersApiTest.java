package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.kv.KvTierStats;
import dev.parley.server.api.Json;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The KV tiers through the HTTP API, with one slot so that every other conversation takes it: usage
 * counts restored tokens as cached, owners never share entries, the session header names the slot's
 * conversation, and /metrics counts where reused tokens came from.
 */
class KvTiersApiTest {

    private static final String ALICE = "alice-kv-key-1";
    private static final String BOB = "bob-kv-key-22";
    @ServerFlags(value = {"--slots", "1", "--ctx-size", "2048", "--kv-ram-budget", "64MiB"}, keys = "alice:" + ALICE + "\nbob:" + BOB + "\n")
    private static TestServer server;

    private static String longText(String topic) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            b.append("Sentence ").append(i).append(" about ").append(topic).append(". ");
        }
        return b.toString();
    }

    /** A chat completion's usage; {@code turns} alternate user and assistant. */
    private static JsonNode chat(String key, String session, String... turns) throws IOException, InterruptedException {
        ObjectNode body = Json.object().put("model", "tiny").put("max_tokens", 3).put("temperature", 0);
        ArrayNode messages = body.putArray("messages");
        for (int i = 0; i < turns.length; i++) {
            messages.addObject().put("role", i % 2 == 0 ? "user" : "assistant").put("content", turns[i]);
        }
        String[] headers = session == null ? new String[] {"Authorization", "Bearer " + key}
                : new String[] {"Authorization", "Bearer " + key, "X-Session-Id", session};
        HttpResponse<String> r = server.post("/v1/chat/completions", body.toString(), headers);
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    private static int cached(JsonNode completion) {
        return completion.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt(-1);
    }

    /** A Prometheus sample's value for the label set {@code label="value"}, 0 when absent. */
    private static double sample(String name, String label, String value) throws IOException, InterruptedException {
        double sum = 0;
        for (String line : server.get("/metrics", "Authorization", "Bearer " + ALICE).body().lines().toList()) {
            if (line.startsWith("#") || !line.startsWith(name + "{")) {
                continue;
            }
            String labels = line.substring(name.length() + 1, line.indexOf('}'));
            for (String pair : labels.split(",")) {
                String[] kv = pair.split("=", 2);
                if (kv[0].equals(label) && kv[1].equals("\"" + value + "\"")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return sum;
    }

    @Test
    void aConversationComesBackFromRamWithItsTokensCountedAsCached() throws Exception {
        double ramHits = sample("parley_kv_lookups_total", "source", "ram");
        String question = longText("lighthouses");
        JsonNode first = chat(ALICE, "conv-light", question);
        String reply = first.path("choices").path(0).path("message").path("content").asText();
        chat(ALICE, null, longText("volcanoes")); // takes the only slot
        JsonNode second = chat(ALICE, "conv-light", question, reply, "And then?");
        int promptTokens = second.path("usage").path("prompt_tokens").asInt();
        assertTrue(cached(second) > 32 && cached(second) < promptTokens, "cached " + cached(second) + " of " + promptTokens);
        assertEquals(ramHits + 1, sample("parley_kv_lookups_total", "source", "ram"));
        assertTrue(sample("parley_kv_restored_tokens_total", "tier", "ram") >= cached(second));
        assertTrue(sample("parley_kv_bytes", "tier", "ram") > 0, "the volcano conversation is in RAM now");

        JsonNode slots = Json.MAPPER.readTree(server.get("/api/v1/slots", "Authorization", "Bearer " + ALICE).body());
        JsonNode slot = slots.path("slots").path(0);
        assertEquals("conv-light", slot.path("conversation").asText());
        assertTrue(slot.path("tokens_cached").asInt() >= promptTokens);
    }

    @Test
    void twoOwnersSendingTheSamePromptNeverShareAnEntry() throws Exception {
        String prompt = longText("a shared secret");
        assertEquals(0, cached(chat(ALICE, null, prompt)));
        assertEquals(0, cached(chat(BOB, null, prompt)), "bob gets nothing of alice's, neither from the slot nor from RAM");
        JsonNode again = chat(ALICE, null, prompt);
        assertTrue(cached(again) > 32, "alice's own entry comes back from RAM: " + cached(again));
    }

    /** The one series of {@code name} whose label {@code label} is {@code value}. */
    private static double series(PrometheusText metrics, String name, String label, String value) {
        List<PrometheusText.Sample> found = metrics.named(name).stream().filter(x -> value.equals(x.labels().get(label))).toList();
        assertEquals(1, found.size(), name + "{" + label + "=" + value + "}: " + metrics.named(name));
        return found.getFirst().value();
    }

    @Test
    void memoryGaugesShowTheProcessTheHeapAndTheRamTier() throws Exception {
        chat(ALICE, "conv-gauges", longText("gauges"));
        chat(ALICE, null, longText("meters")); // takes the only slot: the first conversation goes to RAM
        PrometheusText metrics = PrometheusText.parse(server.get("/metrics", "Authorization", "Bearer " + ALICE).body());
        KvTierStats tiers = server.server.engine().kvStats(); // no request runs: nothing is saved between the two reads
        assertTrue(tiers.ramBytes() > 0, tiers.toString());
        assertEquals(tiers.ramBytes(), series(metrics, "parley_kv_bytes", "tier", "ram"), "the RAM tier's accounted bytes");
        assertEquals(tiers.ramEntries(), series(metrics, "parley_kv_entries", "tier", "ram"));
        assertEquals(tiers.spillingBytes(), metrics.single("parley_kv_spilling_bytes"));

        long ownRss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                ownRss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        double rss = metrics.single("parley_process_resident_memory_bytes");
        assertTrue(rss > ownRss / 2.0 && rss < ownRss * 2.0, "the server runs in this process: its RSS " + rss + " is about " + ownRss);
        double heapUsed = metrics.single("parley_jvm_heap_used_bytes");
        double heapCommitted = metrics.single("parley_jvm_heap_committed_bytes");
        assertTrue(heapUsed > 0 && heapUsed <= heapCommitted, heapUsed + " of " + heapCommitted);
        assertEquals(0, series(metrics, "parley_kv_restores_failed_total", "tier", "ram"));
        assertTrue(series(metrics, "parley_kv_restores_skipped_total", "reason", "no_room") >= 0);
    }
}
