package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Per-key credits: charged on every call, shown on the by-id conversation API and /api/v1/usage, refused when spent. */
class CreditsTest {

    private static final String ALICE = "alice-secret-key-1";
    private static final String BOB = "bob-secret-key-22";
    private static final String CAROL = "carol-secret-key-3";
    private static final String DAN = "dan-secret-key-444";
    /** Prices per 1,000 tokens (prompt, cached prompt, completion) as millionths of a credit per token. */
    private static final long PROMPT = 2_000;
    private static final long CACHED = 500;
    private static final long COMPLETION = 3_000;
    private static final String[] PRICES = {"--credits-per-1k-prompt", "2", "--credits-per-1k-cached-prompt", "0.5", "--credits-per-1k-completion", "3"};
    // alice: 1000 credits; bob: no budget; carol: less than one call costs; dan: nothing at all
    private static final String KEYS = "alice:" + ALICE + ":1000\nbob:" + BOB + "\ncarol:" + CAROL + ":0.001\ndan:" + DAN + ":0\n";
    /** Its own: the budgets its tests spend are the server's. The flags are PRICES'. */
    @ServerFlags(value = {"--slots", "2", "--ctx-size", "4096", "--credits-per-1k-prompt", "2", "--credits-per-1k-cached-prompt", "0.5",
            "--credits-per-1k-completion", "3"}, keys = KEYS, isolated = true)
    private static TestServer server;

    /** The flags of a server like the class's, with {@code more}. */
    private static String[] flags(String... more) throws IOException {
        List<String> all = new ArrayList<>(List.of(more));
        all.addAll(List.of("--api-keys-file", Files.writeString(Files.createTempFile("keys", ".txt"), KEYS).toString()));
        all.addAll(List.of(PRICES));
        return all.toArray(String[]::new);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    private static long micros(JsonNode credits) {
        return Math.round(credits.decimalValue().movePointRight(6).doubleValue());
    }

    private static long cost(JsonNode parleyUsage) {
        int prompt = parleyUsage.get("prompt_tokens").asInt();
        int cached = parleyUsage.get("cached_prompt_tokens").asInt();
        return (prompt - cached) * PROMPT + cached * CACHED + parleyUsage.get("completion_tokens").asInt() * COMPLETION;
    }

    private static HttpResponse<String> byId(TestServer s, String name, String key, String body) throws Exception {
        return s.post("/api/conversation/" + name, body, "x-api-key", key);
    }

    private static JsonNode usage(TestServer s, String key, String query) throws Exception {
        HttpResponse<String> r = s.get("/api/v1/usage" + query, "Authorization", "Bearer " + key);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static Set<String> names(JsonNode o) {
        Set<String> names = new TreeSet<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void theWholeAnswerCarriesWhatTheCallCostAndWhatIsLeft() throws Exception {
        long before = micros(usage(server, ALICE, "").get("credits_used"));
        HttpResponse<String> r = byId(server, "credits-whole", ALICE, "{\"prompt\": \"Count to three.\", \"max_tokens\": 5, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode a = json(r);
        assertTrue(a.get("credits_used").isNumber() && a.get("credits_remaining").isNumber(), r.body());
        long used = micros(a.get("credits_used"));
        assertEquals(cost(a.get("usage")), used, "the prices times this call's tokens: " + r.body());
        assertTrue(used > 0);
        assertEquals(1_000_000_000L - before - used, micros(a.get("credits_remaining")), r.body());

        // the second turn's prompt is mostly cached: charged at the cached price
        JsonNode b = json(byId(server, "credits-whole", ALICE, "{\"prompt\": \"Again.\", \"max_tokens\": 5, \"temperature\": 0}"));
        assertTrue(b.get("usage").get("cached_prompt_tokens").asInt() > 0, b.toString());
        assertEquals(cost(b.get("usage")), micros(b.get("credits_used")));
        assertEquals(micros(a.get("credits_remaining")) - micros(b.get("credits_used")), micros(b.get("credits_remaining")));

        JsonNode unbudgeted = json(byId(server, "credits-whole", BOB, "{\"prompt\": \"Hi.\", \"max_tokens\": 2}"));
        assertEquals(cost(unbudgeted.get("usage")), micros(unbudgeted.get("credits_used")));
        assertTrue(unbudgeted.get("credits_remaining").isNull(), "bob has no budget: " + unbudgeted);
    }

    @Test
    void theStreamsFinishPartCarriesTheCredits() throws Exception {
        JsonNode before = usage(server, ALICE, "");
        HttpResponse<String> r = byId(server, "credits-stream", ALICE, "{\"prompt\": \"Hi.\", \"max_tokens\": 4, \"streaming\": \"true\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        JsonNode finish = null;
        for (String event : r.body().split("\n\n")) {
            if (!event.isBlank()) {
                finish = Json.MAPPER.readTree(event.substring("data: ".length()));
            }
        }
        assertEquals("finish", finish.get("type").asText(), r.body());
        JsonNode after = usage(server, ALICE, "");
        long used = micros(finish.get("credits_used"));
        assertTrue(used > 0, finish.toString());
        assertEquals(micros(after.get("credits_used")) - micros(before.get("credits_used")), used, "this call's charge");
        assertEquals(micros(after.get("credits_remaining")), micros(finish.get("credits_remaining")));
        assertEquals(before.get("requests").asLong() + 1, after.get("requests").asLong());

        HttpResponse<String> bob = byId(server, "credits-stream", BOB, "{\"prompt\": \"Hi.\", \"max_tokens\": 2, \"streaming\": \"true\"}");
        String last = bob.body().strip().substring(bob.body().strip().lastIndexOf("data: ") + 6);
        assertTrue(Json.MAPPER.readTree(last).get("credits_remaining").isNull(), last);
    }

    @Test
    void aSpentBudgetIsRefusedWith402InEachDialectsShapeBeforeGenerating() throws Exception {
        HttpResponse<String> first = byId(server, "credits-spent", CAROL, "{\"prompt\": \"Hi.\", \"max_tokens\": 2}");
        assertEquals(200, first.statusCode(), "credit was left when it started: " + first.body());
        JsonNode f = json(first);
        assertEquals(0, micros(f.get("credits_remaining")), "overshot, never below 0");
        assertTrue(micros(f.get("credits_used")) > 1_000, "charged in full although it overshot: " + f);

        double promptTokens = server.metric("parley_prompt_tokens_total");
        for (String key : List.of(CAROL, DAN)) {
            HttpResponse<String> byId = byId(server, "credits-spent", key, "{\"prompt\": \"Hi.\", \"max_tokens\": 2}");
            assertEquals(402, byId.statusCode(), byId.body());
            assertEquals(Set.of("error"), names(json(byId)));
            assertTrue(json(byId).get("error").asText().contains("budget"), byId.body());
            HttpResponse<String> streamed = byId(server, "credits-spent", key, "{\"prompt\": \"Hi.\", \"max_tokens\": 2, \"streaming\": \"true\"}");
            assertEquals(402, streamed.statusCode(), "refused before the stream starts");
            assertEquals(Set.of("error"), names(json(streamed)));

            HttpResponse<String> openai = server.post("/v1/chat/completions", "{\"model\": \"m\", \"max_tokens\": 2, "
                    + "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", "Authorization", "Bearer " + key);
            assertEquals(402, openai.statusCode(), openai.body());
            JsonNode err = json(openai).get("error");
            assertEquals("insufficient_quota", err.get("type").asText(), openai.body());
            assertEquals("insufficient_quota", err.get("code").asText());
            assertTrue(err.get("message").asText().contains("budget"));

            HttpResponse<String> ollama = server.post("/api/chat", "{\"model\": \"m\", \"stream\": false, \"options\": {\"num_predict\": 2}, "
                    + "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", "Authorization", "Bearer " + key);
            assertEquals(402, ollama.statusCode(), ollama.body());
            assertEquals(Set.of("error"), names(json(ollama)));
        }
        assertEquals(promptTokens, server.metric("parley_prompt_tokens_total"), "nothing reached the engine");
        assertEquals(1, usage(server, CAROL, "").get("requests").asLong(), "refusals cost nothing");
        assertEquals(0, usage(server, DAN, "").get("requests").asLong());
        assertEquals(200, byId(server, "credits-spent", BOB, "{\"prompt\": \"Hi.\", \"max_tokens\": 2}").statusCode(), "others go on");
    }

    @Test
    void usageShowsTheCallerItsOwnOnly() throws Exception {
        byId(server, "credits-own", BOB, "{\"prompt\": \"Hi.\", \"max_tokens\": 2}");
        JsonNode alice = usage(server, ALICE, "");
        assertEquals(Set.of("owner", "budget", "credits_used", "credits_remaining", "prompt_tokens", "cached_prompt_tokens", "completion_tokens",
                "requests"), names(alice));
        assertEquals("alice", alice.get("owner").asText());
        assertEquals(1000, alice.get("budget").asInt());
        assertEquals(1_000_000_000L - micros(alice.get("credits_used")), micros(alice.get("credits_remaining")));

        JsonNode bob = usage(server, BOB, "?owner=alice");
        assertEquals("bob", bob.get("owner").asText(), "no parameter shows another owner's usage");
        assertTrue(bob.get("budget").isNull() && bob.get("credits_remaining").isNull(), bob.toString());
        assertTrue(bob.get("requests").asLong() >= 1 && bob.get("prompt_tokens").asLong() > 0, bob.toString());
        assertFalse(bob.get("prompt_tokens").equals(alice.get("prompt_tokens")) && bob.get("requests").equals(alice.get("requests")),
                "bob's figures are his own");

        assertEquals(401, server.get("/api/v1/usage").statusCode(), "a key is needed");
    }

    @Test
    void perOwnerCountersAreExportedByOwnerNameNeverByKey() throws Exception {
        Map<String, Double> before = ownerCounters("bob");
        HttpResponse<String> r = byId(server, "credits-metrics", BOB, "{\"prompt\": \"Tell me a story.\", \"max_tokens\": 3}");
        JsonNode u = json(r).get("usage");
        Map<String, Double> after = ownerCounters("bob");
        assertEquals(u.get("prompt_tokens").asDouble(), after.get("parley_owner_prompt_tokens_total") - before.get("parley_owner_prompt_tokens_total"));
        assertEquals(u.get("cached_prompt_tokens").asDouble(),
                after.get("parley_owner_prompt_cached_tokens_total") - before.get("parley_owner_prompt_cached_tokens_total"));
        assertEquals(u.get("completion_tokens").asDouble(),
                after.get("parley_owner_completion_tokens_total") - before.get("parley_owner_completion_tokens_total"));
        assertEquals((double) micros(json(r).get("credits_used")),
                after.get("parley_owner_credit_micros_total") - before.get("parley_owner_credit_micros_total"));

        String text = server.get("/metrics").body();
        PrometheusText metrics = PrometheusText.parse(text);
        assertEquals("counter", metrics.types().get("parley_owner_prompt_tokens_total"));
        for (String key : List.of(ALICE, BOB, CAROL, DAN)) {
            assertFalse(text.contains(key), "no key in the metrics");
        }
    }

    /** The per-owner counters of one owner, by sample name. */
    private static Map<String, Double> ownerCounters(String owner) throws Exception {
        Map<String, Double> out = new HashMap<>();
        for (String name : List.of("parley_owner_prompt_tokens_total", "parley_owner_prompt_cached_tokens_total", "parley_owner_completion_tokens_total",
                "parley_owner_credit_micros_total")) {
            out.put(name, 0.0);
        }
        for (PrometheusText.Sample s : PrometheusText.parse(server.get("/metrics").body()).samples()) {
            if (out.containsKey(s.name()) && owner.equals(s.labels().get("owner"))) {
                out.put(s.name(), s.value());
            }
        }
        return out;
    }

    @Test
    void aClientThatLeavesPaysForWhatWasGenerated() throws Exception {
        long before = usage(server, BOB, "").get("requests").asLong();
        LeavingClient.leaveAfterFirstPiece(server, "/api/conversation/credits-leave", "{\"prompt\": \"Write a long story.\", \"max_tokens\": 1000, "
                + "\"streaming\": \"true\"}", "text-delta", "x-api-key", BOB);
        server.awaitIdleSlots();
        long deadline = System.currentTimeMillis() + 10_000;
        while (usage(server, BOB, "").get("requests").asLong() == before && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(before + 1, usage(server, BOB, "").get("requests").asLong(), "the cancelled generation was charged");
    }

    @Test
    void usageAndSpentBudgetsSurviveARestart() throws Exception {
        Path dir = Files.createTempDirectory("parley-credits");
        JsonNode charged;
        try (TestServer first = new TestServer(flags("--slots", "1", "--data-dir", dir.toString()))) {
            assertEquals(200, byId(first, "restart", ALICE, "{\"prompt\": \"Hi.\", \"max_tokens\": 3}").statusCode());
            assertEquals(200, byId(first, "restart", CAROL, "{\"prompt\": \"Hi.\", \"max_tokens\": 2}").statusCode());
            charged = usage(first, ALICE, "");
            assertEquals(1, charged.get("requests").asLong());
        }
        try (TestServer again = new TestServer(flags("--slots", "1", "--data-dir", dir.toString()))) {
            assertEquals(charged, usage(again, ALICE, ""), "the same figures after the restart");
            assertEquals(402, byId(again, "restart", CAROL, "{\"prompt\": \"Hi.\", \"max_tokens\": 2}").statusCode(), "still spent");
        }
    }
}
