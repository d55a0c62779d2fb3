package dev.parley.server.exchange;

import dev.parley.runtime.engine.EngineClient;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code truncate} overflow policy: drops a conversation's oldest turns (never its leading system
 * messages, never the last message) until the prompt leaves room to generate. Cuts fall just before a
 * user message, so the kept history still alternates the way templates expect. The room kept is
 * {@code max_tokens}, but at most half the context.
 */
final class Truncation {

    /** The prompt to run (rendered and tokenized: submitting it renders nothing again) and how many messages were dropped from it. */
    record Fitted(Prompt.Prepared prompt, int droppedMessages) {}

    private Truncation() {
    }

    /** Fits the chat; a template that fails to render is the request's error (as in {@link EngineClient#submit}). */
    static Fitted fit(EngineClient engine, Prompt.Chat chat, int maxTokens) {
        try {
            return fitted(engine, chat, maxTokens);
        } catch (EngineException e) {
            throw ApiError.engine(e.code(), e.getMessage());
        }
    }

    private static Fitted fitted(EngineClient engine, Prompt.Chat chat, int maxTokens) {
        int budget = engine.slotCapacity() - Math.min(maxTokens, engine.slotCapacity() / 2);
        Prompt.Prepared whole = engine.prepare(chat);
        if (whole.tokenCount() <= budget) {
            return new Fitted(whole, 0);
        }
        List<Map<String, Object>> messages = chat.messages();
        int first = 0;
        while (first < messages.size() - 1 && "system".equals(messages.get(first).get("role"))) {
            first++;
        }
        // candidate cuts: drop messages [first, cut) where messages[cut] is a user message; more cut, fewer tokens
        List<Integer> cuts = new ArrayList<>();
        for (int i = first + 1; i < messages.size(); i++) {
            if ("user".equals(messages.get(i).get("role"))) {
                cuts.add(i);
            }
        }
        int lo = 0;
        int hi = cuts.size() - 1;
        int best = -1;
        Prompt.Prepared fits = null;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Prompt.Prepared candidate = engine.prepare(without(chat, first, cuts.get(mid)));
            if (candidate.tokenCount() <= budget) {
                best = mid;
                fits = candidate; // the search only moves to smaller cuts from here: the last fit is the answer
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        if (best < 0) {
            return new Fitted(whole, 0); // even the last turn alone is too long: the engine refuses it (413)
        }
        return new Fitted(fits, cuts.get(best) - first);
    }

    private static Prompt.Chat without(Prompt.Chat chat, int from, int to) {
        List<Map<String, Object>> kept = new ArrayList<>(chat.messages().subList(0, from));
        kept.addAll(chat.messages().subList(to, chat.messages().size()));
        return new Prompt.Chat(kept, chat.addGenerationPrompt(), chat.enableThinking(), chat.tools(), chat.templateArguments());
    }
}
