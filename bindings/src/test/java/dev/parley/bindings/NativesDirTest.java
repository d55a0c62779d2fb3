package dev.parley.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which natives directory is chosen: configured, then a finished local build when preferred, then the prebuilt. */
class NativesDirTest {

    private static final String[] PROPERTIES = {"parley.cache", "parley.natives.dir", "parley.natives.prefer-local"};

    @TempDir
    Path cache;

    private final String[] saved = new String[PROPERTIES.length];

    @BeforeEach
    void useATemporaryCache() {
        assumeTrue(System.getenv("PARLEY_NATIVES_DIR") == null, "PARLEY_NATIVES_DIR is set, and it wins over everything tested here");
        for (int i = 0; i < PROPERTIES.length; i++) {
            saved[i] = System.getProperty(PROPERTIES[i]);
            System.clearProperty(PROPERTIES[i]);
        }
        System.setProperty("parley.cache", cache.toString());
    }

    @AfterEach
    void restore() {
        for (int i = 0; i < PROPERTIES.length; i++) {
            if (saved[i] == null) {
                System.clearProperty(PROPERTIES[i]);
            } else {
                System.setProperty(PROPERTIES[i], saved[i]);
            }
        }
    }

    private Path llama() {
        return cache.resolve("llama-" + NativeLibraries.pinnedVersion());
    }

    private void finishLocalBuild(String variant) throws Exception {
        Path dir = Files.createDirectories(llama().resolve("local-" + variant));
        Files.writeString(dir.resolve("build-info.txt"), "compiler: g++ (test) 1.0\n");
        Files.createFile(dir.resolve(".complete"));
    }

    @Test
    void thePrebuiltNativesWithoutALocalBuild() {
        System.setProperty("parley.natives.prefer-local", "true");
        assertEquals(llama().resolve("cpu"), NativeLibraries.nativesDir("cpu"));
        assertTrue(NativeLibraries.provenance(llama().resolve("cpu")).startsWith("prebuilt"));
    }

    @Test
    void aFinishedLocalBuildWhenPreferred() throws Exception {
        finishLocalBuild("cpu");
        System.setProperty("parley.natives.prefer-local", "true");
        assertEquals(llama().resolve("local-cpu"), NativeLibraries.nativesDir("cpu"));
        assertEquals(llama().resolve("cuda"), NativeLibraries.nativesDir("cuda"), "only the variant that was built");
        assertTrue(NativeLibraries.provenance(llama().resolve("local-cpu")).contains("g++ (test) 1.0"));
    }

    @Test
    void theLocalBuildOnlyWhenPreferred() throws Exception {
        finishLocalBuild("cpu");
        assertEquals(llama().resolve("cpu"), NativeLibraries.nativesDir("cpu"));
    }

    @Test
    void anUnfinishedLocalBuildIsIgnored() throws Exception {
        Files.createDirectories(llama().resolve("local-cpu"));
        Files.writeString(llama().resolve("local-cpu/build-info.txt"), "compiler: g++\n");
        System.setProperty("parley.natives.prefer-local", "true");
        assertEquals(llama().resolve("cpu"), NativeLibraries.nativesDir("cpu"));
    }

    @Test
    void theConfiguredDirectoryWinsOverALocalBuild() throws Exception {
        finishLocalBuild("cuda");
        System.setProperty("parley.natives.prefer-local", "true");
        System.setProperty("parley.natives.dir", cache.resolve("kit-build").toString());
        assertEquals(cache.resolve("kit-build"), NativeLibraries.nativesDir("cuda"));
        assertTrue(NativeLibraries.provenance(cache.resolve("kit-build")).contains("PARLEY_NATIVES_DIR"));
    }
}
