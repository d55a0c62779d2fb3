package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.Json;
import dev.parley.server.files.TestDocuments;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Files as conversation context over HTTP: upload, manage, per-key isolation, and documents in prompts. */
class FilesApiTest {

    static final String ALICE = "Bearer alice-key-1";
    static final String BOB = "Bearer bob-key-12";

    @ServerFlags(value = {"--slots", "2", "--ctx-size", "4096"}, keys = "alice:alice-key-1\nbob:bob-key-12\n", isolated = true) // its prompt watcher
    static TestServer server;
    /** Every prompt the exchange submits, rendered, in order. */
    static final List<String> prompts = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void watchPrompts() {
        server.server.exchange().watchPrompts((turn, prompt) -> {
            if (prompt instanceof Prompt.Chat chat) {
                prompts.add(server.server.engine().render(chat));
            }
        });
    }

    @AfterEach
    void clearPrompts() {
        prompts.clear();
    }

    // ---- uploading and managing ----

    @Test
    void aPdfUploadedAsAFormIsSniffedExtractedCountedAndListed() throws Exception {
        byte[] pdf = TestDocuments.pdf("Quarterly report of the Lumen Company.", "Revenue grew by seventeen percent.");
        HttpResponse<String> r = upload(ALICE, "report.pdf", "application/octet-stream", pdf);
        assertEquals(201, r.statusCode(), r.body());
        JsonNode f = json(r);
        String id = f.get("id").asText();
        assertTrue(id.startsWith("file_"), id);
        assertEquals("file", f.get("object").asText());
        assertEquals("report.pdf", f.get("name").asText());
        assertEquals("application/pdf", f.get("media_type").asText());
        assertEquals(pdf.length, f.get("bytes").asLong());
        assertEquals(64, f.get("sha256").asText().length());
        String text = server.get("/api/v1/files/" + id + "/content", "Authorization", ALICE).body();
        assertTrue(text.contains("Revenue grew by seventeen percent."), text);
        assertEquals(text.length(), f.get("characters").asInt());
        assertEquals(server.server.engine().textTokens(text), f.get("tokens").asInt());
        assertTrue(f.get("tokens").asInt() > 10);

        JsonNode read = json(server.get("/api/v1/files/" + id, "Authorization", ALICE));
        assertEquals(f, read);
        boolean listed = false;
        for (JsonNode item : json(server.get("/api/v1/files?limit=100", "Authorization", ALICE)).get("data")) {
            listed |= item.get("id").asText().equals(id);
        }
        assertTrue(listed);
    }

    @Test
    void theClientsMediaTypeAndExtensionAreNotTrusted() throws Exception {
        byte[] pdf = TestDocuments.pdf("A PDF in disguise.");
        JsonNode f = json(upload(ALICE, "notes.txt", "text/plain", pdf));
        assertEquals("application/pdf", f.get("media_type").asText());
        assertEquals("notes.txt", f.get("name").asText());
    }

    @Test
    void aRawBodyNamedByQueryOrContentDisposition() throws Exception {
        byte[] docx = TestDocuments.docx("Minutes of the harbour committee.", "The pier opens in May.");
        HttpResponse<String> byQuery = raw(ALICE, "/api/v1/files?filename=" + URLEncoder.encode("minutes v2.docx", StandardCharsets.UTF_8), docx,
                "Content-Type", "application/octet-stream");
        assertEquals(201, byQuery.statusCode(), byQuery.body());
        assertEquals("minutes v2.docx", json(byQuery).get("name").asText());
        assertEquals("application/vnd.openxmlformats-officedocument.wordprocessingml.document", json(byQuery).get("media_type").asText());
        HttpResponse<String> byHeader = raw(ALICE, "/api/v1/files", docx, "Content-Type", "application/octet-stream",
                "Content-Disposition", "attachment; filename=\"minutes.docx\"");
        assertEquals(201, byHeader.statusCode(), byHeader.body());
        assertEquals("minutes.docx", json(byHeader).get("name").asText());
        assertEquals(400, raw(ALICE, "/api/v1/files", docx, "Content-Type", "application/octet-stream").statusCode(), "a raw upload needs a name");
    }

    @Test
    void filesBelongToTheirKey() throws Exception {
        String id = json(upload(ALICE, "private.txt", "text/plain", "Alice's secret plan.".getBytes(StandardCharsets.UTF_8))).get("id").asText();
        assertEquals(404, server.get("/api/v1/files/" + id, "Authorization", BOB).statusCode());
        assertEquals(404, server.get("/api/v1/files/" + id + "/content", "Authorization", BOB).statusCode());
        assertEquals(404, server.send("DELETE", "/api/v1/files/" + id, null, "Authorization", BOB).statusCode());
        for (JsonNode item : json(server.get("/api/v1/files?limit=100", "Authorization", BOB)).get("data")) {
            assertFalse(item.get("id").asText().equals(id));
        }
        HttpResponse<String> borrowed = server.post("/api/v1/conversation",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Summarise\", \"files\": [\"" + id + "\"]}], \"max_tokens\": 2}",
                "Authorization", BOB);
        assertEquals(404, borrowed.statusCode(), borrowed.body());
        assertTrue(prompts.isEmpty(), "nothing reached the engine");
        assertEquals(200, server.get("/api/v1/files/" + id, "Authorization", ALICE).statusCode(), "still Alice's");
        // OpenAI's Files API over the same files: the same owners
        assertEquals(200, server.get("/v1/files/" + id, "Authorization", ALICE).statusCode());
        HttpResponse<String> openAi = server.get("/v1/files/" + id, "Authorization", BOB);
        assertEquals(404, openAi.statusCode());
        assertEquals("not_found_error", json(openAi).get("error").get("type").asText());
    }

    @Test
    void aPageFromAnotherOriginCannotUploadAForm() throws Exception {
        // multipart/form-data is a type a page may post anywhere without a preflight: the Origin check stops it
        HttpResponse<String> r = server.upload("x.txt", "text/plain", "hi".getBytes(StandardCharsets.UTF_8), "Authorization", ALICE,
                "Origin", "https://pages.example.com");
        assertEquals(403, r.statusCode(), r.body());
    }

    @Test
    void listingPagesNewestFirst() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(json(upload(BOB, "page" + i + ".md", "text/markdown", ("# Page " + i + "\n\nText.").getBytes(StandardCharsets.UTF_8))).get("id").asText());
        }
        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = json(server.get("/api/v1/files?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), "Authorization", BOB));
            assertTrue(page.get("data").size() <= 2);
            page.get("data").forEach(f -> seen.add(f.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            pages++;
        } while (cursor != null && pages < 50);
        assertTrue(seen.containsAll(ids), seen + " vs " + ids);
        assertEquals(400, server.get("/api/v1/files?limit=0", "Authorization", BOB).statusCode());
        assertEquals(400, server.get("/api/v1/files?cursor=nonsense", "Authorization", BOB).statusCode());
        assertEquals(401, upload("Bearer carol-key-1", "x.md", "text/markdown", "# x".getBytes(StandardCharsets.UTF_8)).statusCode());
    }

    // ---- documents in prompts ----

    @Test
    void aPdfReferencedByAStatelessMessageReachesThePrompt() throws Exception {
        JsonNode f = json(upload(ALICE, "lumen.pdf", "application/pdf", TestDocuments.pdf("The Lumen lighthouse was built in 1872.")));
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"When was it built?\"%s}], \"max_tokens\": 2, \"temperature\": 0}";
        JsonNode without = json(server.post("/api/v1/conversation", body.formatted(""), "Authorization", ALICE));
        prompts.clear();
        HttpResponse<String> r = server.post("/api/v1/conversation", body.formatted(", \"files\": [\"" + f.get("id").asText() + "\"]"),
                "Authorization", ALICE);
        assertEquals(200, r.statusCode(), r.body());
        int grew = json(r).get("usage").get("prompt_tokens").asInt() - without.get("usage").get("prompt_tokens").asInt();
        assertTrue(grew >= f.get("tokens").asInt(), "the prompt grew by " + grew + " tokens, the file has " + f.get("tokens").asInt());
        assertEquals(1, prompts.size());
        String prompt = prompts.getFirst();
        int doc = prompt.indexOf("<document name=\"lumen.pdf\">\nThe Lumen lighthouse was built in 1872.\n</document>");
        assertTrue(doc >= 0, prompt);
        assertTrue(prompt.indexOf("When was it built?") > doc, "the document comes before the question");
    }

    @Test
    void openAiFilePartsAndApplyTemplate() throws Exception {
        JsonNode f = json(upload(ALICE, "contract.docx", "application/octet-stream", TestDocuments.docx("The lease runs for nine years.")));
        String messages = "[{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"How long is the lease?\"}, "
                + "{\"type\": \"file\", \"file\": {\"file_id\": \"" + f.get("id").asText() + "\"}}]}]";
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"messages\": " + messages + ", \"max_tokens\": 2}", "Authorization", ALICE);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(json(r).get("usage").get("prompt_tokens").asInt() > f.get("tokens").asInt());
        assertTrue(prompts.getFirst().contains("<document name=\"contract.docx\">\nThe lease runs for nine years.\n</document>"), prompts.getFirst());
        JsonNode rendered = json(server.post("/apply-template", "{\"messages\": " + messages + "}", "Authorization", ALICE));
        assertEquals(prompts.getFirst(), rendered.get("prompt").asText(), "/apply-template renders what the completion ran");
        HttpResponse<String> unknown = server.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"file\", "
                + "\"file\": {\"file_id\": \"file_000000000000000000000000\"}}]}], \"max_tokens\": 2}", "Authorization", ALICE);
        assertEquals(404, unknown.statusCode(), unknown.body());
        assertEquals("messages[0].content[0].file.file_id", json(unknown).get("error").get("param").asText());
    }

    @Test
    void aThreadReusesTheCachedDocumentOnLaterTurns() throws Exception {
        JsonNode f = json(upload(ALICE, "manual.docx", "application/octet-stream",
                TestDocuments.docx("Press the red button to start the pump.", "Hold the blue lever to drain the tank.")));
        String fileId = f.get("id").asText();
        String thread = json(server.post("/api/v1/conversations", "{\"system_prompt\": \"You answer from documents.\"}", "Authorization", ALICE))
                .get("id").asText();
        JsonNode first = json(server.post("/api/v1/conversations/" + thread + "/messages",
                "{\"prompt\": \"How do I start it?\", \"files\": [\"" + fileId + "\"], \"stream\": false, \"max_tokens\": 3, \"temperature\": 0}",
                "Authorization", ALICE));
        JsonNode second = json(server.post("/api/v1/conversations/" + thread + "/messages",
                "{\"prompt\": \"And drain it?\", \"stream\": false, \"max_tokens\": 3, \"temperature\": 0}", "Authorization", ALICE));
        int cached = second.get("usage").get("cached_prompt_tokens").asInt();
        assertTrue(first.get("usage").get("prompt_tokens").asInt() > f.get("tokens").asInt());
        assertTrue(cached >= first.get("usage").get("prompt_tokens").asInt() - 1 && cached > f.get("tokens").asInt(),
                "turn 2 reused the cached document: " + second.get("usage") + " after " + first.get("usage"));
        assertEquals(2, prompts.size());
        String document = "<document name=\"manual.docx\">\n" + server.get("/api/v1/files/" + fileId + "/content", "Authorization", ALICE).body()
                + "\n</document>";
        assertTrue(document.contains("Press the red button to start the pump.") && document.contains("Hold the blue lever to drain the tank."));
        assertTrue(prompts.get(0).contains(document + "\n\nHow do I start it?"), prompts.get(0));
        assertTrue(prompts.get(1).startsWith(prompts.get(0).substring(0, prompts.get(0).indexOf("How do I start it?"))),
                "turn 2's prompt starts with turn 1's, document included");

        JsonNode read = json(server.get("/api/v1/conversations/" + thread, "Authorization", ALICE));
        JsonNode stored = read.get("messages").get(0);
        assertEquals("How do I start it?", stored.get("content").asText(), "the thread stores the reference, not the text");
        assertEquals(fileId, stored.get("files").get(0).asText());
        assertEquals(0, read.get("messages").get(2).get("files").size());

        // the file is in use: refused until the thread is gone
        HttpResponse<String> refused = server.send("DELETE", "/api/v1/files/" + fileId, null, "Authorization", ALICE);
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(json(refused).get("Error").get("error").get("description").asText().contains(thread));
        assertEquals(200, server.send("DELETE", "/api/v1/conversations/" + thread, null, "Authorization", ALICE).statusCode());
        HttpResponse<String> deleted = server.send("DELETE", "/api/v1/files/" + fileId, null, "Authorization", ALICE);
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertTrue(json(deleted).get("deleted").asBoolean());
        assertEquals(404, server.get("/api/v1/files/" + fileId, "Authorization", ALICE).statusCode());
    }

    @Test
    void answersFromDocumentsStreamAsAnyOther() throws Exception {
        String fileId = json(upload(ALICE, "notes.txt", "text/plain", "The meeting moved to Thursday.".getBytes(StandardCharsets.UTF_8)))
                .get("id").asText();
        HttpResponse<String> ndjson = server.post("/api/v1/continue_from_conversation_history", "{\"conversation_history\": [{\"role\": "
                + "\"user\", \"content\": \"When?\", \"files\": [\"" + fileId + "\"]}], \"max_tokens\": 4}", "Authorization", ALICE);
        assertEquals(200, ndjson.statusCode(), ndjson.body());
        List<JsonNode> lines = TestServer.ndjson(ndjson.body());
        assertEquals("Done", lines.getLast().get("Response").get("response").get("GeneratedToken").get("generated_token_result").asText());
        // max_tokens 4: at most four pieces (fewer when a character spans two tokens or the model ends), then Done
        assertTrue(lines.size() >= 2 && lines.size() <= 5, ndjson.body());
        for (JsonNode line : lines.subList(0, lines.size() - 1)) {
            assertTrue(line.get("Response").get("response").get("GeneratedToken").get("generated_token_result").has("Token"), line.toString());
        }
        assertTrue(prompts.getFirst().contains("<document name=\"notes.txt\">\nThe meeting moved to Thursday.\n</document>\n\nWhen?"));

        String thread = json(server.post("/api/v1/conversations", "{}", "Authorization", ALICE)).get("id").asText();
        HttpResponse<String> sse = server.post("/api/v1/conversations/" + thread + "/messages",
                "{\"prompt\": \"When?\", \"files\": [\"" + fileId + "\"], \"max_tokens\": 4}", "Authorization", ALICE);
        assertEquals(200, sse.statusCode(), sse.body());
        assertTrue(sse.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        SseEvents events = SseEvents.parse(sse.body());
        assertEquals("done", events.events().getLast().name());
        assertEquals(4, events.events().getLast().data().get("usage").get("completion_tokens").asInt());
        assertEquals(fileId, json(server.get("/api/v1/conversations/" + thread, "Authorization", ALICE)).get("messages").get(0).get("files").get(0)
                .asText(), "the streamed turn was stored with its file");
    }

    @Test
    void aThreadsOwnFilesGoIntoItsSystemMessage() throws Exception {
        String fileId = json(upload(ALICE, "style.md", "text/markdown", "# House style\n\nAlways answer in haiku.".getBytes(StandardCharsets.UTF_8)))
                .get("id").asText();
        HttpResponse<String> created = server.post("/api/v1/conversations", "{\"system_prompt\": \"Be kind.\", \"files\": [\"" + fileId + "\"]}",
                "Authorization", ALICE);
        assertEquals(201, created.statusCode(), created.body());
        String thread = json(created).get("id").asText();
        assertEquals(fileId, json(created).get("files").get(0).asText());
        HttpResponse<String> r = server.post("/api/v1/conversations/" + thread + "/messages",
                "{\"prompt\": \"Hi\", \"stream\": false, \"max_tokens\": 2}", "Authorization", ALICE);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(prompts.getFirst().contains("<document name=\"style.md\">\n# House style\n\nAlways answer in haiku.\n</document>\n\nBe kind."),
                prompts.getFirst());
        HttpResponse<String> cleared = server.send("PATCH", "/api/v1/conversations/" + thread, "{\"files\": []}", "Authorization", ALICE);
        assertEquals(0, json(cleared).get("files").size());
        assertEquals(200, server.send("DELETE", "/api/v1/files/" + fileId, null, "Authorization", ALICE).statusCode(),
                "no longer referenced: the thread has no stored message that names it");
        assertEquals(404, server.post("/api/v1/conversations", "{\"files\": [\"" + fileId + "\"]}", "Authorization", ALICE).statusCode());
    }

    @Test
    void documentsThatDoNotFitAreNamedOrCutOnRequest() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 40_000; i++) {
            text.append("Line ").append(i).append(" of the long annex lists clause ").append(i * 7).append(".\n");
        }
        JsonNode f = json(upload(ALICE, "annex.txt", "text/plain", text.toString().getBytes(StandardCharsets.UTF_8)));
        int capacity = server.server.engine().slotCapacity();
        assertTrue(f.get("tokens").asInt() > capacity, f + " vs " + capacity);
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Which clause?\", \"files\": [\"" + f.get("id").asText()
                + "\"]}], \"max_tokens\": 4%s}";
        HttpResponse<String> refused = server.post("/api/v1/conversation", body.formatted(""), "Authorization", ALICE);
        assertEquals(413, refused.statusCode(), refused.body());
        String why = json(refused).get("Error").get("error").get("description").asText();
        assertTrue(why.contains("annex.txt (" + f.get("id").asText() + ") " + f.get("tokens").asInt() + " tokens"), why);

        prompts.clear();
        HttpResponse<String> cut = server.post("/api/v1/conversation", body.formatted(", \"context_overflow\": \"truncate\""), "Authorization", ALICE);
        assertEquals(200, cut.statusCode(), cut.body());
        assertEquals(f.get("id").asText(), cut.headers().firstValue("X-Parley-Truncated-Files").orElse(""));
        int used = json(cut).get("usage").get("prompt_tokens").asInt();
        assertTrue(used <= capacity - 4 && used > capacity / 2, used + " of " + capacity);
        assertTrue(prompts.getFirst().contains("Line 0 of the long annex") && prompts.getFirst().contains("[... the rest of this document did not fit"),
                "the start of the document is kept and the cut is marked");
    }

    @Test
    void hostileAndUnreadableFilesAreRefusedCleanly() throws Exception {
        record Case(String name, byte[] bytes, int status, String why) {}
        List<Case> cases = List.of(
                new Case("empty.pdf", new byte[0], 400, "empty"),
                new Case("bomb.docx", TestDocuments.zipBombDocx(), 422, "bomb.docx"),
                new Case("locked.pdf", TestDocuments.encryptedPdf("secret"), 422, "encrypted"),
                new Case("scan.pdf", TestDocuments.imageOnlyPdf(), 422, "OCR"),
                new Case("broken.pdf", TestDocuments.malformedPdf(), 422, "broken.pdf"),
                new Case("archive.docx", TestDocuments.plainZip(), 415, "application/zip"));
        for (Case c : cases) {
            HttpResponse<String> r = upload(ALICE, c.name(), "application/octet-stream", c.bytes());
            assertEquals(c.status(), r.statusCode(), c.name() + ": " + r.body());
            String why = json(r).get("Error").get("error").get("description").asText();
            assertTrue(why.contains(c.why()), c.name() + ": " + why);
        }
        assertEquals(200, server.get("/api/v1/files", "Authorization", ALICE).statusCode(), "the server is fine");
    }

    @Test
    void refusedUploadsSayWhy() throws Exception {
        HttpResponse<String> noFile = raw(ALICE, "/api/v1/files", "--b--\r\n".getBytes(StandardCharsets.US_ASCII),
                "Content-Type", "multipart/form-data; boundary=b");
        assertEquals(400, noFile.statusCode(), noFile.body());
        HttpResponse<String> stray = server.post("/api/v1/conversation",
                "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\", \"files\": [\"file_1\"]}]}", "Authorization", ALICE);
        assertEquals(400, stray.statusCode(), stray.body());
    }

    @Test
    void aGigabyteUploadIsRefusedWithoutBeingRead() throws Exception {
        // declared: refused from the headers
        try (RawHttp c = new RawHttp(server.server.port())) {
            c.send("POST /api/v1/files?filename=big.txt HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + ALICE
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 1073741824\r\n\r\n");
            RawHttp.Response r = c.read();
            assertEquals(413, r.status());
            assertTrue(r.json().get("Error").get("error").get("description").asText().contains("--file-max-size"));
        }
        // streamed (chunked, no length): cut off at the limit while the client is still sending
        try (RawHttp c = new RawHttp(server.server.port())) {
            c.send("POST /api/v1/files?filename=big.txt HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + ALICE
                    + "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = ("100000\r\n" + "a".repeat(1 << 20) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            var sent = new java.util.concurrent.atomic.AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 1024; i++) {
                        c.socket.getOutputStream().write(chunk);
                        sent.addAndGet(1 << 20);
                    }
                } catch (java.io.IOException e) {
                    // the server stopped reading and closed: expected
                }
            });
            RawHttp.Response r = c.read();
            assertEquals(413, r.status());
            writer.join(30_000);
            assertFalse(writer.isAlive(), "the server stopped taking the upload");
            assertTrue(sent.get() < 512L << 20, "the client got " + (sent.get() >> 20) + " MiB of its 1 GiB out before the server stopped it");
        }
        assertEquals(200, server.get("/api/v1/files", "Authorization", ALICE).statusCode(), "the server is fine");
    }

    // ---- helpers ----

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    static HttpResponse<String> upload(String key, String name, String partType, byte[] content) throws Exception {
        return server.upload(name, partType, content, "Authorization", key);
    }

    static HttpResponse<String> raw(String key, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Authorization", key);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return server.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
