package dev.parley.server.threads;

/**
 * A message of a thread; token counts and finish reason are set on assistant messages, {@code responseId} on
 * the messages an OpenAI stored response added (null otherwise).
 */
public record StoredMessage(String id, String conversationId, int position, String role, String content, String thinking,
                            Integer promptTokens, Integer cachedPromptTokens, Integer completionTokens, Integer reasoningTokens,
                            String finishReason, long createdAt, String responseId) {

    public StoredMessage(String id, String conversationId, int position, String role, String content, String thinking,
                         Integer promptTokens, Integer cachedPromptTokens, Integer completionTokens, Integer reasoningTokens,
                         String finishReason, long createdAt) {
        this(id, conversationId, position, role, content, thinking, promptTokens, cachedPromptTokens, completionTokens, reasoningTokens,
                finishReason, createdAt, null);
    }
}
