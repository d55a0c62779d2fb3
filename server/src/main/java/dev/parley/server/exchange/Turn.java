package dev.parley.server.exchange;

import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.runtime.engine.Prompt;
import dev.parley.server.files.Document;
import dev.parley.server.threads.Conversation;
import java.util.List;

/**
 * One conversation turn, whatever dialect it came in: what to continue, how to generate, and whose it is.
 *
 * @param requestId the id in logs, the slot table and the dialect's answer
 * @param options how to generate, as the dialect parsed them: handed to the engine as they are
 * @param overflow what the exchange does when the conversation is longer than a slot's context; null:
 *        the thread's setting, else the route's default ({@link ContextOverflow#orDefault}). The exchange's
 *        concern alone, so it rides beside the options and never reaches the engine
 * @param conversationKey the key a router hashes for affinity (the {@code x-session-id} header, else the
 *        thread's id, else the dialect's conversation id), or null for a stateless call without one;
 *        sent back as {@code x-session-id}
 * @param owner the caller's owner (API key), for threads and per-owner caches
 * @param model the model the request named (its {@code model} field), or null for the server's default one
 * @param keepAlive how long the model stays loaded after this turn (Ollama's {@code keep_alive}), or null for the server's
 */
public record Turn(String requestId, Source source, GenerationOptions options, ContextOverflow overflow, String conversationKey,
                   String owner, String model, java.time.Duration keepAlive) {

    /** A turn on the default model, under the default overflow policy. */
    public Turn(String requestId, Source source, GenerationOptions options, String conversationKey, String owner) {
        this(requestId, source, options, null, conversationKey, owner, null, null);
    }

    /** The same turn on another model (null: the server's default one): a thread's own model. */
    public Turn onModel(String other) {
        return new Turn(requestId, source, options, overflow, conversationKey, owner, other, keepAlive);
    }

    /** The same turn, keeping its model loaded for {@code keepAlive} afterwards. */
    public Turn withKeepAlive(java.time.Duration keepAlive) {
        return new Turn(requestId, source, options, overflow, conversationKey, owner, model, keepAlive);
    }

    /** What the turn continues. */
    public sealed interface Source {}

    /**
     * A stateless turn: the whole conversation (or a raw prompt) comes with the request; {@code documents}
     * are the uploaded files its messages reference, each once, already in the prompt (named when it is too long).
     * {@code cachePrefixes} are the prefixes the client marked for caching (Anthropic's {@code cache_control}),
     * each as the number of leading messages of the chat prompt it covers (0: the tools only), ascending;
     * the dialect turns them into {@link GenerationOptions#cacheHints()}, which pin them in the KV tiers.
     */
    public record Given(Prompt prompt, List<Document> documents, List<Integer> cachePrefixes) implements Source {
        public Given {
            cachePrefixes = List.copyOf(cachePrefixes);
        }

        public Given(Prompt prompt, List<Document> documents) {
            this(prompt, documents, List.of());
        }

        public Given(Prompt prompt) {
            this(prompt, List.of());
        }
    }

    /**
     * A turn on a saved thread: the exchange reads the thread's history, appends {@code message} (after
     * {@code additionalContext}, which reaches this prompt only), and when {@code save} stores the user
     * message (with the ids of the files it references, {@code files}) and the reply atomically once the
     * generation completes. A null {@code message} answers the thread's last message instead (it must be a user
     * message no reply follows: a fork made at one) and stores the reply alone.
     */
    public record OnThread(Conversation thread, String message, String additionalContext, Boolean enableThinking, boolean save,
                           List<String> files, List<InputMessage> before, String exchangeId) implements Source {
        public OnThread(Conversation thread, String message, String additionalContext, Boolean enableThinking, boolean save) {
            this(thread, message, additionalContext, enableThinking, save, List.of());
        }

        public OnThread(Conversation thread, String message, String additionalContext, Boolean enableThinking, boolean save,
                        List<String> files) {
            this(thread, message, additionalContext, enableThinking, save, files, List.of(), null);
        }
    }

    /**
     * A message the client sends with a turn, before its user message ({@code OnThread.before}: OpenAI's
     * input items), stored with the exchange. {@code OnThread.exchangeId}, when set, is stored on every
     * message of the exchange (OpenAI's response id).
     */
    public record InputMessage(String role, String content) {}
}
