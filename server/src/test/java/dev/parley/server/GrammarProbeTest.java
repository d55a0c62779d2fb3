package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.server.api.Json;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's probes that ended the process (exit 134 and 139) answer 400 naming the problem, on every
 * API that takes a grammar, and the server goes on serving.
 */
class GrammarProbeTest {

    @ServerFlags({"--slots", "2", "--ctx-size", "2048"})
    private static TestServer server;

    /** The grammars, with a word their refusal must contain. */
    private static Map<String, String> probes() {
        StringBuilder chain = new StringBuilder("root ::= r0\n");
        for (int i = 0; i < 20_000; i++) {
            chain.append("r").append(i).append(" ::= r").append(i + 1).append(" \"x\"\n");
        }
        chain.append("r20000 ::= \"y\"\n");
        return Map.of(
                "root ::= [z-a]", "reversed",
                "root ::= \"a\\x00b\"", "NUL",
                "root ::= [\\UFFFFFFFF]", "U+10FFFF",
                "root ::= " + "(".repeat(5000) + "\"a\"" + ")".repeat(5000), "nest deeper",
                chain.toString(), "bytes");
    }

    @Test
    void rawPromptGrammarsThatEndedTheProcessAre400() throws Exception {
        for (Map.Entry<String, String> p : probes().entrySet()) {
            ObjectNode b = Json.object();
            b.put("raw_prompt", "hi");
            b.put("max_tokens", 3);
            b.put("grammar", p.getKey());
            HttpResponse<String> r = server.post("/api/v1/continue_from_raw_prompt", b.toString());
            assertEquals(400, r.statusCode(), r.body());
            JsonNode error = Json.MAPPER.readTree(r.body()).get("Error").get("error");
            assertEquals(400, error.get("code").asInt());
            assertTrue(error.get("description").asText().contains(p.getValue()), error.toString());
        }
        assertEquals(200, server.post("/api/v1/continue_from_raw_prompt", "{\"raw_prompt\": \"hi\", \"max_tokens\": 2}").statusCode());
    }

    @Test
    void openAiGrammarsThatEndedTheProcessAre400() throws Exception {
        for (Map.Entry<String, String> p : probes().entrySet()) {
            ObjectNode b = Json.object();
            b.put("model", "parley");
            b.put("max_tokens", 3);
            b.putArray("messages").addObject().put("role", "user").put("content", "hi");
            b.put("grammar", p.getKey());
            HttpResponse<String> r = server.post("/v1/chat/completions", b.toString());
            assertEquals(400, r.statusCode(), r.body());
            JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
            assertEquals("invalid_request_error", error.get("type").asText());
            assertTrue(error.get("message").asText().contains(p.getValue()), error.toString());
        }
        ObjectNode ok = Json.object();
        ok.put("model", "parley");
        ok.put("max_tokens", 8);
        ok.putArray("messages").addObject().put("role", "user").put("content", "hi");
        ok.put("grammar", "root ::= (\"yes\" | \"no\") \"!\"");
        HttpResponse<String> r = server.post("/v1/chat/completions", ok.toString());
        assertEquals(200, r.statusCode(), r.body());
        String content = Json.MAPPER.readTree(r.body()).get("choices").get(0).get("message").get("content").asText();
        assertTrue(content.equals("yes!") || content.equals("no!"), content);
    }
}
