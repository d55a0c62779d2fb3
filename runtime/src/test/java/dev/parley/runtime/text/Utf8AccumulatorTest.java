package dev.parley.runtime.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8AccumulatorTest {

    @Test
    void holdsBackSplitCharactersUntilComplete() {
        byte[] all = "a😀b中".getBytes(StandardCharsets.UTF_8); // 1 + 4 + 1 + 3 bytes
        Utf8Accumulator acc = new Utf8Accumulator();
        StringBuilder out = new StringBuilder();
        for (byte b : all) {
            String piece = acc.append(new byte[] {b}, 1);
            // never a replacement character or half a surrogate pair
            assertEquals(-1, piece.indexOf('\uFFFD'));
            out.append(piece);
        }
        assertEquals("a😀b中", out.toString());
        assertEquals(0, acc.pendingBytes());
    }

    @Test
    void emitsWholeCharactersAsSoonAsTheyEnd() {
        Utf8Accumulator acc = new Utf8Accumulator();
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
        assertEquals("x", acc.append(new byte[] {'x', emoji[0], emoji[1]}, 3));
        assertEquals(2, acc.pendingBytes());
        assertEquals("😀!", acc.append(new byte[] {emoji[2], emoji[3], '!'}, 3));
    }

    @Test
    void invalidBytesDoNotStallTheStream() {
        Utf8Accumulator acc = new Utf8Accumulator();
        assertEquals("\uFFFDok", acc.append(new byte[] {(byte) 0x80, 'o', 'k'}, 3));
        assertEquals("", acc.append(new byte[] {(byte) 0xE4}, 1));
        assertEquals("\uFFFD", acc.flush());
    }
}
