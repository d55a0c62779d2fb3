package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Finds and loads the pinned llama.cpp shared libraries.
 *
 * <p>libllama is opened by absolute path; its RUNPATH ($ORIGIN) brings libggml and libggml-base, and
 * the one lookup also resolves their symbols. The compute backends (libggml-cpu-*.so, libggml-cuda.so)
 * are loaded with {@code ggml_backend_load_all_from_path}: the plain {@code ggml_backend_load_all}
 * searches the executable's directory, which for a JVM is the JDK's bin, and silently finds nothing.
 *
 * <p>Where the natives live, first match wins: system property {@code parley.natives.dir}, environment
 * {@code PARLEY_NATIVES_DIR}; then, when system property {@code parley.natives.prefer-local} is true
 * (./parley serve sets it), a build made on this machine by {@code ./parley build-natives}, i.e.
 * {@code <cache>/llama-<version>/local-<variant>} once complete; else the prebuilt natives in
 * {@code <cache>/llama-<version>/<variant>}. The cache comes from {@code parley.cache} /
 * {@code PARLEY_CACHE} / {@code $XDG_CACHE_HOME/parley} / {@code ~/.cache/parley} and the variant
 * ({@code cpu} or {@code cuda}) from {@code parley.natives.variant}.
 */
public final class NativeLibraries {

    private static final System.Logger LOG = System.getLogger("parley");

    private static volatile Loaded loaded;

    private record Loaded(Path dir, SymbolLookup lookup) {}

    private NativeLibraries() {
    }

    /** The npm version of node-llama-cpp whose natives this build was generated against. */
    public static String pinnedVersion() {
        try (InputStream in = NativeLibraries.class.getResourceAsStream("natives.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("llama.npm.version");
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("natives.properties is missing from the bindings jar", e);
        }
    }

    /** Parley's cache root (natives, llama.cpp sources, generated models). */
    public static Path cacheRoot() {
        String configured = firstNonBlank(System.getProperty("parley.cache"), System.getenv("PARLEY_CACHE"));
        if (configured != null) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("parley");
    }

    /** The cache directory of the pinned llama.cpp: natives per variant and the sources under src/. */
    public static Path llamaCacheDir() {
        return cacheRoot().resolve("llama-" + pinnedVersion());
    }

    /** The directory the natives are (or will be) loaded from, for a variant: "cpu" or "cuda". */
    public static Path nativesDir(String variant) {
        String configured = firstNonBlank(System.getProperty("parley.natives.dir"), System.getenv("PARLEY_NATIVES_DIR"));
        if (configured != null) {
            return Path.of(configured);
        }
        Path local = localBuildDir(variant);
        if (Boolean.getBoolean("parley.natives.prefer-local") && isCompleteLocalBuild(local)) {
            return local;
        }
        return llamaCacheDir().resolve(variant);
    }

    /** Where {@code ./parley build-natives} puts the natives it builds on this machine for a variant. */
    public static Path localBuildDir(String variant) {
        return llamaCacheDir().resolve("local-" + variant);
    }

    /** Whether {@code dir} holds a finished source build (scripts/build-natives.sh marks it last). */
    static boolean isCompleteLocalBuild(Path dir) {
        return Files.isRegularFile(dir.resolve(".complete")) && Files.isRegularFile(dir.resolve("build-info.txt"));
    }

    /** Where natives in {@code dir} came from, for the log. */
    static String provenance(Path dir) {
        if (isCompleteLocalBuild(dir)) {
            return "built from source on this machine by ./parley build-natives (" + firstLine(dir.resolve("build-info.txt"), "compiler: ") + ")";
        }
        if (llamaCacheDir().toAbsolutePath().normalize().equals(dir.getParent())) {
            return "prebuilt, node-llama-cpp " + pinnedVersion();
        }
        return "from parley.natives.dir / PARLEY_NATIVES_DIR";
    }

    private static String firstLine(Path file, String prefix) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.filter(l -> l.startsWith(prefix)).findFirst().orElse("no " + prefix.trim());
        } catch (IOException | UncheckedIOException e) {
            return "unreadable build-info.txt";
        }
    }

    /** Loads the natives of the configured variant (default cpu) unless already loaded. */
    public static SymbolLookup llama() {
        Loaded l = loaded;
        if (l == null) {
            l = load(nativesDir(System.getProperty("parley.natives.variant", "cpu")));
        }
        return l.lookup();
    }

    /**
     * Loads libllama from {@code dir}, routes its log to Java logging, loads every ggml backend in
     * {@code dir} and initialises llama.cpp. Idempotent for the same directory; a second, different
     * directory is refused because a process can hold only one libllama.
     */
    public static synchronized Loaded load(Path dir) {
        Loaded l = loaded;
        if (l != null) {
            if (!l.dir().equals(dir.toAbsolutePath().normalize())) {
                throw new IllegalStateException("llama.cpp natives are already loaded from " + l.dir() + "; cannot also load " + dir);
            }
            return l;
        }
        Path abs = dir.toAbsolutePath().normalize();
        Path lib = findLibllama(abs);
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new NativeLoadException("cannot load " + lib + ": " + e.getMessage()
                    + " (a missing dependency such as libcudart.so.13 for the CUDA variant shows up here)", e);
        }
        l = new Loaded(abs, lookup);
        loaded = l;
        LOG.log(System.Logger.Level.INFO, "llama.cpp natives: " + abs + ", " + provenance(abs));
        NativeLog.install();
        try (Arena arena = Arena.ofConfined()) {
            Llama.ggml_backend_load_all_from_path(arena.allocateFrom(abs.toString()));
        }
        Llama.llama_backend_init();
        return l;
    }

    private static Path findLibllama(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new NativeLoadException("llama.cpp natives directory " + dir + " does not exist: run scripts/fetch-natives.sh"
                    + " (or ./parley, which runs it), or point PARLEY_NATIVES_DIR at a directory holding libllama.so");
        }
        Path plain = dir.resolve("libllama.so");
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("libllama\\.v[0-9.]+\\.so"))
                    .sorted()
                    .findFirst()
                    .orElseThrow(() -> new NativeLoadException("no libllama.so or libllama.v*.so in " + dir
                            + ": the natives cache is incomplete; delete it and run scripts/fetch-natives.sh"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static String firstNonBlank(String a, String b) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        return b != null && !b.isBlank() ? b : null;
    }
}
