package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code context_overflow: "summarize"} as a thread setting, on whichever store {@code server} uses: the
 * turn that would not fit gets a summary (its text pinned by a grammar), stored and shown with the thread,
 * the next turn reuses it (same prefix: its KV is cached), and a summary that cannot be written falls back
 * to truncation with a header saying so.
 */
final class SummaryScenario {

    static final String SUMMARY = "The user said word many times and the assistant answered briefly.";
    private static final String BASE = ThreadsContract.BASE;
    private static final String TURN = "word ".repeat(300).strip();
    private static final int MAX_TURNS = 30;

    private SummaryScenario() {
    }

    static void run(TestServer server) throws Exception {
        HttpResponse<String> bad = server.post(BASE, "{\"context_overflow\": \"squash\"}");
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(json(bad).get("Error").get("error").get("description").asText().contains("summarize"), "the error lists the policies: " + bad.body());

        HttpResponse<String> created = server.post(BASE, "{\"system_prompt\": \"Be brief.\", \"context_overflow\": \"summarize\"}");
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("summarize", json(created).get("context_overflow").asText());
        assertTrue(json(created).get("summary").isNull(), "no summary before one is needed");
        String id = json(created).get("id").asText();
        String path = BASE + "/" + id + "/messages";
        server.server.exchange().summarizeUnder("root ::= \"" + SUMMARY + "\"");
        try {
            HttpResponse<String> summarized = until(server, path, "x-parley-summarized-messages");
            int covered = Integer.parseInt(summarized.headers().firstValue("x-parley-summarized-messages").orElseThrow());
            assertTrue(covered >= 2 && covered % 2 == 0, "whole user/assistant turns are summarised: " + covered);
            assertFalse(summarized.headers().firstValue("x-parley-truncated-messages").isPresent(), "nothing dropped: " + summarized.headers());

            JsonNode thread = json(server.get(BASE + "/" + id));
            JsonNode summary = thread.get("summary");
            assertEquals(SUMMARY, summary.get("content").asText(), thread.toString());
            List<String> ids = new ArrayList<>();
            thread.get("messages").forEach(m -> ids.add(m.get("id").asText()));
            assertEquals(covered - 1, ids.indexOf(summary.get("through_message_id").asText()), "it covers the oldest messages");
            assertEquals(thread.get("message_count").asInt(), ids.size(), "every message is still stored");

            // The next turn starts from the same system message and summary: the previous turn's prompt is cached.
            int previousPrompt = json(summarized).get("usage").get("prompt_tokens").asInt();
            HttpResponse<String> next = server.post(path, "{\"prompt\": \"And now?\", \"max_tokens\": 4, \"stream\": false}");
            assertEquals(200, next.statusCode(), next.body());
            assertFalse(next.headers().firstValue("x-parley-summarized-messages").isPresent(), "the stored summary is reused as it is");
            int cached = json(next).get("usage").get("cached_prompt_tokens").asInt();
            assertTrue(cached >= previousPrompt / 2, "the summarised prefix stays in the KV cache: " + cached + " of " + previousPrompt);

            // A summary that cannot be written (here: its grammar is refused) leaves the turn to truncation, which says so.
            server.server.exchange().summarizeUnder("root ::= (");
            HttpResponse<String> failed = until(server, path, "x-parley-summary-failed");
            assertEquals(200, failed.statusCode(), failed.body());
            assertTrue(Integer.parseInt(failed.headers().firstValue("x-parley-truncated-messages").orElse("0")) > 0, failed.headers().toString());
            assertEquals(SUMMARY, json(server.get(BASE + "/" + id)).get("summary").get("content").asText(), "the earlier summary stays");
        } finally {
            server.server.exchange().summarizeUnder(null);
        }
        assertEquals(200, server.send("DELETE", BASE + "/" + id, null).statusCode());
    }

    /** Long turns until one answer carries {@code header}. */
    private static HttpResponse<String> until(TestServer server, String path, String header) throws Exception {
        for (int i = 0; i < MAX_TURNS; i++) {
            HttpResponse<String> r = server.post(path, "{\"prompt\": \"" + TURN + "\", \"max_tokens\": 4, \"stream\": false}");
            assertEquals(200, r.statusCode(), r.body());
            if (r.headers().firstValue(header).isPresent()) {
                return r;
            }
        }
        throw new AssertionError("no answer said " + header + " in " + MAX_TURNS + " turns");
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertNotNull(r.body());
        return Json.MAPPER.readTree(r.body());
    }
}
