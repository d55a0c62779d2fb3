package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.testmodel.ModelShape;
import dev.parley.runtime.testmodel.TestModels;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * --speculative ngram (and draft, on servers of its own) through the HTTP API: the same greedy answer (under a grammar) with drafting on
 * and with the request's "speculative": false, the metrics counting drafted and accepted tokens, and a bad value of
 * the field refused in OpenAI's error shape.
 */
class SpeculativeApiTest {

    @ServerFlags({"--speculative", "ngram", "--speculative-max", "6"})
    private static TestServer server;

    private static HttpResponse<String> chat(String content, Object speculative) throws Exception {
        // The tiny model's free text almost never repeats a token of its 151k; under a grammar of a few
        // short words it repeats itself all the time, so drafts are found, and some are accepted.
        ObjectNode body = Json.object().put("model", "tiny").put("max_tokens", 48).put("temperature", 0)
                .put("grammar", "root ::= (\"one\" | \"two\" | \"three\" | \" \")+");
        body.putArray("messages").addObject().put("role", "user").put("content", content);
        if (speculative instanceof Boolean b) {
            body.put("speculative", b);
        } else if (speculative instanceof String s) {
            body.put("speculative", s);
        }
        return server.post("/v1/chat/completions", body.toString());
    }

    private static String answer(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body()).path("choices").path(0).path("message").path("content").asText();
    }

    @Test
    void draftingChangesNothingInTheAnswerAndIsCounted() throws Exception {
        String[] asks = {"abc abc abc abc", "Repeat: one two three, one two three.", "Count to ten."};
        double drafted0 = server.metric("parley_speculative_drafted_tokens_total");
        for (String ask : asks) {
            double before = server.metric("parley_speculative_drafted_tokens_total");
            String off = answer(chat(ask, false));
            assertEquals(before, server.metric("parley_speculative_drafted_tokens_total"), "nothing drafted with speculative: false");
            assertEquals(off, answer(chat(ask, null)), ask);
        }
        double drafted = server.metric("parley_speculative_drafted_tokens_total") - drafted0;
        double accepted = server.metric("parley_speculative_accepted_tokens_total");
        assertTrue(drafted > 0, "answers of a few repeated words: something was drafted");
        assertTrue(accepted >= 0 && accepted <= server.metric("parley_speculative_drafted_tokens_total"));
    }

    @Test
    void aFieldThatIsNotABooleanIsABadRequest() throws Exception {
        HttpResponse<String> r = chat("hi", "yes");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode err = Json.MAPPER.readTree(r.body()).get("error");
        assertEquals("invalid_request_error", err.get("type").asText());
        assertEquals("speculative", err.get("param").asText());
    }

    @Test
    void aDraftModelDraftsTheSameAnswer() throws Exception {
        // No grammar here: the draft model drafts free text, which a grammar would mostly refuse.
        ObjectNode body = Json.object().put("model", "tiny").put("max_tokens", 48).put("temperature", 0);
        body.putArray("messages").addObject().put("role", "user").put("content", "Repeat: one two three, one two three.");
        String expected = answer(server.post("/v1/chat/completions", body.deepCopy().put("speculative", false).toString()));
        try (TestServer drafting = new TestServer("--model-draft", TestModels.tinyQwen3().toString(), "--speculative-max", "4",
                "--draft-p-min", "0")) {
            String drafted = answer(drafting.post("/v1/chat/completions", body.toString()));
            assertEquals(expected, drafted, "the draft model changes nothing in a greedy answer");
            assertTrue(drafting.metric("parley_speculative_drafted_tokens_total") > 0, "the draft model drafted");
            assertTrue(drafting.metric("parley_speculative_accepted_tokens_total") > 0, "the model drafting for itself is accepted");
        }
    }

    @Test
    void aDraftModelOfAnotherVocabularyStopsTheStart() {
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> new TestServer("--model-draft", TestModels.ensure(ModelShape.TINY_LLAMA).toString()).close());
        StringBuilder why = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            why.append(t.getMessage()).append(" | ");
        }
        assertTrue(why.toString().contains("cannot draft for this model"), why.toString());
    }
}
