package dev.parley.runtime.text;

import java.nio.charset.StandardCharsets;

/**
 * Turns token pieces (raw bytes) into text without ever splitting a character: a piece that ends
 * inside a multi-byte UTF-8 sequence is held back until the bytes that complete it arrive. Invalid
 * bytes come out as U+FFFD rather than being held forever.
 */
public final class Utf8Accumulator {

    private byte[] pending = new byte[64];
    private int length;

    /** Appends bytes and returns the text that is now complete ("" while a character is unfinished). */
    public String append(byte[] bytes, int count) {
        ensure(length + count);
        System.arraycopy(bytes, 0, pending, length, count);
        length += count;
        int complete = completePrefix();
        if (complete == 0) {
            return "";
        }
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, length - complete);
        length -= complete;
        return text;
    }

    /** Whatever is held back, decoded as is (at the end of a stream). */
    public String flush() {
        String text = new String(pending, 0, length, StandardCharsets.UTF_8);
        length = 0;
        return text;
    }

    /** Bytes held back because they do not yet form a whole character. */
    public int pendingBytes() {
        return length;
    }

    /** Length of the longest prefix that does not end inside an unfinished (but so far valid) sequence. */
    private int completePrefix() {
        // Look back at most 3 bytes for the start of the last sequence.
        for (int back = 1; back <= Math.min(3, length); back++) {
            int b = pending[length - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead byte
            }
            int need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return need > back && b < 0xF8 ? length - back : length;
        }
        return length;
    }

    private void ensure(int capacity) {
        if (capacity > pending.length) {
            pending = java.util.Arrays.copyOf(pending, Math.max(capacity, pending.length * 2));
        }
    }
}
