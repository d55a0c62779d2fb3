package dev.parley.server;

import dev.parley.runtime.testmodel.TestModels;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real processes on loopback, each started by the project's own script: a PostgreSQL server
 * (scripts/postgres.sh), Parley replicas sharing it (scripts/replica.sh, run from this test's class
 * path) and HAProxy in front of them (scripts/haproxy.sh with deploy/haproxy/haproxy.cfg).
 */
final class ReplicaSet implements AutoCloseable {

    static final Path ROOT = Path.of(System.getProperty("parley.root", "..")).toAbsolutePath().normalize();
    private static final Path SCRIPTS = ROOT.resolve("scripts");

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private final Path dir;
    private final Path pgDir;
    private final String databaseUrl;
    private final List<String> serveFlags;
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, Process> replicas = new LinkedHashMap<>();
    private final int routerPort;
    private final int statsPort;
    private Process haproxy;

    /** Why the set cannot run here, or null. */
    static String unavailableReason() {
        if (!Files.isExecutable(SCRIPTS.resolve("replica.sh"))) {
            return "scripts not found under " + SCRIPTS;
        }
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, "haproxy"))) {
                return PostgresServer.unavailableReason();
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin")) {
            if (Files.isExecutable(Path.of(dir, "haproxy"))) {
                return PostgresServer.unavailableReason();
            }
        }
        return "haproxy not installed (Debian package: haproxy)";
    }

    ReplicaSet(List<String> names, List<String> serveFlags) throws Exception {
        dir = Files.createTempDirectory("parley-replicas");
        pgDir = Files.createTempDirectory("parley-replicas-pg"); // its own: the server may run as the postgres user
        this.serveFlags = serveFlags;
        databaseUrl = script(List.of("postgres.sh", "start", pgDir.toString(), String.valueOf(freePort()))).strip();
        for (String name : names) {
            ports.put(name, freePort());
        }
        routerPort = freePort();
        statsPort = freePort();
        for (String name : names) {
            start(name);
        }
        List<String> cmd = new ArrayList<>(List.of(SCRIPTS.resolve("haproxy.sh").toString(), "127.0.0.1:" + routerPort, "127.0.0.1:" + statsPort));
        ports.forEach((name, port) -> cmd.add(name + "=127.0.0.1:" + port));
        haproxy = launch(cmd, dir.resolve("haproxy.log"));
    }

    /** Starts (or restarts) one replica; it becomes ready in the background. */
    void start(String name) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(SCRIPTS.resolve("replica.sh").toString(), name, String.valueOf(ports.get(name)),
                "--model", TestModels.tinyQwen3().toString(), "--database-url", databaseUrl, "--data-dir", dir.resolve("data-" + name).toString()));
        cmd.addAll(serveFlags);
        replicas.put(name, launch(cmd, dir.resolve(name + ".log")));
    }

    private Process launch(List<String> cmd, Path log) throws IOException {
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        b.environment().put("PARLEY_CLASSPATH", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        return b.start();
    }

    /** SIGKILL: the replica vanishes mid-work, as on a crash or a lost node. */
    void kill(String name) throws InterruptedException {
        Process p = replicas.get(name);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM: the replica drains (readiness 503, running generations end within the grace) and exits. */
    Process terminate(String name) {
        Process p = replicas.get(name);
        p.destroy();
        return p;
    }

    URI router(String path) {
        return URI.create("http://127.0.0.1:" + routerPort + path);
    }

    URI replica(String name, String path) {
        return URI.create("http://127.0.0.1:" + ports.get(name) + path);
    }

    /** HAProxy's view of each replica ("UP", "DOWN", ...), from its stats page as CSV. */
    Map<String, String> routerStatus() throws IOException, InterruptedException {
        String csv = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statsPort + "/stats;csv")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        List<String> lines = csv.lines().toList();
        List<String> header = List.of(lines.getFirst().replaceFirst("^# ", "").split(","));
        int proxy = header.indexOf("pxname");
        int server = header.indexOf("svname");
        int status = header.indexOf("status");
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length > status && f[proxy].equals("replicas") && ports.containsKey(f[server])) {
                out.put(f[server], f[status]);
            }
        }
        return out;
    }

    /** Waits until HAProxy sees each named replica in the given state. */
    void awaitRouterStatus(String state, List<String> names, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> seen = Map.of();
        while (System.nanoTime() < deadline) {
            try {
                Map<String, String> now = routerStatus();
                seen = now;
                if (names.stream().allMatch(n -> state.equals(now.get(n)))) {
                    return;
                }
            } catch (IOException notYet) {
                // HAProxy not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("HAProxy did not see " + names + " " + state + " within " + timeout + ": " + seen + "\n" + logs());
    }

    /** The tail of every component's log, for failure messages. */
    String logs() {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                b.append("--- ").append(f.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> b.append(l).append('\n'));
            }
        } catch (IOException e) {
            b.append("(logs unreadable: ").append(e).append(")");
        }
        return b.toString();
    }

    private static String script(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(args);
        cmd.set(0, SCRIPTS.resolve(args.getFirst()).toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed");
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        List<Process> all = new ArrayList<>(replicas.values());
        if (haproxy != null) {
            all.add(haproxy);
        }
        for (Process p : all) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : all) {
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        script(List.of("postgres.sh", "stop", pgDir.toString()));
        for (Path d : List.of(dir, pgDir)) {
            try (var files = Files.walk(d)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
