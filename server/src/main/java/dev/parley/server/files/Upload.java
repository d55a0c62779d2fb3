package dev.parley.server.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An upload's bytes, spooled to a temporary file (deleted on close), with the name the client gave and its SHA-256. */
public record Upload(Path file, String name, long bytes, String sha256) implements AutoCloseable {

    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
