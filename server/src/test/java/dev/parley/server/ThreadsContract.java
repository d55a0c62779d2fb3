package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.server.api.Json;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What threads must do, on whichever store the subclass starts the server with. */
abstract class ThreadsContract {

    static final String BASE = "/api/v1/conversations";

    abstract TestServer server();

    /** A server of the same store kind that can be restarted over the same data. */
    abstract TestServer restartable(boolean first) throws Exception;

    JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    String createThread(String body) throws Exception {
        HttpResponse<String> r = server().post(BASE, body);
        assertEquals(201, r.statusCode(), r.body());
        return json(r).get("id").asText();
    }

    JsonNode say(String id, String prompt, String extra) throws Exception {
        HttpResponse<String> r = server().post(BASE + "/" + id + "/messages",
                "{\"prompt\": \"" + prompt + "\", \"stream\": false, \"max_tokens\": 6, \"temperature\": 0" + extra + "}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    @Test
    void aMessageStoresItsFilesByReferenceAndKeepsThemFromDeletion() throws Exception {
        HttpResponse<String> up = server().upload("facts.txt", "text/plain", "The ferry leaves at nine.".getBytes(StandardCharsets.UTF_8));
        assertEquals(201, up.statusCode(), up.body());
        String file = json(up).get("id").asText();
        String id = createThread("{\"files\": [\"" + file + "\"]}");
        JsonNode reply = say(id, "When does it leave?", ", \"files\": [\"" + file + "\"]");
        assertTrue(reply.get("usage").get("prompt_tokens").asInt() > 2 * json(up).get("tokens").asInt(), "in the system message and the question");
        JsonNode thread = json(server().get(BASE + "/" + id));
        assertEquals(file, thread.get("files").get(0).asText());
        assertEquals(file, thread.get("messages").get(0).get("files").get(0).asText());
        server().send("PATCH", BASE + "/" + id, "{\"files\": []}");
        assertEquals(409, server().send("DELETE", "/api/v1/files/" + file, null).statusCode(), "the stored message still names it");
        assertEquals(200, server().send("DELETE", BASE + "/" + id, null).statusCode());
        assertEquals(200, server().send("DELETE", "/api/v1/files/" + file, null).statusCode());
    }

    @Test
    void aThreadKeepsTheModelItIsGiven() throws Exception {
        // with a single model every name runs on it; the thread still keeps the one it was given
        HttpResponse<String> created = server().post(BASE, "{\"title\": \"m\", \"model\": \"tiny\"}");
        assertEquals(201, created.statusCode(), created.body());
        String id = json(created).get("id").asText();
        assertEquals("tiny", json(created).get("model").asText());
        say(id, "Hello", "");
        assertEquals("tiny", json(server().get(BASE + "/" + id)).get("model").asText());
        HttpResponse<String> patched = server().send("PATCH", BASE + "/" + id, "{\"model\": null}");
        assertEquals(200, patched.statusCode(), patched.body());
        assertTrue(json(patched).get("model").isNull());
        assertEquals("m", json(patched).get("title").asText(), "fields not sent stay");
        assertTrue(json(server().get(BASE + "/" + createThread("{}"))).get("model").isNull());
        assertEquals(400, server().send("PATCH", BASE + "/" + id, "{\"model\": \" \"}").statusCode());
        assertEquals(400, server().post(BASE, "{\"model\": 7}").statusCode());
        assertEquals(400, server().post(BASE, "{\"model\": \"" + "m".repeat(257) + "\"}").statusCode());
    }

    @Test
    void summarizeReplacesTheOldestTurnsBySummaryItKeeps() throws Exception {
        SummaryScenario.run(server());
    }

    @Test
    void fullLifecycle() throws Exception {
        HttpResponse<String> created = server().post(BASE, "{\"title\": \"Trip\", \"system_prompt\": \"You plan trips.\", \"metadata\": {\"user\": 7}}");
        assertEquals(201, created.statusCode());
        JsonNode t = json(created);
        String id = t.get("id").asText();
        assertEquals("Trip", t.get("title").asText());
        assertEquals("You plan trips.", t.get("system_prompt").asText());
        assertEquals(7, t.get("metadata").get("user").asInt());
        assertEquals(0, t.get("message_count").asInt());

        JsonNode reply = say(id, "Where should I go?", "");
        assertTrue(reply.get("message_id").asText().startsWith("msg_"));
        assertEquals("length", reply.get("finish_reason").asText());
        assertEquals(6, reply.get("usage").get("completion_tokens").asInt());

        JsonNode read = json(server().get(BASE + "/" + id));
        JsonNode messages = read.get("messages");
        assertEquals(2, messages.size());
        assertEquals("user", messages.get(0).get("role").asText());
        assertEquals("Where should I go?", messages.get(0).get("content").asText());
        assertEquals("assistant", messages.get(1).get("role").asText());
        assertEquals(reply.get("text").asText(), messages.get(1).get("content").asText());
        assertEquals(reply.get("message_id").asText(), messages.get(1).get("id").asText());

        HttpResponse<String> patched = server().send("PATCH", BASE + "/" + id, "{\"title\": \"Trip to Lisbon\"}");
        assertEquals(200, patched.statusCode(), patched.body());
        assertEquals("Trip to Lisbon", json(patched).get("title").asText());
        assertEquals("You plan trips.", json(patched).get("system_prompt").asText(), "fields not sent stay");

        HttpResponse<String> deleted = server().send("DELETE", BASE + "/" + id, null);
        assertEquals(200, deleted.statusCode());
        assertEquals("success", json(deleted).get("status").asText());
        assertEquals(404, server().get(BASE + "/" + id).statusCode());
        assertEquals(404, server().send("DELETE", BASE + "/" + id, null).statusCode());
    }

    @Test
    void listingIsNewestFirstAndPaginated() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(createThread("{\"title\": \"page " + i + "\"}"));
            Thread.sleep(3);
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = json(server().get(BASE + "?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)));
            assertTrue(page.get("data").size() <= 2);
            page.get("data").forEach(c -> seen.add(c.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        List<String> newestFirst = new ArrayList<>(ids.reversed());
        assertEquals(newestFirst, seen.subList(0, 5), "the five newest, newest first, across pages");
        assertEquals(400, server().get(BASE + "?limit=0").statusCode());
        assertEquals(400, server().get(BASE + "?cursor=garbage!").statusCode());
    }

    @Test
    void laterTurnsReuseTheKvCache() throws Exception {
        String id = createThread("{\"system_prompt\": \"Be brief.\"}");
        JsonNode t1 = say(id, "First question about caching.", "");
        JsonNode t2 = say(id, "Second question.", "");
        JsonNode t3 = say(id, "Third question.", "");
        assertTrue(t1.get("usage").get("cached_prompt_tokens").asInt() < t1.get("usage").get("prompt_tokens").asInt());
        assertTrue(t2.get("usage").get("cached_prompt_tokens").asInt() >= t1.get("usage").get("prompt_tokens").asInt(),
                "turn 2 reuses at least turn 1's prompt: " + t2);
        assertTrue(t3.get("usage").get("cached_prompt_tokens").asInt() >= t2.get("usage").get("prompt_tokens").asInt(),
                "turn 3 reuses at least turn 2's prompt: " + t3);
    }

    @Test
    void aForkSharesTheHistoryUpToAMessageAndItsKv() throws Exception {
        String parent = createThread("{\"title\": \"branches\", \"system_prompt\": \"Be brief.\", \"metadata\": {\"n\": 1}}");
        JsonNode t1 = say(parent, "Tell me about ferries.", "");
        say(parent, "And about trains?", "");
        JsonNode before = json(server().get(BASE + "/" + parent)).get("messages");
        String firstAnswer = before.get(1).get("id").asText();

        HttpResponse<String> forked = server().post(BASE + "/" + parent + "/fork", "{\"at_message_id\": \"" + firstAnswer + "\"}");
        assertEquals(201, forked.statusCode(), forked.body());
        JsonNode fork = json(forked);
        String id = fork.get("id").asText();
        assertEquals(parent, fork.get("parent_id").asText());
        assertEquals(firstAnswer, fork.get("forked_at_message_id").asText());
        assertEquals(2, fork.get("message_count").asInt());
        assertEquals("Be brief.", fork.get("system_prompt").asText());
        assertEquals(1, fork.get("metadata").get("n").asInt());
        assertTrue(json(server().get(BASE + "/" + parent)).get("parent_id").isNull(), "the parent is no fork");

        JsonNode copied = json(server().get(BASE + "/" + id)).get("messages");
        assertEquals(2, copied.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(before.get(i).get("content").asText(), copied.get(i).get("content").asText());
            assertEquals(before.get(i).get("role").asText(), copied.get(i).get("role").asText());
            assertFalse(before.get(i).get("id").asText().equals(copied.get(i).get("id").asText()), "a copy has its own id");
        }
        assertEquals(4, json(server().get(BASE + "/" + parent)).get("messages").size(), "the parent keeps its branch");

        // The fork's first turn renders the same prefix as the parent's second did: the KV cache covers it.
        JsonNode turn = say(id, "And about planes?", "");
        int sharedHistory = t1.get("usage").get("prompt_tokens").asInt() + t1.get("usage").get("completion_tokens").asInt();
        assertTrue(turn.get("usage").get("cached_prompt_tokens").asInt() >= sharedHistory,
                "the shared history (" + sharedHistory + " tokens) came from cache: " + turn);
        assertEquals(4, json(server().get(BASE + "/" + id)).get("messages").size());
        assertEquals(4, json(server().get(BASE + "/" + parent)).get("messages").size(), "a turn on the fork leaves the parent alone");
    }

    @Test
    void aForkCanReplaceTheMessageItIsMadeAt() throws Exception {
        String parent = createThread("{}");
        say(parent, "Question one.", "");
        say(parent, "Question two.", "");
        JsonNode before = json(server().get(BASE + "/" + parent)).get("messages");
        String secondQuestion = before.get(2).get("id").asText();
        HttpResponse<String> edited = server().post(BASE + "/" + parent + "/fork",
                "{\"at_message_id\": \"" + secondQuestion + "\", \"content\": \"Question two, edited.\"}");
        assertEquals(201, edited.statusCode(), edited.body());
        JsonNode messages = json(server().get(BASE + "/" + json(edited).get("id").asText())).get("messages");
        assertEquals(3, messages.size());
        assertEquals("user", messages.get(2).get("role").asText());
        assertEquals("Question two, edited.", messages.get(2).get("content").asText());
        assertEquals("Question two.", json(server().get(BASE + "/" + parent)).get("messages").get(2).get("content").asText(), "the original stays");

        String firstAnswer = before.get(1).get("id").asText();
        HttpResponse<String> rewritten = server().post(BASE + "/" + parent + "/fork", "{\"at_message_id\": \"" + firstAnswer + "\", \"content\": \"Short.\"}");
        JsonNode answer = json(server().get(BASE + "/" + json(rewritten).get("id").asText())).get("messages").get(1);
        assertEquals("Short.", answer.get("content").asText());
        assertTrue(answer.get("usage").isNull(), "a rewritten answer was not generated: it has no usage");
    }

    @Test
    void aForkMadeAtAQuestionIsAnsweredWithoutANewPrompt() throws Exception {
        String parent = createThread("{\"system_prompt\": \"Be brief.\"}");
        JsonNode first = say(parent, "Name a colour.", "");
        String question = json(server().get(BASE + "/" + parent)).get("messages").get(0).get("id").asText();
        // edit the first question: a fork ending in the edited question, then its answer
        String fork = json(server().post(BASE + "/" + parent + "/fork", "{\"at_message_id\": \"" + question
                + "\", \"content\": \"Name a fruit.\"}")).get("id").asText();
        HttpResponse<String> r = server().post(BASE + "/" + fork + "/messages", "{\"stream\": false, \"max_tokens\": 6, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode answer = json(r);
        assertEquals(6, answer.get("usage").get("completion_tokens").asInt());
        JsonNode messages = json(server().get(BASE + "/" + fork)).get("messages");
        assertEquals(2, messages.size(), "the reply alone was stored: " + messages);
        assertEquals("Name a fruit.", messages.get(0).get("content").asText());
        assertEquals(answer.get("message_id").asText(), messages.get(1).get("id").asText());
        assertEquals(answer.get("text").asText(), messages.get(1).get("content").asText());

        // regenerate the first answer: a fork at the question, answered again; same prompt, so all but one token is cached
        String again = json(server().post(BASE + "/" + parent + "/fork", "{\"at_message_id\": \"" + question + "\"}")).get("id").asText();
        JsonNode regenerated = json(server().post(BASE + "/" + again + "/messages", "{\"stream\": false, \"max_tokens\": 6, \"temperature\": 0}"));
        assertEquals(first.get("usage").get("prompt_tokens").asInt(), regenerated.get("usage").get("prompt_tokens").asInt(), "the same prompt");
        assertEquals(first.get("text").asText(), regenerated.get("text").asText(), "greedy: the same answer");

        HttpResponse<String> answered = server().post(BASE + "/" + parent + "/messages", "{\"stream\": false}");
        assertEquals(400, answered.statusCode(), "a thread ending in an answer needs a prompt: " + answered.body());
        assertEquals(400, json(answered).get("Error").get("error").get("code").asInt());
    }

    @Test
    void aForkOfAnUnknownThreadOrMessageIs404AndBadBodiesAre400() throws Exception {
        String parent = createThread("{}");
        say(parent, "Hello.", "");
        HttpResponse<String> noMessage = server().post(BASE + "/" + parent + "/fork", "{\"at_message_id\": \"msg_nope\"}");
        assertEquals(404, noMessage.statusCode(), noMessage.body());
        assertEquals(404, json(noMessage).get("Error").get("error").get("code").asInt());
        HttpResponse<String> noThread = server().post(BASE + "/conv_nope/fork", "{\"at_message_id\": \"msg_nope\"}");
        assertEquals(404, noThread.statusCode());
        assertEquals(404, json(noThread).get("Error").get("error").get("code").asInt());
        String other = createThread("{}");
        say(other, "Elsewhere.", "");
        String othersMessage = json(server().get(BASE + "/" + other)).get("messages").get(0).get("id").asText();
        assertEquals(404, server().post(BASE + "/" + parent + "/fork", "{\"at_message_id\": \"" + othersMessage + "\"}").statusCode(),
                "a message of another thread is not this thread's");
        HttpResponse<String> missing = server().post(BASE + "/" + parent + "/fork", "{}");
        assertEquals(400, missing.statusCode());
        assertEquals(400, json(missing).get("Error").get("error").get("code").asInt());
        assertEquals(400, server().post(BASE + "/" + parent + "/fork", "{\"at_message_id\": \"" + othersMessage + "\", \"colour\": 1}").statusCode());
        long forks = 0;
        for (JsonNode t : json(server().get(BASE + "?limit=100")).get("data")) {
            forks += t.get("parent_id").asText("").equals(parent) ? 1 : 0;
        }
        assertEquals(0, forks, "the refused requests made no fork");
    }

    /** The ids of a search's threads, across all its pages of {@code limit}. */
    List<String> search(String q, int limit) throws Exception {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        do {
            HttpResponse<String> r = server().get(BASE + "?limit=" + limit + "&q=" + java.net.URLEncoder.encode(q, StandardCharsets.UTF_8)
                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode page = json(r);
            assertTrue(page.get("data").size() <= limit);
            page.get("data").forEach(t -> ids.add(t.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        return ids;
    }

    /** A word no other test's thread holds (the server is shared): letters and digits only. */
    static String uniqueWord() {
        return "w" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    @Test
    void searchFindsThreadsByMessageTextAndTitle() throws Exception {
        String word = uniqueWord();
        String apples = createThread("{}");
        say(apples, "The " + word + "harbour sells apples.", "");
        String pears = createThread("{}");
        say(pears, "The " + word + "harbour sells pears.", "");
        String titled = createThread("{\"title\": \"Notes on " + word + "titles\"}");
        String unrelated = createThread("{\"title\": \"Other things\"}");
        say(unrelated, "Nothing to see here.", "");

        assertEquals(List.of(pears, apples), search(word + "harbour", 20), "a message's word, newest first");
        assertEquals(List.of(pears, apples), search(word.toUpperCase() + "HARB", 20), "case does not matter; a word matches words it starts");
        assertEquals(List.of(pears), search(word + "harbour PEARS", 20), "every word is required");
        assertEquals(List.of(titled), search(word + "titles", 20), "titles are searched");
        assertEquals(List.of(titled, pears, apples), search(word, 1), "one a page, the cursor as in the plain list");
        assertEquals(List.of(), search(word + "nothing", 20));

        server().send("PATCH", BASE + "/" + titled, "{\"title\": \"Renamed\"}");
        assertEquals(List.of(pears, apples), search(word, 20), "a renamed thread is found by its new title only");
        String fork = json(server().post(BASE + "/" + apples + "/fork", "{\"at_message_id\": \""
                + json(server().get(BASE + "/" + apples)).get("messages").get(0).get("id").asText() + "\"}")).get("id").asText();
        assertEquals(List.of(fork, apples), search(word + " apples", 20), "a fork's copied messages are searched too");
        assertEquals(200, server().send("DELETE", BASE + "/" + apples, null).statusCode());
        assertEquals(List.of(fork, pears), search(word, 20), "a deleted thread is gone from the index");

        HttpResponse<String> noWords = server().get(BASE + "?q=" + java.net.URLEncoder.encode("*\"()", StandardCharsets.UTF_8));
        assertEquals(400, noWords.statusCode(), noWords.body());
        assertEquals(400, json(noWords).get("Error").get("error").get("code").asInt());
        assertEquals(200, server().get(BASE + "?q=" + java.net.URLEncoder.encode("AND OR NOT NEAR", StandardCharsets.UTF_8)).statusCode(),
                "query syntax in the text is words, not syntax");
    }

    @Test
    void additionalContextReachesThePromptButNotTheStore() throws Exception {
        String plain = createThread("{}");
        String withContext = createThread("{}");
        int p1 = say(plain, "What is in the file?", "").get("usage").get("prompt_tokens").asInt();
        int p2 = say(withContext, "What is in the file?", ", \"additional_context\": \"The file says: the answer is forty-two.\"")
                .get("usage").get("prompt_tokens").asInt();
        assertTrue(p2 > p1 + 5, "the context adds tokens to the prompt: " + p1 + " vs " + p2);
        JsonNode stored = json(server().get(BASE + "/" + withContext)).get("messages").get(0);
        assertEquals("What is in the file?", stored.get("content").asText());
    }

    @Test
    void saveHistoryFalseStoresNothing() throws Exception {
        String id = createThread("{}");
        JsonNode r = say(id, "Off the record.", ", \"save_history\": false");
        assertTrue(r.get("message_id").isNull());
        assertEquals(0, json(server().get(BASE + "/" + id)).get("messages").size());
    }

    @Test
    void aClientThatLeavesMidStreamLeavesTheThreadUnchanged() throws Exception {
        String id = createThread("{}");
        say(id, "Before.", "");
        HttpResponse<InputStream> r = server().http.send(HttpRequest.newBuilder(server().uri(BASE + "/" + id + "/messages"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Talk a lot.\", \"max_tokens\": 1000}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertTrue(in.readLine().startsWith("event: "));
        }
        server().awaitIdleSlots();
        Thread.sleep(100);
        assertEquals(2, json(server().get(BASE + "/" + id)).get("messages").size(), "only the earlier exchange");
    }

    @Test
    void aSecondContinuationOfTheSameThreadIs409() throws Exception {
        String id = createThread("{}");
        HttpResponse<InputStream> first = server().http.send(HttpRequest.newBuilder(server().uri(BASE + "/" + id + "/messages"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Long one.\", \"max_tokens\": 1000}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(first.body(), StandardCharsets.UTF_8))) {
            assertTrue(in.readLine().startsWith("event: "));
            HttpResponse<String> second = server().post(BASE + "/" + id + "/messages", "{\"prompt\": \"Me too.\", \"stream\": false}");
            assertEquals(409, second.statusCode(), second.body());
            assertEquals(409, json(second).get("Error").get("error").get("code").asInt());
        }
        server().awaitIdleSlots();
    }

    @Test
    void sseEventsCarryContentAndThinkingApart() throws Exception {
        String id = createThread("{}");
        String grammar = "root ::= \\\"<think>\\\\nhmm\\\\n</think>\\\\n\\\\nAnswer.\\\"";
        HttpResponse<String> r = server().post(BASE + "/" + id + "/messages",
                "{\"prompt\": \"Think.\", \"max_tokens\": 40, \"temperature\": 0, \"grammar\": \"" + grammar + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
        StringBuilder content = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        JsonNode done = null;
        String event = null;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("event: ")) {
                event = line.substring(7);
            } else if (line.startsWith("data: ")) {
                JsonNode data = Json.MAPPER.readTree(line.substring(6));
                switch (event) {
                    case "content" -> content.append(data.get("text").asText());
                    case "thinking" -> thinking.append(data.get("text").asText());
                    case "done" -> done = data;
                    default -> throw new AssertionError("unexpected event " + event + ": " + data);
                }
            }
        }
        assertEquals("\nhmm\n", thinking.toString());
        assertEquals("\n\nAnswer.", content.toString());
        assertEquals("stop", done.get("finish_reason").asText());
        assertTrue(done.get("usage").get("reasoning_tokens").asInt() > 0);
        JsonNode stored = json(server().get(BASE + "/" + id)).get("messages").get(1);
        assertEquals(done.get("message_id").asText(), stored.get("id").asText());
        assertEquals("\n\nAnswer.", stored.get("content").asText());
        assertEquals("\nhmm\n", stored.get("thinking").asText());
    }

    @Test
    void anOpenAiConversationIsAThreadAndKeepsItsKv() throws Exception {
        HttpResponse<String> c = server().post("/v1/conversations", "{\"metadata\": {\"k\": \"v\"}, \"items\": [{\"type\": \"message\","
                + " \"role\": \"user\", \"content\": \"My name is Ann.\"}, {\"role\": \"assistant\", \"content\": [{\"type\": \"output_text\", \"text\": \"Hello Ann.\"}]}]}");
        assertEquals(200, c.statusCode(), c.body());
        String id = json(c).get("id").asText();
        String turn = "{\"conversation\": \"" + id + "\", \"input\": \"%s\", \"max_output_tokens\": 4, \"temperature\": 0}";
        HttpResponse<String> first = server().post("/v1/responses", turn.formatted("What is my name?"));
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(id, first.headers().firstValue("x-session-id").orElse(""), "the KV hint is the conversation id");
        HttpResponse<String> second = server().post("/v1/responses", turn.formatted("And again?"));
        JsonNode u1 = json(first).get("usage");
        JsonNode u2 = json(second).get("usage");
        assertTrue(u2.get("input_tokens").asInt() > u1.get("input_tokens").asInt() + u1.get("output_tokens").asInt(), "the second sees the first");
        assertTrue(u2.get("input_tokens_details").get("cached_tokens").asInt() >= u1.get("input_tokens").asInt(), second.body());
        HttpResponse<String> read = server().get(BASE + "/" + id);
        assertEquals(200, read.statusCode(), read.body());
        JsonNode thread = json(read);
        assertEquals("v", thread.get("metadata").get("k").asText());
        assertEquals(6, thread.get("messages").size(), "the items and both exchanges, stored once, in the thread");
        assertEquals("My name is Ann.", thread.get("messages").get(0).get("content").asText());
        JsonNode stored = json(server().get("/v1/responses/" + json(second).get("id").asText()));
        assertEquals(thread.get("messages").get(5).get("id").asText(), stored.get("output").get(0).get("id").asText());
        JsonNode input = json(server().get("/v1/responses/" + json(second).get("id").asText() + "/input_items"));
        assertEquals("And again?", input.get("data").get(0).get("content").get(0).get("text").asText());
        assertEquals(200, server().send("DELETE", "/v1/conversations/" + id, null).statusCode());
        assertEquals(404, server().get(BASE + "/" + id).statusCode());
    }

    @Test
    void badInputIsA400NamingTheField() throws Exception {
        assertEquals(400, server().post(BASE, "{\"colour\": \"red\"}").statusCode());
        assertEquals(400, server().post(BASE, "{\"metadata\": [1]}").statusCode());
        String id = createThread("{}");
        HttpResponse<String> noPrompt = server().post(BASE + "/" + id + "/messages", "{\"stream\": false}");
        assertEquals(400, noPrompt.statusCode());
        assertTrue(noPrompt.body().contains("prompt"));
        assertEquals(404, server().post(BASE + "/conv_nope/messages", "{\"prompt\": \"hi\"}").statusCode());
        assertEquals(400, server().send("PATCH", BASE + "/" + id, "{}").statusCode());
    }

    @Test
    void threadsSurviveARestart() throws Exception {
        String id;
        String reply;
        try (TestServer first = restartable(true)) {
            HttpResponse<String> c = first.post(BASE, "{\"title\": \"durable\"}");
            id = json(c).get("id").asText();
            HttpResponse<String> r = first.post(BASE + "/" + id + "/messages", "{\"prompt\": \"Remember me.\", \"stream\": false, \"max_tokens\": 4}");
            reply = json(r).get("text").asText();
        }
        try (TestServer second = restartable(false)) {
            JsonNode t = json(second.get(BASE + "/" + id));
            assertEquals("durable", t.get("title").asText());
            assertEquals(2, t.get("messages").size());
            assertEquals(reply, t.get("messages").get(1).get("content").asText());
            assertFalse(t.get("messages").get(0).get("created_at").asText().isEmpty());
        }
    }
}
