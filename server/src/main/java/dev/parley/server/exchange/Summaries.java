package dev.parley.server.exchange;

import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.engine.Sampling;
import dev.parley.server.api.ApiError;
import dev.parley.server.threads.StoredMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code summarize} overflow policy: when a turn would not fit, the oldest stored turns (never the
 * leading system message, never the newest user message) are replaced by a summary the model writes, put
 * at the end of the system message. The summary is stored with the thread and rendered the same way on
 * later turns, so their prompt prefix stays identical and the KV cache keeps it. A summary that cannot be
 * written (the generation fails, it comes out empty, or nothing fits even summarised) falls back to the
 * truncate policy, and the answer says so ({@code X-Parley-Summary-Failed}).
 */
final class Summaries {

    /** The instruction the summary is written under (docs/api.md quotes it). */
    static final String PROMPT = "You are summarising the beginning of a conversation so that it can continue without it. "
            + "Write a short summary, in the conversation's language, of what the user asked and told you and what you answered: "
            + "facts, names, numbers, decisions and open questions. Write only the summary, no preamble.";
    /** The last user message of the summarising prompt. */
    static final String REQUEST = "Summarise the conversation so far.";
    /** Put before an earlier summary that the new one must carry on. */
    static final String EARLIER = "\n\nThe summary of the conversation before these messages:\n";
    /** Put before the summary in the system message of every turn that uses it. */
    static final String HEADER = "Summary of the earlier conversation (its messages are left out):\n";
    /** The most tokens a summary may have; at most an eighth of a slot's context. */
    static final int MAX_TOKENS = 256;
    /** How long the summary's generation may take before the turn falls back to truncation. */
    private static final long TIMEOUT_MILLIS = 120_000;

    /**
     * The prompt to run. {@code summary} is the new summary to store (null when none was written), covering
     * the stored messages up to {@code through}; {@code failure} says why none could be written (null when
     * none was needed or it was); {@code dropped} counts messages truncation dropped after all.
     */
    record Fitted(Prompt.Prepared prompt, String summary, StoredMessage through, int summarizedMessages, String failure, int dropped) {}

    /**
     * The prompt ({@code chat}: its last leading system message is {@code systemContent} plus any earlier summary), with
     * {@code stored} naming each of its messages' stored row on a thread (null for the system message and the turn's
     * new ones; null as a whole for a stateless request, whose summary is used once and stored nowhere).
     * {@code generate} runs the summary's generation ({@link #writer}).
     */
    static Fitted fit(EngineClient engine, Prompt.Chat chat, List<StoredMessage> stored, String systemContent, String earlierSummary,
                      int maxTokens, Writer generate) {
        Prompt.Prepared whole;
        try {
            whole = engine.prepare(chat);
        } catch (EngineException e) {
            throw ApiError.engine(e.code(), e.getMessage());
        }
        int budget = engine.slotCapacity() - Math.min(maxTokens, engine.slotCapacity() / 2);
        if (whole.tokenCount() <= budget) {
            return new Fitted(whole, null, null, 0, null, 0);
        }
        int bound = Math.min(MAX_TOKENS, engine.slotCapacity() / 8);
        String failure;
        try {
            failure = null;
            List<Map<String, Object>> messages = chat.messages();
            int first = 0;
            while (first < messages.size() - 1 && "system".equals(messages.get(first).get("role"))) {
                first++;
            }
            int cut = cut(engine, chat, stored, first, systemContent, budget - bound);
            if (cut < 0) {
                failure = "the newest messages do not fit even with the older ones summarised";
            } else {
                String summary = generate.write(summarizing(chat, first, cut, earlierSummary), bound);
                if (summary == null || summary.isBlank()) {
                    failure = "the model wrote an empty summary";
                } else {
                    summary = summary.strip();
                    Truncation.Fitted fitted = Truncation.fit(engine, withSummary(chat, first, cut, systemContent, summary), maxTokens);
                    return new Fitted(fitted.prompt(), summary, stored == null ? null : stored.get(cut - 1), cut - first, null, fitted.droppedMessages());
                }
            }
        } catch (SummaryFailed e) {
            failure = e.getMessage();
        } catch (ApiError | EngineException e) {
            failure = e.getMessage();
        }
        Truncation.Fitted truncated = Truncation.fit(engine, chat, maxTokens);
        return new Fitted(truncated.prompt(), null, null, 0, failure, truncated.droppedMessages());
    }

    /** The system message of a thread with a summary: the same text on every turn that uses it, for the KV cache. */
    static String systemWithSummary(String systemContent, String summary) {
        return (systemContent.isEmpty() ? "" : systemContent + "\n\n") + HEADER + summary;
    }

    /**
     * The smallest cut (messages [first, cut) summarised, cut at a user message, all of them stored) whose
     * prompt fits {@code room} tokens before the summary is added; -1 when none does.
     */
    private static int cut(EngineClient engine, Prompt.Chat chat, List<StoredMessage> stored, int first, String systemContent, int room) {
        List<Map<String, Object>> messages = chat.messages();
        List<Integer> cuts = new ArrayList<>();
        for (int i = first + 1; i < messages.size() && (stored == null || stored.get(i - 1) != null); i++) {
            if ("user".equals(messages.get(i).get("role"))) {
                cuts.add(i);
            }
        }
        int lo = 0;
        int hi = cuts.size() - 1;
        int best = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (engine.prepare(withSummary(chat, first, cuts.get(mid), systemContent, "")).tokenCount() <= room) {
                best = mid;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        return best < 0 ? -1 : cuts.get(best);
    }

    /** The turn's chat with messages [first, cut) replaced by {@code summary} in the system message. */
    private static Prompt.Chat withSummary(Prompt.Chat chat, int first, int cut, String systemContent, String summary) {
        List<Map<String, Object>> kept = new ArrayList<>(chat.messages().subList(0, Math.max(0, first - 1)));
        kept.add(Map.of("role", "system", "content", systemWithSummary(systemContent, summary))); // the last leading system message
        kept.addAll(chat.messages().subList(cut, chat.messages().size()));
        return new Prompt.Chat(kept, chat.addGenerationPrompt(), chat.enableThinking(), chat.tools(), chat.templateArguments());
    }

    /** The prompt that asks for the summary: the instruction (and the earlier summary), the messages to summarise, the request. */
    private static Prompt.Chat summarizing(Prompt.Chat chat, int first, int cut, String earlierSummary) {
        List<Map<String, Object>> messages = new ArrayList<>();
        messages.add(Map.of("role", "system", "content", earlierSummary == null ? PROMPT : PROMPT + EARLIER + earlierSummary));
        for (Map<String, Object> m : chat.messages().subList(first, cut)) {
            Map<String, Object> copy = new LinkedHashMap<>(m);
            copy.remove("reasoning_content"); // what was answered matters, not how it was thought out
            messages.add(copy);
        }
        messages.add(Map.of("role", "user", "content", REQUEST));
        return new Prompt.Chat(messages, true, false, null, Map.of());
    }

    /** Writes a summary of a prompt, at most {@code maxTokens} long; throws {@link SummaryFailed} when it cannot. */
    interface Writer {
        String write(Prompt.Chat prompt, int maxTokens);
    }

    static final class SummaryFailed extends RuntimeException {
        SummaryFailed(String message) {
            super(message);
        }
    }

    /**
     * The writer a turn uses: greedy, under {@code grammar} when one is set (a test pins the text that way),
     * the summarising prompt itself truncated when it is too long; {@code charge} gets the tokens it used.
     */
    static Writer writer(EngineClient engine, String requestId, String owner, String grammar, Consumer<GenerationEvent.Usage> charge) {
        return (prompt, maxTokens) -> {
            Truncation.Fitted fitted = Truncation.fit(engine, prompt, maxTokens);
            Generation g;
            try {
                g = Generation.start(engine, new GenerationRequest(requestId + "-summary", fitted.prompt(), maxTokens, Sampling.GREEDY,
                        List.of(), grammar).withCacheNamespace(owner));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SummaryFailed("interrupted");
            }
            StringBuilder text = new StringBuilder();
            long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
            try {
                while (System.nanoTime() - deadline < 0) {
                    switch (g.stream().poll(Exchange.HEARTBEAT_MILLIS)) {
                        case GenerationEvent.Piece p when p.channel() != GenerationEvent.Channel.REASONING -> text.append(p.text());
                        case GenerationEvent.Failed f -> throw new SummaryFailed("the summary's generation failed: " + f.message());
                        case GenerationEvent.Done d -> {
                            charge.accept(d.usage());
                            if (d.reason() == GenerationEvent.FinishReason.CANCELLED) {
                                throw new SummaryFailed("the summary's generation was cancelled");
                            }
                            return text.toString();
                        }
                        case null, default -> {
                        }
                    }
                }
            } catch (InterruptedException e) {
                g.stream().cancel();
                Thread.currentThread().interrupt();
                throw new SummaryFailed("interrupted");
            }
            g.stream().cancel();
            throw new SummaryFailed("the summary took longer than " + TIMEOUT_MILLIS / 1000 + " s");
        };
    }
}
