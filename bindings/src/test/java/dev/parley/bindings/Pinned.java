package dev.parley.bindings;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the tests find the repository and the pinned llama.cpp sources. */
final class Pinned {

    private Pinned() {
    }

    static Path repoRoot() {
        String root = System.getProperty("parley.root");
        assertTrue(root != null && Files.isDirectory(Path.of(root)), "system property parley.root must name the repository (Surefire sets it)");
        return Path.of(root);
    }

    static Path llamaSource() {
        Path src = NativeLibraries.llamaCacheDir().resolve("src");
        assertTrue(Files.isRegularFile(src.resolve("include/llama.h")),
                "pinned llama.cpp sources missing at " + src + ": run scripts/fetch-natives.sh (./parley test does)");
        return src;
    }
}
