package dev.parley.bindings;

import java.nio.file.Path;

/** A model file could not be loaded; the message names the path and what llama.cpp said. */
public final class ModelLoadException extends RuntimeException {

    private final Path path;

    public ModelLoadException(Path path, String message) {
        super(message);
        this.path = path;
    }

    public Path path() {
        return path;
    }
}
