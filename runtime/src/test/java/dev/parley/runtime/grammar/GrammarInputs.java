package dev.parley.runtime.grammar;

import java.nio.charset.StandardCharsets;

/** How fuzz inputs (bytes) become grammar text, the same way in the fuzzer and in the native replay. */
final class GrammarInputs {

    private GrammarInputs() {
    }

    /** The bytes as UTF-8; malformed sequences become U+FFFD, as a JSON body's string would hold them. */
    static String text(byte[] input) {
        return new String(input, StandardCharsets.UTF_8);
    }
}
