package dev.parley.bindings;

import dev.parley.bindings.grammar.GrammarVocab;
import dev.parley.bindings.llama.Llama;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/** A model's vocabulary: tokenizing, special tokens, token pieces. Owned by its {@link LlamaModel}. */
public final class Vocab {

    /** llama.cpp's "no token" (LLAMA_TOKEN_NULL, a macro castxml does not see). */
    public static final int NO_TOKEN = -1;

    private final MemorySegment handle;
    private final int size;
    private final VocabGrammar grammar = new VocabGrammar(this);
    /** {@link #maxBytesPerToken()} once measured; -1 before. */
    private volatile int maxBytesPerToken = -1;

    Vocab(MemorySegment handle) {
        this.handle = handle;
        this.size = Llama.llama_vocab_n_tokens(handle);
    }

    /** This vocabulary as grammars are checked against it ({@link dev.parley.bindings.grammar.Grammar#compile}). */
    public GrammarVocab grammarView() {
        return grammar;
    }

    MemorySegment handle() {
        return handle;
    }

    public int size() {
        return size;
    }

    /** Whether {@code token} is an id of this vocabulary. */
    public boolean isValid(int token) {
        return token >= 0 && token < size;
    }

    /** Throws a clear error for an id llama.cpp would crash on. */
    public void checkToken(int token) {
        if (!isValid(token)) {
            throw new IllegalArgumentException("token id " + token + " is out of range: the vocabulary has ids 0.." + (size - 1));
        }
    }

    public int bos() {
        return Llama.llama_vocab_bos(handle);
    }

    public int eos() {
        return Llama.llama_vocab_eos(handle);
    }

    /** End of generation: EOS, EOT and the model's other end markers. */
    public boolean isEndOfGeneration(int token) {
        return isValid(token) && Llama.llama_vocab_is_eog(handle, token);
    }

    /**
     * Control tokens ({@code <|im_start|>}, {@code <|im_end|>}, ...): those that tokenizing with
     * {@code parseSpecial} false leaves as text (llama.cpp's CONTROL and UNKNOWN token attributes).
     */
    public boolean isControl(int token) {
        return isValid(token) && (Llama.llama_vocab_get_attr(handle, token) & (Llama.LLAMA_TOKEN_ATTR_CONTROL | Llama.LLAMA_TOKEN_ATTR_UNKNOWN)) != 0;
    }

    /** Whether tokenizing strips whitespace before (lstrip) or after (rstrip) this special token's text. */
    public boolean stripsBefore(int token) {
        return isValid(token) && (Llama.llama_vocab_get_attr(handle, token) & Llama.LLAMA_TOKEN_ATTR_LSTRIP) != 0;
    }

    public boolean stripsAfter(int token) {
        return isValid(token) && (Llama.llama_vocab_get_attr(handle, token) & Llama.LLAMA_TOKEN_ATTR_RSTRIP) != 0;
    }

    /** The token's text as stored in the vocabulary (e.g. "Ġhello" for byte-level BPE). */
    public String tokenText(int token) {
        checkToken(token);
        return Llama.llama_vocab_get_text(handle, token).reinterpret(Long.MAX_VALUE).getString(0);
    }

    /**
     * The most bytes of input text one token can stand for when tokenizing (with special tokens parsed),
     * or 0 when this vocabulary gives no such bound. With a bound, a text of more than
     * {@code n * maxBytesPerToken()} UTF-8 bytes certainly tokenizes to more than {@code n} tokens, which
     * a caller can know without tokenizing.
     *
     * <p>The bound is the longest token text in the vocabulary: SPM and byte-level BPE store a token as
     * at least as many bytes as it covers ({@code ▁} for a space, {@code Ġ} for a byte, {@code <0x41>}
     * for one byte, a special token as its own text). It holds only where tokenizing covers every input
     * byte with some token: not for WordPiece and Unigram (they drop and fold whitespace), not where a
     * special token strips the whitespace around it, and not for a BPE vocabulary without a token for
     * some byte (llama.cpp then drops it), which the probe below catches. Measured once, on first use.
     */
    public int maxBytesPerToken() {
        int m = maxBytesPerToken;
        if (m < 0) {
            m = measureMaxBytesPerToken();
            maxBytesPerToken = m;
        }
        return m;
    }

    private int measureMaxBytesPerToken() {
        int type = Llama.llama_vocab_type(handle);
        if (type != Llama.LLAMA_VOCAB_TYPE_SPM && type != Llama.LLAMA_VOCAB_TYPE_BPE) {
            return 0;
        }
        int longest = 1;
        for (int t = 0; t < size; t++) {
            if ((Llama.llama_vocab_get_attr(handle, t) & (Llama.LLAMA_TOKEN_ATTR_LSTRIP | Llama.LLAMA_TOKEN_ATTR_RSTRIP)) != 0) {
                return 0;
            }
            MemorySegment text = Llama.llama_vocab_get_text(handle, t);
            if (!text.equals(MemorySegment.NULL)) {
                longest = Math.max(longest, strlen(text.reinterpret(1 << 16)));
            }
        }
        String probe = byteProbe();
        return detokenize(tokenize(probe, false, false), true).contains(probe.strip()) ? longest : 0;
    }

    private static int strlen(MemorySegment s) {
        int n = 0;
        while (n < s.byteSize() && s.get(ValueLayout.JAVA_BYTE, n) != 0) {
            n++;
        }
        return n;
    }

    /** Text whose UTF-8 holds every byte value that can occur in UTF-8 (each ASCII character, each lead and continuation byte). */
    private static String byteProbe() {
        StringBuilder sb = new StringBuilder("probe ");
        for (int c = 1; c < 0x80; c++) {
            sb.append((char) c);
        }
        for (int cont = 0; cont < 64; cont++) {
            sb.appendCodePoint(0x80 | cont); // C2 80..BF: every continuation byte
        }
        for (int lead = 0xC2; lead <= 0xDF; lead++) {
            sb.appendCodePoint(((lead & 0x1F) << 6) | 0x10);
        }
        for (int lead = 0xE0; lead <= 0xEF; lead++) {
            int cp = ((lead & 0x0F) << 12) | 0xA10; // second byte A8, valid after E0 and ED alike
            sb.appendCodePoint(cp >= 0xD800 && cp <= 0xDFFF ? cp - 0x800 : cp);
        }
        for (int lead = 0xF0; lead <= 0xF4; lead++) {
            sb.appendCodePoint(lead == 0xF0 ? 0x10410 : ((lead & 0x07) << 18) | 0x410); // F0 needs a second byte from 90
        }
        return sb.append(" end").toString();
    }

    /**
     * Tokenizes UTF-8 text.
     *
     * @param addSpecial add BOS/EOS where the model wants them
     * @param parseSpecial turn special-token text such as {@code <|im_start|>} into its id
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(utf8.length + 1L);
            MemorySegment.copy(utf8, 0, in, ValueLayout.JAVA_BYTE, 0, utf8.length);
            int capacity = utf8.length + 8;
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, capacity);
            int n = Llama.llama_tokenize(handle, in, utf8.length, out, capacity, addSpecial, parseSpecial);
            if (n < 0) {
                // -n is the number needed: every token covers at least one byte, so this is rare (added specials).
                capacity = -n;
                out = arena.allocate(ValueLayout.JAVA_INT, capacity);
                n = Llama.llama_tokenize(handle, in, utf8.length, out, capacity, addSpecial, parseSpecial);
                if (n < 0) {
                    throw new NativeCallException("llama_tokenize failed (" + n + ") on " + utf8.length + " bytes");
                }
            }
            return out.asSlice(0, (long) n * Integer.BYTES).toArray(ValueLayout.JAVA_INT);
        }
    }

    /** A reusable buffer for turning tokens into their bytes without allocating per token. */
    public Pieces pieces() {
        return new Pieces();
    }

    /**
     * Token pieces as raw bytes. A piece can end inside a multi-byte UTF-8 character (byte-level BPE),
     * so the caller assembles text from bytes. Not thread-safe; one per decoding thread.
     */
    public final class Pieces implements AutoCloseable {

        private final Arena arena = Arena.ofConfined();
        private MemorySegment buffer = arena.allocate(256);
        private byte[] bytes = new byte[256];

        private Pieces() {
        }

        /**
         * Writes the piece of {@code token} into {@link #bytes()} and returns its length.
         *
         * @param special render control tokens (e.g. {@code <think>}, {@code <|im_end|>}) as their text
         */
        public int piece(int token, boolean special) {
            checkToken(token);
            int n = Llama.llama_token_to_piece(handle, token, buffer, (int) buffer.byteSize(), 0, special);
            if (n < 0) {
                buffer = arena.allocate(-n);
                bytes = new byte[-n];
                n = Llama.llama_token_to_piece(handle, token, buffer, (int) buffer.byteSize(), 0, special);
                if (n < 0) {
                    throw new NativeCallException("llama_token_to_piece failed for token " + token);
                }
            }
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, bytes, 0, n);
            return n;
        }

        /** The bytes of the last piece; valid up to the length {@link #piece} returned. */
        public byte[] bytes() {
            return bytes;
        }

        /** Convenience: the piece as a string (may contain U+FFFD if it ends mid-character). */
        public String pieceString(int token, boolean special) {
            int n = piece(token, special);
            return new String(bytes, 0, n, StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /** Detokenizes a whole sequence (for tests and logs; streaming uses {@link Pieces}). */
    public String detokenize(int[] tokens, boolean renderSpecial) {
        for (int t : tokens) {
            checkToken(t);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_INT, tokens);
            int capacity = tokens.length * 8 + 16;
            MemorySegment out = arena.allocate(capacity);
            int n = Llama.llama_detokenize(handle, in, tokens.length, out, capacity, false, renderSpecial);
            if (n < 0) {
                capacity = -n;
                out = arena.allocate(capacity);
                n = Llama.llama_detokenize(handle, in, tokens.length, out, capacity, false, renderSpecial);
            }
            byte[] b = out.asSlice(0, Math.max(n, 0)).toArray(ValueLayout.JAVA_BYTE);
            return new String(b, StandardCharsets.UTF_8);
        }
    }
}
