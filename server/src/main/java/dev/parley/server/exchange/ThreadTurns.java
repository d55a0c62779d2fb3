package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.api.ApiError;
import dev.parley.server.files.Attachments;
import dev.parley.server.files.Document;
import dev.parley.server.files.Documents;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.FileStore;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadContext;
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

    /**
     * A thread turn under way: where its exchange goes, the prompt it continues from and the documents in that
     * prompt; the overflow policy it runs under, and for {@code summarize} each prompt message's stored row (null
     * for the system message and the turn's new ones), the system message without a summary and the summary used.
     */
    record Begun(Turn.OnThread turn, int position, Prompt.Chat prompt, List<Document> documents, AtomicBoolean claimed,
                 ContextOverflow overflow, List<StoredMessage> stored, String systemContent, String summary) {}

    /**
     * Claims the thread (409 if another exchange on it runs here) and renders its history; {@link #end} releases it.
     * Under the {@code summarize} policy ({@code requested}, else the thread's setting) a stored summary replaces
     * the messages it covers.
     */
    Begun begin(Turn.OnThread t, ContextOverflow requested) {
        Conversation c = t.thread();
        if (!busy.add(c.id())) {
            throw new ApiError(409, "conversation " + c.id() + " is already being continued: wait for that exchange to end", null);
        }
        try {
            // The body upload may have taken a while: a thread deleted meanwhile is gone (404), not a conflict.
            if (store.get(c.owner(), c.id()).isEmpty()) {
                throw new ApiError(404, "conversation " + c.id() + " was deleted", null);
            }
            if (t.save()) {
                // A reply that cannot be stored is refused (507) before it is generated, not lost after.
                store.checkWritable();
            }
            List<StoredMessage> history = store.messages(c.id());
            ThreadContext settings = store.context(c.id());
            ContextOverflow overflow = ContextOverflow.orDefault(requested, t, ContextOverflow.fromWire(settings.overflow()));
            // A summary covers the messages up to its last one; if that one was deleted since, it no longer says what it covers.
            String summary = overflow == ContextOverflow.SUMMARIZE && settings.hasSummary() && history.stream()
                    .anyMatch(m -> m.position() == settings.summaryThrough() && m.id().equals(settings.summaryMessageId()))
                    ? settings.summary() : null;
            List<StoredMessage> stored = new ArrayList<>();
            // Documents go where they were referenced, re-read by reference each turn: the same files give
            // the same prompt prefix, so the KV cache of earlier turns covers them.
            List<String> threadFiles = store.threadFiles(c.id());
            Map<String, List<String>> messageFiles = history.isEmpty() ? Map.of() : store.messageFiles(c.id());
            Map<String, Document> documents = documents(c, threadFiles, messageFiles, t.files());
            List<Map<String, Object>> messages = new ArrayList<>();
            String system = c.systemPrompt() == null ? "" : c.systemPrompt();
            String systemContent = Documents.inline(pick(documents, threadFiles), system);
            if (summary != null) {
                messages.add(Map.of("role", "system", "content", Summaries.systemWithSummary(systemContent, summary)));
                stored.add(null);
            } else if (!systemContent.isEmpty()) {
                messages.add(Map.of("role", "system", "content", systemContent));
                stored.add(null);
            }
            // No new message: the turn answers the thread's last one, a user message no reply follows (a fork made at it).
            boolean answering = t.message() == null;
            if (answering && (history.isEmpty() || !history.getLast().role().equals("user"))) {
                throw ApiError.badRequest("prompt", "field 'prompt' is required: the new user message (only a thread that ends with "
                        + "a user message, such as a fork made at one, can be answered without one)");
            }
            String context = t.additionalContext();
            for (StoredMessage m : history) {
                if (summary != null && m.position() <= settings.summaryThrough()) {
                    continue; // in the summary
                }
                Map<String, Object> msg = new LinkedHashMap<>();
                msg.put("role", promptRole(m.role()));
                // additional_context is for this exchange only: it reaches the prompt, never the store.
                String content = answering && m == history.getLast() && context != null && !context.isEmpty()
                        ? context + "\n\n" + m.content() : m.content();
                msg.put("content", Documents.inline(pick(documents, messageFiles.getOrDefault(m.id(), List.of())), content));
                if (m.thinking() != null && !m.thinking().isEmpty()) {
                    msg.put("reasoning_content", m.thinking());
                }
                messages.add(msg);
                stored.add(m);
            }
            if (!answering) {
                String text = context == null || context.isEmpty() ? t.message() : context + "\n\n" + t.message();
                for (Turn.InputMessage m : t.before()) {
                    messages.add(Map.of("role", promptRole(m.role()), "content", m.content()));
                    stored.add(null);
                }
                messages.add(Map.of("role", "user", "content", Documents.inline(pick(documents, t.files()), text)));
                stored.add(null);
            }
            // Positions, not counts: a deleted message (OpenAI's item delete) leaves a gap.
            int position = history.isEmpty() ? 0 : history.getLast().position() + 1;
            return new Begun(t, position, new Prompt.Chat(messages, true, t.enableThinking(), null, Map.of()),
                    List.copyOf(documents.values()), new AtomicBoolean(true), overflow, java.util.Collections.unmodifiableList(stored),
                    systemContent, summary);
        } catch (RuntimeException e) {
            busy.remove(c.id());
            throw e;
        }
    }

    /** Every file the turn's prompt holds, read once, by id. */
    private Map<String, Document> documents(Conversation c, List<String> threadFiles, Map<String, List<String>> messageFiles, List<String> newFiles) {
        Set<String> ids = new java.util.LinkedHashSet<>(threadFiles);
        messageFiles.values().forEach(ids::addAll);
        ids.addAll(newFiles);
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<String, FileStore.FileText> texts = store.files().texts(c.owner(), List.copyOf(ids));
        Map<String, Document> out = new LinkedHashMap<>();
        for (String id : ids) {
            FileStore.FileText f = texts.get(id);
            if (f == null) {
                throw Attachments.notFound(id, newFiles.contains(id) ? "files" : null);
            }
            out.put(id, Document.of(f));
        }
        return out;
    }

    private static List<Document> pick(Map<String, Document> documents, List<String> ids) {
        List<Document> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            out.add(documents.get(id));
        }
        return out;
    }

    /** Releases the thread; once its exchange is stored the next turn may start, before the answer is written. Idempotent. */
    void end(Begun b) {
        // only once: a later turn may have claimed the thread since
        if (b.claimed().compareAndSet(true, false)) {
            busy.remove(b.turn().thread().id());
        }
    }

    /** Stores the summary a turn wrote (it covers the stored messages up to {@code through}). */
    void storeSummary(Begun b, String summary, StoredMessage through) {
        store.saveSummary(b.turn().thread().id(), summary, through.position(), through.id());
    }

    boolean inProgress(String threadId) {
        return busy.contains(threadId);
    }

    /** Stores the user message and the reply in one transaction; returns the reply's id. */
    String store(Begun b, String content, String thinking, GenerationEvent.Done d) {
        String threadId = b.turn().thread().id();
        long now = System.currentTimeMillis();
        GenerationEvent.Usage u = d.usage();
        String exchange = b.turn().exchangeId();
        List<StoredMessage> messages = new ArrayList<>();
        int at = b.position();
        for (Turn.InputMessage m : b.turn().before()) {
            messages.add(new StoredMessage(newMessageId(), threadId, at++, m.role(), m.content(), null, null, null, null, null, null, now, exchange));
        }
        // an answer to the thread's last message (no new one) stores the reply alone
        StoredMessage user = b.turn().message() == null ? null
                : new StoredMessage(newMessageId(), threadId, at++, "user", b.turn().message(), null, null, null, null, null, null, now, exchange);
        StoredMessage reply = new StoredMessage(newMessageId(), threadId, at, "assistant", content, thinking.isEmpty() ? null : thinking,
                u.promptTokens(), u.cachedPromptTokens(), u.generatedTokens(), u.reasoningTokens(), d.reason().wireName(), now, exchange);
        if (user != null) {
            messages.add(user);
        }
        messages.add(reply);
        store.appendMessages(threadId, b.position(), messages, user, b.turn().files());
        return reply.id();
    }

    /** OpenAI's {@code developer} role is a system message to chat templates. */
    private static String promptRole(String role) {
        return role.equals("developer") ? "system" : role;
    }

    static String newMessageId() {
        return "msg_" + UUID.randomUUID().toString().replace("-", "");
    }
}
