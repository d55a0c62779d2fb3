package dev.parley.server.exchange;

import dev.parley.runtime.engine.CacheHint;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.config.CreditPrices;
import dev.parley.server.credits.Charge;
import dev.parley.server.credits.Credits;
import dev.parley.server.files.Document;
import dev.parley.server.threads.ConflictException;
import dev.parley.server.threads.StoreFullException;
import dev.parley.server.threads.ThreadDeletedException;
import dev.parley.server.threads.ThreadStore;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The one path from a turn to an answer, for every dialect: start the generation (so that a refusal
 * is still a status), open the dialect's writer, pass it each event, store a thread turn's exchange
 * atomically when it completes, and cancel the generation when the client leaves (a failed write,
 * streaming or not: see {@link EventWriter#heartbeat}). Credits are checked here, before anything is
 * generated, and every generation that ran is charged to its owner for the tokens it used (see {@link Credits}).
 */
public final class Exchange {

    /** How often a running turn's writer gets a heartbeat. */
    static final long HEARTBEAT_MILLIS = 250;

    private static final System.Logger LOG = System.getLogger("parley.api");
    /** How many of the oldest messages the truncate overflow policy dropped (absent when none). */
    static final HeaderName TRUNCATED_MESSAGES = HeaderNames.create("X-Parley-Truncated-Messages");
    /** The ids of attached files whose text the truncate overflow policy cut (absent when none). */
    static final HeaderName TRUNCATED_FILES = HeaderNames.create("X-Parley-Truncated-Files");
    /** How many of the oldest messages the summarize overflow policy replaced by a new summary (absent when none). */
    static final HeaderName SUMMARIZED_MESSAGES = HeaderNames.create("X-Parley-Summarized-Messages");
    /** Why the summarize overflow policy wrote no summary and truncated instead (absent when it did not have to). */
    static final HeaderName SUMMARY_FAILED = HeaderNames.create("X-Parley-Summary-Failed");

    /** How long a generation cancelled for a client that left may take to report the tokens it used, to charge them. */
    private static final long CANCELLED_USAGE_MILLIS = 5_000;

    private final dev.parley.server.models.ModelRouter models;
    private final ThreadTurns threads;
    private final Credits credits;
    /** Sees each turn's prompt as it goes to the engine: a test hook, for what the model was given. */
    private volatile BiConsumer<Turn, Prompt> promptWatcher = (turn, prompt) -> { };
    /** The grammar summaries are written under (null: none); a test hook, to pin a summary's text. */
    private volatile String summaryGrammar;

    /** Without budgets, at the default prices, with no per-owner meters (tests). */
    public Exchange(EngineClient engine, ThreadStore store) {
        this(engine, store, new Credits(java.util.Map.of(), CreditPrices.DEFAULT, store.usage(), Credits.Meter.NONE));
    }

    public Exchange(EngineClient engine, ThreadStore store, Credits credits) {
        this(dev.parley.server.models.ModelRouter.single(engine), store, credits);
    }

    /** Each turn runs on the engine of the model it names. */
    public Exchange(dev.parley.server.models.ModelRouter models, ThreadStore store, Credits credits) {
        this.models = models;
        this.threads = new ThreadTurns(store);
        this.credits = credits;
    }

    /** The credit accounting every turn goes through. */
    public Credits credits() {
        return credits;
    }

    /** Whether a turn on this thread runs on this instance now. */
    public boolean threadInProgress(String threadId) {
        return threads.inProgress(threadId);
    }

    /** Tests: {@code watcher} sees every turn's final prompt (documents placed, truncation done) before it is submitted. */
    public void watchPrompts(BiConsumer<Turn, Prompt> watcher) {
        this.promptWatcher = watcher;
    }

    /** Tests: summaries (the summarize overflow policy) are generated under {@code grammar} (null: free text). */
    public void summarizeUnder(String grammar) {
        this.summaryGrammar = grammar;
    }

    /** Runs a call; an {@link ApiError} thrown here comes before any byte of the answer. */
    void run(Call call, ServerResponse res, String endpoint) {
        Turn turn = call.turn();
        credits.admit(turn.owner());
        // The model is held (never unloaded) until the answer's last event is written.
        dev.parley.server.models.ModelRouter.Held held;
        try {
            held = models.acquire(turn.model(), turn.keepAlive());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            run(call, held.engine(), res, endpoint);
        } finally {
            held.close();
        }
    }

    private void run(Call call, EngineClient engine, ServerResponse res, String endpoint) {
        Turn turn = call.turn();
        if (turn.conversationKey() != null) {
            res.header(Incoming.SESSION_ID, turn.conversationKey());
        }
        switch (turn.source()) {
            case Turn.Given given -> generate(engine, call, given.prompt(), given.documents(), null, res, endpoint);
            case Turn.OnThread onThread -> {
                ThreadTurns.Begun begun = threads.begin(onThread, turn.overflow());
                try {
                    generate(engine, call, begun.prompt(), begun.documents(), begun, res, endpoint);
                } finally {
                    threads.end(begun);
                }
            }
        }
    }

    /** The request's cache hints; after truncation dropped messages, only whole-prompt ones still name the right prefix. */
    private static List<CacheHint> cacheHints(GenerationOptions o, int droppedMessages) {
        return droppedMessages == 0 ? o.cacheHints() : o.cacheHints().stream().filter(h -> h.messages() == CacheHint.WHOLE_PROMPT).toList();
    }

    private void generate(EngineClient engine, Call call, Prompt prompt, List<Document> documents, ThreadTurns.Begun thread, ServerResponse res, String endpoint) {
        Turn turn = call.turn();
        GenerationOptions o = turn.options();
        int dropped = 0;
        int summarized = 0;
        String summaryFailed = null;
        List<String> cutFiles = List.of();
        ContextOverflow overflow = thread != null ? thread.overflow() : ContextOverflow.orDefault(turn.overflow(), turn.source());
        if (overflow != ContextOverflow.ERROR && prompt instanceof Prompt.Chat chat) {
            Prompt.Prepared fittedPrompt;
            if (overflow == ContextOverflow.SUMMARIZE) {
                Summaries.Fitted s = summarize(engine, turn, chat, thread);
                fittedPrompt = s.prompt();
                dropped = s.dropped();
                summarized = s.summarizedMessages();
                summaryFailed = s.failure();
            } else {
                Truncation.Fitted fitted = Truncation.fit(engine, chat, o.maxTokens());
                fittedPrompt = fitted.prompt();
                dropped = fitted.droppedMessages();
            }
            prompt = fittedPrompt;
            if (!documents.isEmpty()) {
                DocumentFit.Fitted cut = DocumentFit.fit(engine, fittedPrompt, documents, o.maxTokens());
                prompt = cut.prompt();
                cutFiles = cut.cutFiles();
            }
        }
        promptWatcher.accept(turn, prompt instanceof Prompt.Prepared p ? p.chat() : prompt); // the chat, as the turn built it
        Generation g;
        try {
            // The options go on as the dialect parsed them. Cache hints: the conversation keeps its slot and saved KV
            // close; entries are salted by the caller's owner, so one tenant never gets a hit on another's prompt.
            g = Generation.start(engine, new GenerationRequest(turn.requestId(), prompt, o.withCacheHints(cacheHints(o, dropped + summarized)),
                    turn.conversationKey(), turn.owner()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ApiError e) {
            if (e.status() == 413 && !documents.isEmpty()) {
                throw DocumentFit.tooLong(e, documents, engine.slotCapacity());
            }
            throw e;
        }
        // A thread turn keeps the reply to store it; a stateless one keeps nothing.
        StringBuilder content = thread == null ? null : new StringBuilder();
        StringBuilder thinking = thread == null ? null : new StringBuilder();
        boolean charged = false;
        try {
            if (dropped > 0) {
                res.header(TRUNCATED_MESSAGES, String.valueOf(dropped));
            }
            if (!cutFiles.isEmpty()) {
                res.header(TRUNCATED_FILES, String.join(",", cutFiles));
            }
            if (summarized > 0) {
                res.header(SUMMARIZED_MESSAGES, String.valueOf(summarized));
            }
            if (summaryFailed != null) {
                // a header value is one line of visible ASCII: the reason as words, nothing the model wrote
                res.header(SUMMARY_FAILED, summaryFailed.replaceAll("[^\\x20-\\x7e]", " "));
            }
            EventWriter writer = call.format().open(g.started(), res);
            if (dropped > 0) {
                writer.truncated(dropped);
            }
            if (call.toolCalls() != null) {
                writer = new ToolCallSplitter(writer, call.toolCalls().parser());
            }
            long beatAt = System.nanoTime() + HEARTBEAT_MILLIS * 1_000_000L;
            while (true) {
                GenerationEvent e = g.stream().poll(HEARTBEAT_MILLIS);
                long now = System.nanoTime();
                if (now - beatAt >= 0) {
                    writer.heartbeat();
                    beatAt = now + HEARTBEAT_MILLIS * 1_000_000L;
                }
                switch (e) {
                    case null -> {
                    }
                    case GenerationEvent.Piece p -> {
                        if (content != null) {
                            (p.channel() == GenerationEvent.Channel.REASONING ? thinking : content).append(p.text());
                        }
                        writer.piece(p);
                    }
                    case GenerationEvent.Failed f -> {
                        LOG.log(System.Logger.Level.WARNING, "request " + turn.requestId() + " failed after it started: " + f.message());
                        writer.failed(ApiError.engine(f.code(), f.message()));
                        return;
                    }
                    case GenerationEvent.Done d when d.reason() == GenerationEvent.FinishReason.CANCELLED -> {
                        // Only the engine's shutdown ends a generation this client still reads: say so in the
                        // dialect's error, never as a normal finish (no NDJSON Done, no OpenAI "stop").
                        LOG.log(System.Logger.Level.INFO, "request " + turn.requestId() + " cancelled by the server's shutdown");
                        charged = true;
                        credits.charge(turn.owner(), d.usage());
                        writer.failed(new ApiError(503, "the server is shutting down: the generation was cancelled", null, "shutting_down"));
                        return;
                    }
                    case GenerationEvent.Done d -> {
                        // Charged before storing: the tokens were spent even if the store refuses the exchange.
                        charged = true;
                        Charge charge = credits.charge(turn.owner(), d.usage());
                        String messageId = null;
                        if (thread != null && thread.turn().save()) {
                            try {
                                messageId = threads.store(thread, content.toString(), thinking.toString(), d);
                            } catch (ConflictException conflict) {
                                writer.failed(new ApiError(409, conflict.getMessage(), null));
                                return;
                            } catch (ThreadDeletedException gone) {
                                writer.failed(new ApiError(404, gone.getMessage(), null));
                                return;
                            } catch (StoreFullException full) {
                                // The disk filled while this reply was generated (the check before it passed).
                                LOG.log(System.Logger.Level.WARNING, "request " + turn.requestId() + ": reply not stored: " + full.getMessage());
                                writer.failed(ApiError.insufficientStorage(full.advice()));
                                return;
                            }
                        }
                        if (thread != null) {
                            threads.end(thread); // stored: a client that answers `done` at once must not meet a 409
                        }
                        RequestLog.finished(LOG, turn.requestId(), endpoint, d);
                        writer.charged(charge);
                        writer.done(d, messageId);
                        return;
                    }
                    case GenerationEvent.Started s -> throw new IllegalStateException("started twice");
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (!charged && !(e instanceof InterruptedException)) {
                chargeCancelled(turn, g);
            }
            g.abandon(e); // the exchange did not complete: nothing is stored
            LOG.log(System.Logger.Level.INFO, "request " + turn.requestId() + ": client went away; generation cancelled");
        }
    }

    /**
     * The summarize policy on a turn's chat: on a thread, from its stored summary on (the turn's {@code chat}
     * starts with it), a new summary stored before the turn runs (when the turn saves its history); a
     * stateless request's summary serves that request only.
     */
    private Summaries.Fitted summarize(EngineClient engine, Turn turn, Prompt.Chat chat, ThreadTurns.Begun thread) {
        GenerationOptions o = turn.options();
        Summaries.Writer writer = Summaries.writer(engine, turn.requestId(), turn.owner(), summaryGrammar, u -> credits.charge(turn.owner(), u));
        Summaries.Fitted s;
        if (thread != null) {
            s = Summaries.fit(engine, chat, thread.stored(), thread.systemContent(), thread.summary(), o.maxTokens(), writer);
            if (s.summary() != null && thread.turn().save()) {
                threads.storeSummary(thread, s.summary(), s.through());
            }
        } else {
            // the summary goes at the end of the last leading system message, which must be plain text to take it
            List<java.util.Map<String, Object>> m = chat.messages();
            int leading = 0;
            while (leading < m.size() - 1 && "system".equals(m.get(leading).get("role"))) {
                leading++;
            }
            Object system = leading == 0 ? "" : m.get(leading - 1).get("content");
            if (system instanceof String text) {
                s = Summaries.fit(engine, chat, null, text, null, o.maxTokens(), writer);
            } else {
                Truncation.Fitted t = Truncation.fit(engine, chat, o.maxTokens());
                s = new Summaries.Fitted(t.prompt(), null, null, 0, t.droppedMessages() == 0 ? null
                        : "the system message is not plain text, so it cannot hold a summary", t.droppedMessages());
            }
        }
        if (s.failure() != null) {
            LOG.log(System.Logger.Level.INFO, "request " + turn.requestId() + ": no summary (" + s.failure() + "); truncated instead");
        }
        return s;
    }

    /**
     * A client that leaves still pays for the tokens generated until then: cancel, wait (about one scheduler
     * step) for the generation's last event, and charge its usage. A failed generation used nothing chargeable.
     */
    private void chargeCancelled(Turn turn, Generation g) {
        g.stream().cancel();
        long deadline = System.nanoTime() + CANCELLED_USAGE_MILLIS * 1_000_000L;
        try {
            while (System.nanoTime() - deadline < 0) {
                switch (g.stream().poll(HEARTBEAT_MILLIS)) {
                    case GenerationEvent.Done d -> {
                        credits.charge(turn.owner(), d.usage());
                        return;
                    }
                    case GenerationEvent.Failed f -> {
                        return;
                    }
                    case null, default -> {
                    }
                }
            }
            LOG.log(System.Logger.Level.WARNING, "request " + turn.requestId() + ": no usage reported after cancelling; not charged");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
