package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The thread store's side of a turn: one exchange per thread at a time on this instance (the store's
 * unique positions cover other instances), the prompt from the stored history, and the atomic append.
 */
final class ThreadTurns {

    private final ThreadStore store;
    /** Threads with an exchange in flight on this instance. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();

    ThreadTurns(ThreadStore store) {
        this.store = store;
    }

    /** A thread turn under way: where its exchange goes and the prompt it continues from. */
    record Begun(Turn.OnThread turn, int position, Prompt.Chat prompt, AtomicBoolean claimed) {}

    /** Claims the thread (409 if another exchange on it runs here) and renders its history; {@link #end} releases it. */
    Begun begin(Turn.OnThread t) {
        Conversation c = t.thread();
        if (!busy.add(c.id())) {
            throw new ApiError(409, "conversation " + c.id() + " is already being continued: wait for that exchange to end", null);
        }
        try {
            // The body upload may have taken a while: a thread deleted meanwhile is gone (404), not a conflict.
            if (store.get(c.owner(), c.id()).isEmpty()) {
                throw new ApiError(404, "conversation " + c.id() + " was deleted", null);
            }
            List<StoredMessage> history = store.messages(c.id());
            List<Map<String, Object>> messages = new ArrayList<>();
            if (c.systemPrompt() != null && !c.systemPrompt().isEmpty()) {
                messages.add(Map.of("role", "system", "content", c.systemPrompt()));
            }
            for (StoredMessage m : history) {
                Map<String, Object> msg = new LinkedHashMap<>();
                msg.put("role", m.role());
                msg.put("content", m.content());
                if (m.thinking() != null && !m.thinking().isEmpty()) {
                    msg.put("reasoning_content", m.thinking());
                }
                messages.add(msg);
            }
            // additional_context is for this exchange only: it reaches the prompt, never the store.
            String context = t.additionalContext();
            messages.add(Map.of("role", "user", "content", context == null || context.isEmpty() ? t.message() : context + "\n\n" + t.message()));
            return new Begun(t, history.size(), new Prompt.Chat(messages, true, t.enableThinking(), null, Map.of()), new AtomicBoolean(true));
        } catch (RuntimeException e) {
            busy.remove(c.id());
            throw e;
        }
    }

    /** Releases the thread; once its exchange is stored the next turn may start, before the answer is written. Idempotent. */
    void end(Begun b) {
        // only once: a later turn may have claimed the thread since
        if (b.claimed().compareAndSet(true, false)) {
            busy.remove(b.turn().thread().id());
        }
    }

    boolean inProgress(String threadId) {
        return busy.contains(threadId);
    }

    /** Stores the user message and the reply in one transaction; returns the reply's id. */
    String store(Begun b, String content, String thinking, GenerationEvent.Done d) {
        String threadId = b.turn().thread().id();
        long now = System.currentTimeMillis();
        GenerationEvent.Usage u = d.usage();
        StoredMessage user = new StoredMessage(newMessageId(), threadId, b.position(), "user", b.turn().message(), null, null, null, null, null,
                null, now);
        StoredMessage reply = new StoredMessage(newMessageId(), threadId, b.position() + 1, "assistant", content, thinking.isEmpty() ? null : thinking,
                u.promptTokens(), u.cachedPromptTokens(), u.generatedTokens(), u.reasoningTokens(), d.reason().wireName(), now);
        store.appendExchange(threadId, b.position(), user, reply);
        return reply.id();
    }

    private static String newMessageId() {
        return "msg_" + UUID.randomUUID().toString().replace("-", "");
    }
}
