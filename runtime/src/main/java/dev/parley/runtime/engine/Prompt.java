package dev.parley.runtime.engine;

import java.util.List;
import java.util.Map;

/**
 * What to generate from: a conversation rendered by the chat template, raw text, token ids, or a
 * conversation the engine already rendered and tokenized ({@link Prepared}).
 */
public sealed interface Prompt {

    /**
     * A conversation. Control-token text inside it (a user writing {@code <|im_end|>}) is tokenized as
     * text unless the engine is configured otherwise; the template's own markup keeps its special tokens.
     * {@code messages} are the template's messages (role, content and whatever the
     * template reads: reasoning_content, tool_calls, ...); {@code enableThinking} null leaves it unset.
     */
    record Chat(List<Map<String, Object>> messages, boolean addGenerationPrompt, Boolean enableThinking,
                List<Map<String, Object>> tools, Map<String, Object> templateArguments) implements Prompt {
        public Chat {
            messages = List.copyOf(messages);
            tools = tools == null ? null : List.copyOf(tools);
            templateArguments = templateArguments == null ? Map.of() : Map.copyOf(templateArguments);
        }

        public static Chat of(List<Map<String, Object>> messages, Boolean enableThinking) {
            return new Chat(messages, true, enableThinking, null, Map.of());
        }
    }

    /** Text used as is; special-token text such as {@code <|im_start|>} is parsed into its id. */
    record Raw(String text) implements Prompt {}

    /** Token ids, checked against the vocabulary before anything reaches llama.cpp. */
    record Tokens(int[] ids) implements Prompt {}

    /**
     * A chat rendered and tokenized once, by {@link Engine#prepare}: submitting it renders nothing
     * again, so truncation and document fitting, which measure candidates by preparing them, hand on
     * the one that fits with its tokens. Only an engine of this package makes one (the constructor is
     * the package's), and an engine takes only the ones it made itself, so its tokens are always its
     * template's and its vocabulary's (never another model's).
     */
    final class Prepared implements Prompt {
        private final Object preparedBy;
        private final Chat chat;
        private final String text;
        private final int[] tokens;

        Prepared(Object preparedBy, Chat chat, String text, int[] tokens) {
            this.preparedBy = preparedBy;
            this.chat = chat;
            this.text = text;
            this.tokens = tokens;
        }

        /** Whether {@code engine} made this prompt. */
        boolean preparedBy(Object engine) {
            return preparedBy == engine;
        }

        /** The conversation it was rendered from. */
        public Chat chat() {
            return chat;
        }

        /** How many tokens the prompt takes. */
        public int tokenCount() {
            return tokens.length;
        }

        String text() {
            return text;
        }

        /** The tokens themselves, shared (read only). */
        int[] tokens() {
            return tokens;
        }
    }
}
