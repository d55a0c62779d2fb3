package dev.parley.server.threads;

/** A message of a thread; token counts and finish reason are set on assistant messages. */
public record StoredMessage(String id, String conversationId, int position, String role, String content, String thinking,
                            Integer promptTokens, Integer cachedPromptTokens, Integer completionTokens, Integer reasoningTokens,
                            String finishReason, long createdAt) {}
