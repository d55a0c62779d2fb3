package dev.parley.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A throwaway Redis for the shared KV tier, through scripts/redis.sh (Debian's redis-server), in a directory of its own. */
final class RedisScript implements AutoCloseable {

    private static final Path SCRIPT = ReplicaSet.ROOT.resolve("scripts/redis.sh");
    private final Path dir;
    private final int port;

    RedisScript(int port) throws IOException {
        this.dir = Files.createTempDirectory("parley-redis");
        this.port = port;
    }

    /** Why no Redis can be started here, or null. */
    static String unavailableReason() {
        for (String d : (System.getenv("PATH") + ":/usr/bin:/usr/sbin").split(":")) {
            if (Files.isExecutable(Path.of(d, "redis-server"))) {
                return Files.isExecutable(SCRIPT) ? null : "scripts/redis.sh not found at " + SCRIPT;
            }
        }
        return "redis-server not installed (Debian package: redis-server)";
    }

    /** Starts it (again, empty) and returns its URL. */
    String start() throws IOException, InterruptedException {
        return run("start", dir.toString(), String.valueOf(port));
    }

    /** SIGKILL: the store vanishes with everything it held. */
    void kill() throws IOException, InterruptedException {
        run("stop", dir.toString());
    }

    private static String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed");
        }
        return out.strip();
    }

    @Override
    public void close() throws Exception {
        kill();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
