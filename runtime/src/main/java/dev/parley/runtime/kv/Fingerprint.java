package dev.parley.runtime.kv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a saved KV state is only valid for: the model file and the context settings that change the
 * KV layout. A disk entry with another fingerprint is a miss, never a restore.
 */
public final class Fingerprint {

    static final int BYTES = 32;
    private static final int SAMPLE = 1 << 20;

    private Fingerprint() {
    }

    /**
     * The model file (its size, and SHA-256 of its first and last MiB, which hold the GGUF header
     * and the last tensors: hashing gigabytes at every start would be too slow) and {@code layout},
     * a description of the KV-relevant settings (cache type, flash attention, unified cache, and the
     * llama.cpp version).
     */
    public static byte[] of(Path model, String layout) {
        try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            long size = ch.size();
            d.update(("parley-kv-1\0" + size + "\0" + layout + "\0").getBytes(StandardCharsets.UTF_8));
            update(d, ch, 0, (int) Math.min(SAMPLE, size));
            update(d, ch, Math.max(0, size - SAMPLE), (int) Math.min(SAMPLE, size));
            return d.digest();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + model + " for its fingerprint", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest d, FileChannel ch, long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && ch.read(b, at + b.position()) >= 0) {
            // read until full or end of file
        }
        d.update(b.flip());
    }

    /** A namespace (a tenant salt) as the 64 bits entries carry. */
    static long namespace(String name) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(("parley-kv-ns\0" + (name == null ? "" : name)).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(h).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] fingerprint) {
        return HexFormat.of().formatHex(fingerprint, 0, 8);
    }
}
