package dev.parley.server.threads;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where a newest-first page ends: the last item's creation time and id (ids break ties), handed to
 * clients as an opaque URL-safe token. {@link #START} is before every item.
 */
public record Cursor(long createdAt, String id) {

    public static final Cursor START = new Cursor(Long.MAX_VALUE, "\uffff");

    public String token() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((createdAt + ":" + id).getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor a token stands for; null gives {@link #START}. */
    public static Cursor parse(String token) {
        if (token == null) {
            return START;
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":", 2);
            return new Cursor(Long.parseLong(parts[0]), parts[1]);
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("cursor '" + token + "' is not one this server gave out");
        }
    }
}
