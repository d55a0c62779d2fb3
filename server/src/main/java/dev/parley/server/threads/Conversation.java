package dev.parley.server.threads;

/** A saved thread; {@code metadata} is a JSON object's text. */
public record Conversation(String id, String owner, String title, String systemPrompt, String metadata, long createdAt, long updatedAt,
                           int messageCount) {}
