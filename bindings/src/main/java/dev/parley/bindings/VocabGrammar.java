package dev.parley.bindings;

import dev.parley.bindings.grammar.GrammarVocab;
import java.util.Arrays;
import java.util.BitSet;

/** A vocabulary as the grammar checks see it; the scan of every token's piece is made once, on first use. */
final class VocabGrammar implements GrammarVocab {

    private final Vocab vocab;
    private BitSet singleBytes;
    private boolean hasEog;

    VocabGrammar(Vocab vocab) {
        this.vocab = vocab;
    }

    @Override
    public int size() {
        return vocab.size();
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return vocab.isEndOfGeneration(token);
    }

    @Override
    public byte[] piece(int token) {
        try (Vocab.Pieces p = vocab.pieces()) {
            return Arrays.copyOf(p.bytes(), p.piece(token, true));
        }
    }

    @Override
    public int[] tokenizeSpecial(String text) {
        return vocab.tokenize(text, false, true);
    }

    @Override
    public boolean hasEndOfGeneration() {
        scan();
        return hasEog;
    }

    @Override
    public BitSet singleByteTokens() {
        scan();
        return (BitSet) singleBytes.clone();
    }

    private synchronized void scan() {
        if (singleBytes != null) {
            return;
        }
        BitSet bytes = new BitSet(256);
        boolean eog = false;
        try (Vocab.Pieces p = vocab.pieces()) {
            for (int t = 0; t < vocab.size(); t++) {
                if (vocab.isEndOfGeneration(t)) {
                    eog = true;
                } else if (p.piece(t, true) == 1 && p.bytes()[0] != 0) {
                    bytes.set(p.bytes()[0] & 0xFF);
                }
            }
        }
        hasEog = eog;
        singleBytes = bytes;
    }
}
