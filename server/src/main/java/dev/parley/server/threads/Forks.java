package dev.parley.server.threads;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Making a fork inside one transaction: the new thread, its copy of the parent's files, and copies of the
 * parent's messages up to the fork point with new ids (a message id names one message of one thread).
 * The copies keep their text, thinking and token counts, so the fork's prompt renders exactly as the
 * parent's did and the KV cache of the parent's prefix serves the fork's first turn. They are not the
 * parent's stored responses: their response ids stay behind.
 */
final class Forks {

    private Forks() {
    }

    static Optional<Conversation> fork(Connection con, String owner, String id, String atMessageId, String content) throws SQLException {
        Conversation parent;
        try (PreparedStatement s = con.prepareStatement(ThreadStore.SELECT + " WHERE c.id = ? AND c.owner = ? GROUP BY " + ThreadStore.GROUP)) {
            s.setString(1, id);
            s.setString(2, owner);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                parent = ThreadStore.conversation(r);
            }
        }
        List<StoredMessage> history = history(con, id, atMessageId);
        long now = System.currentTimeMillis();
        Conversation fork = new Conversation(ThreadStore.newId("conv_"), owner, parent.title(), parent.systemPrompt(), parent.metadata(), now, now,
                history.size(), parent.id(), atMessageId);
        ThreadStore.insertRow(con, fork);
        try (PreparedStatement f = con.prepareStatement("INSERT INTO conversation_files (conversation_id, position, file_id) "
                + "SELECT ?, position, file_id FROM conversation_files WHERE conversation_id = ?")) {
            f.setString(1, fork.id());
            f.setString(2, parent.id());
            f.executeUpdate();
        }
        try (PreparedStatement m = con.prepareStatement("INSERT INTO messages (id, conversation_id, position, role, content, thinking, "
                + "prompt_tokens, cached_prompt_tokens, completion_tokens, reasoning_tokens, finish_reason, created_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
             PreparedStatement f = con.prepareStatement("INSERT INTO message_files (message_id, position, file_id) "
                     + "SELECT ?, position, file_id FROM message_files WHERE message_id = ?")) {
            for (StoredMessage old : history) {
                // The replaced message is new text: nothing generated it, so it has no thinking and no token counts.
                boolean replaced = content != null && old.id().equals(atMessageId);
                String copy = ThreadStore.newId("msg_");
                m.setString(1, copy);
                m.setString(2, fork.id());
                m.setInt(3, old.position());
                m.setString(4, old.role());
                m.setString(5, replaced ? content : old.content());
                ThreadStore.setNullable(m, 6, replaced ? null : old.thinking());
                ThreadStore.setNullable(m, 7, replaced ? null : old.promptTokens());
                ThreadStore.setNullable(m, 8, replaced ? null : old.cachedPromptTokens());
                ThreadStore.setNullable(m, 9, replaced ? null : old.completionTokens());
                ThreadStore.setNullable(m, 10, replaced ? null : old.reasoningTokens());
                ThreadStore.setNullable(m, 11, replaced ? null : old.finishReason());
                m.setLong(12, replaced ? now : old.createdAt());
                m.executeUpdate();
                f.setString(1, copy);
                f.setString(2, old.id());
                f.executeUpdate();
            }
        }
        return Optional.of(fork);
    }

    /** The thread's messages up to and including {@code atMessageId}, in order. */
    private static List<StoredMessage> history(Connection con, String id, String atMessageId) throws SQLException {
        int at;
        try (PreparedStatement s = con.prepareStatement("SELECT position FROM messages WHERE id = ? AND conversation_id = ?")) {
            s.setString(1, atMessageId);
            s.setString(2, id);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new NoSuchMessageException("conversation " + id + " has no message " + atMessageId);
                }
                at = r.getInt(1);
            }
        }
        try (PreparedStatement s = con.prepareStatement("SELECT " + ThreadStore.MESSAGE_COLUMNS + " FROM messages m "
                + "WHERE m.conversation_id = ? AND m.position <= ? ORDER BY m.position")) {
            s.setString(1, id);
            s.setInt(2, at);
            List<StoredMessage> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(ThreadStore.message(r));
                }
            }
            return out;
        }
    }
}
