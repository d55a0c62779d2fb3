package dev.parley.server;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the real npm clients against a test server: {@code node SCRIPT BASE_URL [ARGS]} for a script of
 * {@code server/src/test/node}, with the pinned packages that {@code scripts/node-clients.sh} installs
 * into the cache (once per version set). Fails the test on a non-zero exit or a timeout, printing what
 * Node printed. A script reports failure by throwing (or {@code process.exit(1)}).
 */
final class NodeClients {

    /** Where the scripts live, from the server module's directory (Maven's working directory for tests). */
    private static final Path SCRIPTS = Path.of("src/test/node").toAbsolutePath();
    private static Path installed;

    private NodeClients() {
    }

    /** The cache directory holding node_modules, installing the packages on first use. */
    static synchronized Path install() {
        if (installed == null) {
            Path script = SCRIPTS.resolve("../../../../scripts/node-clients.sh").normalize();
            Result r = exec(List.of("bash", script.toString()), null, Duration.ofMinutes(5), List.of());
            if (r.exit != 0) {
                fail("scripts/node-clients.sh failed (" + r.exit + "):\n" + r.output);
            }
            List<String> lines = r.output.lines().filter(l -> !l.isBlank()).toList();
            installed = Path.of(lines.getLast().strip());
        }
        return installed;
    }

    /**
     * Runs {@code script} against {@code baseUrl} (for example {@code http://127.0.0.1:PORT}) and returns
     * what it printed. Extra arguments follow the base URL; {@code env} holds NAME=VALUE pairs.
     */
    static String run(String script, String baseUrl, Duration timeout, List<String> env, String... args) {
        Path modules = install();
        Path runDir;
        try {
            // Node resolves packages from the script's own directory upwards: run a copy inside the cache.
            runDir = Files.createTempDirectory(modules, "run-");
            try (Stream<Path> files = Files.list(SCRIPTS)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".mjs")).toList()) {
                    Files.copy(f, runDir.resolve(f.getFileName()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            List<String> command = new ArrayList<>(List.of("node", runDir.resolve(script).toString(), baseUrl));
            command.addAll(List.of(args));
            Result r = exec(command, runDir, timeout, env);
            System.out.println("---- node " + script + " (exit " + r.exit + ") ----\n" + r.output);
            if (r.exit != 0) {
                fail("node " + script + " exited with " + r.exit + (r.exit == 124 ? " (timed out after " + timeout + ")" : "") + ":\n" + r.output);
            }
            return r.output;
        } finally {
            deleteTree(runDir);
        }
    }

    private record Result(int exit, String output) {}

    private static Result exec(List<String> command, Path dir, Duration timeout, List<String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            fail("could not start " + command.getFirst() + " (Node.js is needed for the client tests): " + e.getMessage());
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        try {
            boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            reader.join(5000);
            return new Result(ended ? p.exitValue() : 124, out.toString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a leftover run directory in the cache is harmless
        }
    }
}
