package dev.parley.bindings.grammar;

import java.util.BitSet;

/** What the grammar checks need to know of a vocabulary, as llama.cpp's grammar code sees it. */
public interface GrammarVocab {

    int size();

    boolean isEndOfGeneration(int token);

    /** The token's bytes as llama.cpp's grammar matches them (its piece with special tokens rendered). */
    byte[] piece(int token);

    /** Tokenizes text with special-token text parsed, no BOS: how llama.cpp reads {@code <name>} in a grammar. */
    int[] tokenizeSpecial(String text);

    /** Whether some token ends generation (a finished grammar allows only those). */
    boolean hasEndOfGeneration();

    /** The bytes 1..255 that some token other than an end-of-generation one spells alone. */
    BitSet singleByteTokens();
}
