package dev.parley.server.threads;

/**
 * A saved thread; {@code metadata} is a JSON object's text. A fork names the thread it was made from
 * ({@code parentId}) and that thread's message it was made at ({@code forkedAtMessageId}); both are null
 * for a thread that is no fork. The parent may have been deleted since.
 */
public record Conversation(String id, String owner, String title, String systemPrompt, String metadata, long createdAt, long updatedAt,
                           int messageCount, String parentId, String forkedAtMessageId) {

    /** A thread that is no fork. */
    public Conversation(String id, String owner, String title, String systemPrompt, String metadata, long createdAt, long updatedAt,
                        int messageCount) {
        this(id, owner, title, systemPrompt, metadata, createdAt, updatedAt, messageCount, null, null);
    }
}
