package dev.parley.server.threads;

/** An uploaded file's metadata: what was sniffed and extracted from it, without the text itself. */
public record StoredFile(String id, String owner, String name, String mediaType, long bytes, String sha256, int characters, int tokens,
                         long createdAt) {}
