package dev.parley.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The configured API keys. Each key has an owner name (from the keys file, or derived from the key's
 * hash): threads belong to owners. Keys are kept only as SHA-256 digests and compared in constant time.
 */
public final class ApiKeys {

    /** The owner of everything when no keys are configured. */
    public static final String LOCAL_OWNER = "local";

    private record Entry(String owner, byte[] digest) {}

    private final List<Entry> entries;

    private ApiKeys(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public static ApiKeys none() {
        return new ApiKeys(List.of());
    }

    /**
     * Keys from a flag or environment value and a keys file. File lines are {@code key} or
     * {@code owner:key}; blank lines and {@code #} comments are skipped.
     */
    public static ApiKeys load(String singleKey, Path file) {
        List<Entry> entries = new ArrayList<>();
        if (singleKey != null && !singleKey.isBlank()) {
            entries.add(entry(null, singleKey.strip()));
        }
        if (file != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the API keys file " + file + ": " + e.getMessage());
            }
            for (String raw : lines) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                entries.add(colon > 0 ? entry(line.substring(0, colon).strip(), line.substring(colon + 1).strip()) : entry(null, line));
            }
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("the API keys file " + file + " holds no key");
            }
        }
        for (Entry e : entries) {
            if (e.digest.length == 0) {
                throw new IllegalArgumentException("an API key is empty");
            }
        }
        return new ApiKeys(entries);
    }

    private static Entry entry(String owner, String key) {
        if (key.length() < 8) {
            throw new IllegalArgumentException("API keys must have at least 8 characters");
        }
        byte[] digest = sha256(key);
        return new Entry(owner != null && !owner.isEmpty() ? owner : "key-" + HexFormat.of().formatHex(digest, 0, 8), digest);
    }

    public boolean enabled() {
        return !entries.isEmpty();
    }

    /** The owner of a presented key, or empty when it matches none. Every key is compared, in constant time. */
    public Optional<String> owner(String presented) {
        if (presented == null) {
            return Optional.empty();
        }
        byte[] d = sha256(presented);
        String found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.digest, d) && found == null) {
                found = e.owner;
            }
        }
        return Optional.ofNullable(found);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
