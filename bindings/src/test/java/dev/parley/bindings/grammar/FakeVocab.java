package dev.parley.bindings.grammar;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;

/**
 * A small byte-level vocabulary: ids 0..255 are the single bytes (0 spells nothing), 256 is the
 * end-of-generation token {@code <eos>}, 257 is {@code <hello>} spelling "hello", 258 spells the first
 * byte of 'é' alone, 259 spells nothing.
 */
final class FakeVocab implements GrammarVocab {

    static final int EOS = 256;
    static final int HELLO = 257;
    static final int HALF_CHAR = 258;
    static final int EMPTY = 259;

    private final boolean everyByte;

    FakeVocab(boolean everyByte) {
        this.everyByte = everyByte;
    }

    @Override
    public int size() {
        return 260;
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token == EOS;
    }

    @Override
    public byte[] piece(int token) {
        return switch (token) {
            case EOS -> "<eos>".getBytes(StandardCharsets.UTF_8);
            case HELLO -> "hello".getBytes(StandardCharsets.UTF_8);
            case HALF_CHAR -> new byte[] {(byte) 0xC3};
            case EMPTY -> new byte[0];
            default -> token == 0 ? new byte[0] : new byte[] {(byte) token};
        };
    }

    @Override
    public int[] tokenizeSpecial(String text) {
        return switch (text) {
            case "<eos>" -> new int[] {EOS};
            case "<hello>" -> new int[] {HELLO};
            default -> new int[text.length()];
        };
    }

    @Override
    public boolean hasEndOfGeneration() {
        return true;
    }

    @Override
    public BitSet singleByteTokens() {
        BitSet b = new BitSet();
        b.set(1, everyByte ? 256 : 128);
        return b;
    }
}
