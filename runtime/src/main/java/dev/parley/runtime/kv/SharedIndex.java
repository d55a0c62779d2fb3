package dev.parley.runtime.kv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The small record that says an entry of the shared tier exists, read before its state: whose it is
 * (the model fingerprint and the owner's namespace), how many tokens it holds and the last few of
 * them (those after its last full block, which its key's chain hash does not cover), its state's
 * size, and where the state's chunks are ({@code generation}, {@code chunks}; Redis only). A lookup
 * reads these, never states, to pick the entry; the state's own header then confirms every token.
 *
 * @param blobBytes the entry's bytes in the disk tier's file format (header, state, checksum)
 */
record SharedIndex(byte[] fingerprint, long namespace, int tokenCount, int[] tail, long stateBytes, long blobBytes, long generation,
                   int chunks) {

    private static final int MAGIC = 0x31494B50; // "PKI1"

    /** The index of an entry holding {@code tokens}. */
    static SharedIndex of(byte[] fingerprint, long namespace, int[] tokens, long stateBytes, long generation, int chunks) {
        int full = tokens.length / PrefixIndex.BLOCK * PrefixIndex.BLOCK;
        return new SharedIndex(fingerprint, namespace, tokens.length, Arrays.copyOfRange(tokens, full, tokens.length), stateBytes,
                DiskFiles.fileBytes(tokens.length, stateBytes), generation, chunks);
    }

    /**
     * Prompt tokens this entry shares with {@code prompt}, given that the prompt's chain hash matched
     * the entry's key (so its full blocks match, up to a hash collision the state's header rules out).
     */
    int sharedWith(int[] prompt, int length) {
        int full = tokenCount - tail.length;
        if (length < full) {
            return 0;
        }
        int n = full;
        while (n < length && n - full < tail.length && prompt[n] == tail[n - full]) {
            n++;
        }
        return n;
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(4 + Fingerprint.BYTES + 8 + 4 + 8 + 8 + 8 + 4 + 4 + 4 * tail.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).put(fingerprint).putLong(namespace).putInt(tokenCount).putLong(stateBytes).putLong(blobBytes).putLong(generation)
                .putInt(chunks).putInt(tail.length);
        for (int t : tail) {
            b.putInt(t);
        }
        return b.array();
    }

    /** The index in {@code bytes}, or null when they are not one (a foreign or damaged key: a miss). */
    static SharedIndex decode(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt() != MAGIC) {
                return null;
            }
            byte[] fp = new byte[Fingerprint.BYTES];
            b.get(fp);
            long ns = b.getLong();
            int count = b.getInt();
            long state = b.getLong();
            long blob = b.getLong();
            long gen = b.getLong();
            int chunks = b.getInt();
            int tailCount = b.getInt();
            if (count < PrefixIndex.BLOCK || tailCount < 0 || tailCount >= PrefixIndex.BLOCK || tailCount != count % PrefixIndex.BLOCK
                    || b.remaining() != 4 * tailCount || state < 1 || blob != DiskFiles.fileBytes(count, state) || chunks < 0) {
                return null;
            }
            int[] tail = new int[tailCount];
            for (int i = 0; i < tailCount; i++) {
                tail[i] = b.getInt();
            }
            return new SharedIndex(fp, ns, count, tail, state, blob, gen, chunks);
        } catch (java.nio.BufferUnderflowException e) {
            return null;
        }
    }
}
