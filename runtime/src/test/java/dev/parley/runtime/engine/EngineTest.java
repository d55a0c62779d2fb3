package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.chat;
import static dev.parley.runtime.engine.Generations.done;
import static dev.parley.runtime.engine.Generations.pieceTokens;
import static dev.parley.runtime.engine.Generations.raw;
import static dev.parley.runtime.engine.Generations.started;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.engine.GenerationEvent.FinishReason;
import dev.parley.runtime.testmodel.TestModels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine on the tiny generated Qwen3 model: 4 slots sharing a 4096-cell unified KV cache. */
class EngineTest {

    private static Engine engine;

    @BeforeAll
    static void start() {
        engine = Engine.start(EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2));
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static List<GenerationEvent> run(GenerationRequest r) throws InterruptedException {
        return engine.submit(r).drain(60_000);
    }

    @Test
    void maxTokensIsExact() throws Exception {
        List<GenerationEvent> events = run(GenerationRequest.greedy("max", chat("Count to ten."), 7));
        GenerationEvent.Done d = done(events);
        assertEquals(FinishReason.LENGTH, d.reason());
        assertEquals(7, d.usage().generatedTokens());
        assertEquals(7, pieceTokens(events), "every generated token is accounted to a piece");
        assertEquals(started(events).promptTokens(), d.usage().promptTokens());
    }

    @Test
    void aPreparedChatRunsExactlyAsTheChatItWasRenderedFrom() throws Exception {
        Prompt.Chat chat = chat("Name three rivers.", "The Nile, the Amazon and the Danube.", "And three mountains?");
        Prompt.Prepared prepared = engine.prepare(chat);
        assertEquals(engine.tokenize(chat).length, prepared.tokenCount());
        assertEquals(engine.promptTokens(chat), prepared.tokenCount());
        assertEquals(chat, prepared.chat());
        List<GenerationEvent> fromChat = run(GenerationRequest.greedy("as-chat", chat, 12));
        List<GenerationEvent> fromPrepared = run(GenerationRequest.greedy("as-prepared", prepared, 12));
        assertEquals(prepared.tokenCount(), started(fromPrepared).promptTokens());
        assertEquals(raw(fromChat), raw(fromPrepared), "the same tokens, the same greedy output");
        assertEquals(12, done(fromPrepared).usage().generatedTokens());
    }

    @Test
    void greedyOutputIsTheSameAloneAndAmongOtherStreams() throws Exception {
        Prompt.Chat mine = chat("Write a poem about the sea.");
        String alone = raw(run(GenerationRequest.greedy("alone", mine, 24)));
        List<TokenStream> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            others.add(engine.submit(GenerationRequest.greedy("other" + i, chat("Other conversation number " + i + " asks something else."), 40)));
        }
        String together = raw(engine.submit(GenerationRequest.greedy("together", mine, 24)).drain(60_000));
        for (TokenStream o : others) {
            assertInstanceOf(GenerationEvent.Done.class, o.drain(60_000).getLast());
        }
        assertFalse(alone.isEmpty());
        assertEquals(alone, together);
    }

    @Test
    void aSecondTurnReusesTheCachedPrefix() throws Exception {
        int[] first = engine.tokenize(new Prompt.Raw("<|im_start|>user\nPrefix reuse test, turn one.<|im_end|>\n<|im_start|>assistant\n"));
        assertEquals(8, done(run(GenerationRequest.greedy("turn1", new Prompt.Tokens(first), 8))).usage().generatedTokens());
        int eos = 151645; // <|im_end|>: never a generated token here, since it would have ended the turn
        int[] second = Arrays.copyOf(first, first.length + 3);
        second[first.length] = eos;
        second[first.length + 1] = 198;
        second[first.length + 2] = 151644;
        List<GenerationEvent> turn2 = run(GenerationRequest.greedy("turn2", new Prompt.Tokens(second), 4));
        assertEquals(first.length, started(turn2).cachedTokens(), "the whole first prompt is reused, nothing after it");
        assertEquals(first.length, done(turn2).usage().cachedPromptTokens());
    }

    @Test
    void aChatContinuationPrefillsOnlyTheNewTurn() throws Exception {
        List<GenerationEvent> turn1 = run(GenerationRequest.greedy("chat1", chat("Hello there, this is a chat."), 6));
        String reply = raw(turn1);
        int firstPrompt = started(turn1).promptTokens();
        List<GenerationEvent> turn2 = run(GenerationRequest.greedy("chat2", chat("Hello there, this is a chat.", reply, "And a follow-up."), 4));
        int cached = started(turn2).cachedTokens();
        assertTrue(cached >= firstPrompt && cached < started(turn2).promptTokens(),
                "cached " + cached + " of " + started(turn2).promptTokens() + ", first prompt " + firstPrompt);
    }

    @Test
    void stopStringsSplitAcrossTokensAreCaughtAndNeverShown() throws Exception {
        Prompt.Chat p = chat("Stop string test prompt.");
        List<GenerationEvent> free = run(GenerationRequest.greedy("free", p, 24));
        List<GenerationEvent.Piece> pieces = free.stream().filter(e -> e instanceof GenerationEvent.Piece).map(e -> (GenerationEvent.Piece) e).toList();
        // A stop string made of the end of one piece and the start of the next.
        int i = 2;
        while (pieces.get(i).raw().length() < 2 || pieces.get(i + 1).raw().length() < 2) {
            i++;
        }
        String a = pieces.get(i).raw();
        String stop = a.substring(a.length() - 2) + pieces.get(i + 1).raw().substring(0, 2);
        String full = raw(free);
        String expected = full.substring(0, full.indexOf(stop));

        List<GenerationEvent> stopped = run(new GenerationRequest("stopped", p, 24, Sampling.GREEDY, List.of(stop), null));
        assertEquals(FinishReason.STOP, done(stopped).reason());
        assertEquals(expected, raw(stopped));
        assertFalse(raw(stopped).contains(stop));
    }

    @Test
    void multiByteCharactersSplitAcrossTokensComeOutWhole() throws Exception {
        // The grammar forces text whose characters byte-level BPE splits over several tokens.
        String text = "😀中文🎉ß";
        List<GenerationEvent> events = run(new GenerationRequest("utf8", chat("Say it."), 40, Sampling.GREEDY, List.of(),
                "root ::= \"" + text + "\""));
        assertEquals(text, raw(events));
        int tokens = 0;
        for (GenerationEvent e : events) {
            if (e instanceof GenerationEvent.Piece p) {
                assertFalse(p.raw().contains("\uFFFD"), "a broken character in " + p);
                assertFalse(Character.isHighSurrogate(p.raw().charAt(p.raw().length() - 1)), "half a surrogate pair in " + p);
                tokens += p.tokens();
            }
        }
        assertEquals(done(events).usage().generatedTokens(), tokens);
        assertTrue(events.stream().anyMatch(e -> e instanceof GenerationEvent.Piece p && p.tokens() > 1),
                "some character must have spanned tokens (a token that ended mid-character waits for the next): " + events);
    }

    @Test
    void aRawPromptCertainlyTooLongIsRefusedBeforeTokenizing() {
        var vocab = engine.vocab();
        int perToken = vocab.maxBytesPerToken();
        assertTrue(perToken > 1, "Qwen3's byte-level BPE gives a bound: " + perToken);
        // the bound is sound: no text tokenizes to fewer tokens than its bytes over the bound
        for (String text : List.of("Hello, world! " + "x".repeat(300), "<|im_start|><|im_end|><think></think>", "日本語のテキスト 🎉🎉 ", " \t\n\r  ")) {
            int bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            assertTrue((long) engine.tokenize(new Prompt.Raw(text)).length * perToken >= bytes, text);
        }
        long limit = (long) engine.slotCapacity() * perToken;
        String words = "lorem ipsum dolor sit amet ";
        String huge = words.repeat((int) (limit / words.length()) + 1);
        EngineException e = assertThrows(EngineException.class, () -> engine.submit(GenerationRequest.greedy("huge", new Prompt.Raw(huge), 4)));
        assertEquals(ErrorCode.PROMPT_TOO_LONG, e.code());
        // the byte check refused it: the check after tokenizing would have named a token count
        assertTrue(e.getMessage().contains("bytes, more than the " + engine.slotCapacity() + " tokens a slot holds could cover"), e.getMessage());
        // just under the bound the byte check lets it through; the token count then refuses it
        String under = words.repeat((int) (limit / words.length()) - 1);
        EngineException t = assertThrows(EngineException.class, () -> engine.submit(GenerationRequest.greedy("under", new Prompt.Raw(under), 4)));
        assertTrue(t.getMessage().contains(" tokens; a slot holds at most "), t.getMessage());
    }

    @Test
    void badRequestsAreRefusedAndTheEngineKeepsServing() throws Exception {
        int[] tooLong = new int[engine.slotCapacity() + 1];
        Arrays.fill(tooLong, 100);
        EngineException tl = assertThrows(EngineException.class, () -> engine.submit(GenerationRequest.greedy("long", new Prompt.Tokens(tooLong), 4)));
        assertEquals(ErrorCode.PROMPT_TOO_LONG, tl.code());
        EngineException bad = assertThrows(EngineException.class,
                () -> engine.submit(GenerationRequest.greedy("bad", new Prompt.Tokens(new int[] {1, 2, 99_999_999}), 4)));
        assertEquals(ErrorCode.INVALID_REQUEST, bad.code());
        assertTrue(bad.getMessage().contains("99999999"), bad.getMessage());
        assertEquals(ErrorCode.INVALID_REQUEST, assertThrows(EngineException.class,
                () -> engine.submit(GenerationRequest.greedy("neg", new Prompt.Tokens(new int[] {-1}), 4))).code());
        EngineException grammar = assertThrows(EngineException.class,
                () -> engine.submit(new GenerationRequest("grammar", chat("hi"), 4, Sampling.GREEDY, List.of(), "root ::= ( unclosed")));
        assertEquals(ErrorCode.INVALID_REQUEST, grammar.code());
        assertTrue(grammar.getMessage().contains("expecting ')'"), grammar.getMessage());
        EngineException reversed = assertThrows(EngineException.class,
                () -> engine.submit(new GenerationRequest("reversed", chat("hi"), 4, Sampling.GREEDY, List.of(), "root ::= [z-a]")));
        assertEquals(ErrorCode.INVALID_REQUEST, reversed.code());
        assertTrue(reversed.getMessage().contains("reversed"), reversed.getMessage());
        assertEquals(4, done(run(GenerationRequest.greedy("after", chat("Still there?"), 4))).usage().generatedTokens());
    }

    @Test
    void aGrammarConstrainsTheOutput() throws Exception {
        List<GenerationEvent> events = run(new GenerationRequest("g", chat("Answer yes or no."), 10, Sampling.GREEDY, List.of(),
                "root ::= (\"yes\" | \"no\") \"!\""));
        assertEquals(FinishReason.STOP, done(events).reason());
        assertTrue(raw(events).equals("yes!") || raw(events).equals("no!"), raw(events));
    }

    @Test
    void aGrammarWhoseParsesMultiplyFailsThatRequestOnly() throws Exception {
        // Every output starts with 30 a's, and each 'a' doubles the ways to read it: llama.cpp alone would
        // follow 2^n parses and stall the scheduler; Parley's mirror of the grammar stops the request.
        String grammar = "root ::= x \"!\"\nx ::= \"a\" x \"b\" | \"a\" x \"c\" | \"a\"{30}";
        List<GenerationEvent> events = run(new GenerationRequest("ambiguous", chat("Say a."), 40, Sampling.GREEDY, List.of(), grammar));
        GenerationEvent.Failed failed = assertInstanceOf(GenerationEvent.Failed.class, events.getLast());
        assertEquals(ErrorCode.INVALID_REQUEST, failed.code());
        assertTrue(failed.message().contains("too ambiguous"), failed.message());
        assertEquals(4, done(run(GenerationRequest.greedy("after-ambiguous", chat("Still there?"), 4))).usage().generatedTokens());
    }

    @Test
    void samplingWithASeedIsRepeatable() throws Exception {
        Sampling s = new Sampling(1.0f, 40, 0.95f, 0.05f, 1.1f, 0, 0, 64, 1234);
        String a = raw(run(new GenerationRequest("s1", chat("Seeded sampling."), 16, s, List.of(), null)));
        String b = raw(run(new GenerationRequest("s2", chat("Seeded sampling."), 16, s, List.of(), null)));
        assertEquals(a, b);
    }

    @Test
    void slotsAreIdleBetweenRequests() throws Exception {
        run(GenerationRequest.greedy("idle", chat("x"), 2));
        for (SlotInfo s : engine.slots()) {
            assertEquals(SlotInfo.State.IDLE, s.state(), s.toString());
        }
        assertTrue(engine.ready());
    }
}
