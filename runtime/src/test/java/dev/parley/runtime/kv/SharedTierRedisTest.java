package dev.parley.runtime.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

/**
 * The shared-tier contract on Redis (Debian's redis-server, started by scripts/redis.sh on a free
 * port in a temporary directory), and what only Redis does: evict part of an entry.
 */
class SharedTierRedisTest extends SharedTierContract {

    private static final Path SCRIPT = Path.of(System.getProperty("parley.root", "..")).toAbsolutePath().normalize().resolve("scripts/redis.sh");
    private static Path dir;
    private static int port;
    private static JedisPooled redis;

    @BeforeAll
    static void startRedis() throws Exception {
        String reason = unavailableReason();
        if (reason != null) {
            System.err.println("SKIPPING the Redis shared-tier tests: " + reason);
            Assumptions.abort(reason);
        }
        dir = Files.createTempDirectory("parley-redis");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        script("start", dir.toString(), String.valueOf(port));
        redis = new JedisPooled("127.0.0.1", port);
    }

    static String unavailableReason() {
        if (!Files.isExecutable(SCRIPT)) {
            return "scripts/redis.sh not found at " + SCRIPT;
        }
        for (String d : (System.getenv("PATH") + ":/usr/bin:/usr/sbin").split(":")) {
            if (Files.isExecutable(Path.of(d, "redis-server"))) {
                return null;
            }
        }
        return "redis-server not installed (Debian package: redis-server)";
    }

    static String script(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed");
        }
        return out.strip();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
        if (dir != null) {
            script("stop", dir.toString());
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @BeforeEach
    void empty() {
        redis.flushAll();
    }

    @Override
    String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    private List<String> chunkKeys() {
        return redis.keys("parley:kv:*:*:*").stream().sorted().toList();
    }

    @Override
    void corruptTheEntry() {
        String chunk = chunkKeys().getFirst();
        byte[] b = redis.get(chunk.getBytes(StandardCharsets.UTF_8));
        b[b.length / 2] ^= (byte) 0xFF;
        redis.set(chunk.getBytes(StandardCharsets.UTF_8), b);
    }

    @Override
    void takeDown() throws Exception {
        script("stop", dir.toString());
    }

    @Override
    void restore() throws Exception {
        script("start", dir.toString(), String.valueOf(port));
        redis.close(); // its pooled connections died with the server
        redis = new JedisPooled("127.0.0.1", port);
    }

    @Test
    void anEvictedChunkIsAMissNeverAnError() throws Exception {
        int[] history = tokens(500, 31);
        put(tier(), "alice", history, 9 << 20, 32);
        List<String> chunks = chunkKeys();
        assertEquals(3, chunks.size(), "9 MiB in 4 MiB chunks");
        redis.del(chunks.get(1)); // what maxmemory's eviction does
        SharedTier.Found f = tier().lookup("alice", history, history.length);
        assertNotNull(f, "the index is still there");
        try (Arena arena = Arena.ofConfined()) {
            assertNull(tier().fetch(f, "alice", history, history.length, arena));
        }
        assertTrue(tier().up(), "a missing key is a miss");
        assertEquals(0, tier().stats().discarded(), "and no damage");
    }

    @Test
    void aStoreThatHangsCostsOneTimeoutThenIsSkipped() throws Exception {
        int[] history = tokens(128, 35);
        put(tier(), "alice", history, 5000, 36);
        long pid = Long.parseLong(Files.readString(dir.resolve("redis.pid")).strip());
        signal("STOP", pid); // accepts connections, answers nothing: a store that is slow beyond use
        try {
            long t0 = System.nanoTime();
            assertNull(tier().lookup("alice", history, history.length), "a miss, not an exception");
            long first = System.nanoTime() - t0;
            assertTrue(first < TimeUnit.SECONDS.toNanos(5), "bounded by the socket timeout: " + first / 1_000_000 + " ms");
            assertFalse(tier().up());
            t0 = System.nanoTime();
            assertNull(tier().lookup("alice", history, history.length));
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(50), "while down, lookups do not wait");
        } finally {
            signal("CONT", pid);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!tier().up() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(tier().up(), "back when it answers again");
    }

    private static void signal(String name, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, String.valueOf(pid)).inheritIO().start().waitFor());
    }

    @Test
    void everyKeyExpires() throws Exception {
        put(tier(), "alice", tokens(64, 33), 1000, 34);
        Set<String> keys = redis.keys("parley:kv:*");
        assertEquals(2, keys.size(), "one chunk and one index");
        for (String k : keys) {
            long ttl = redis.pttl(k);
            assertTrue(ttl > 0 && ttl <= 3_600_000, k + " has the TTL: " + ttl);
        }
    }
}
