package dev.parley.server.modelref;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the Hugging Face Hub on a loopback port: the revision and tree API routes and {@code resolve}
 * downloads (with Range) for repos the test fills, plus the faults a real download meets: a gated repo (401
 * without the right bearer token), a wrong LFS hash, transfers cut off part-way, 404s. It records every request.
 */
final class HubFixture implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REVISION = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    private static final Pattern TREE = Pattern.compile("/api/models/([^/]+/[^/]+)/tree/([0-9a-f]{40})");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([0-9a-f]{40})/(.+)");
    private static final Pattern CDN = Pattern.compile("/cdn/([^/]+/[^/]+)/(.+)");

    /** A repo: its commit, files in listing order, and the token it needs (null: public). */
    static final class Repo {
        final String commit;
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Map<String, String> claimedSha = new ConcurrentHashMap<>();
        final Map<String, Long> claimedSize = new ConcurrentHashMap<>();
        String token;
        /** Gated as the Hub gates: listing is public, only downloads need the token (private repos need it for all). */
        boolean listingPublic;

        Repo(String commit) {
            this.commit = commit;
        }

        Repo file(String path, byte[] content) {
            files.put(path, content);
            return this;
        }
    }

    /** One request as the fixture saw it. */
    record Seen(String method, String path, String range, String authorization) {
    }

    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    final List<Seen> requests = Collections.synchronizedList(new ArrayList<>());
    /** Downloads still to cut off, and after how many bytes of the body. */
    final AtomicInteger cutsLeft = new AtomicInteger();
    volatile int cutAfter = 1000;
    /** Downloads still to stall after {@link #cutAfter} bytes, and for how long. */
    final AtomicInteger stallsLeft = new AtomicInteger();
    volatile long stallMillis = 5000;
    /** The API routes answer 503 (the Hub down, its files perhaps still cached). */
    volatile boolean apiDown;
    /** Downloads still to answer 503 (a CDN having a bad moment). */
    final AtomicInteger unavailableLeft = new AtomicInteger();
    /** Answer resolve with a 302 to a CDN path, as the Hub does for LFS files (the CDN needs no token). */
    volatile boolean redirect;
    private final HttpServer server;

    HubFixture() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    Repo repo(String id, int seed) {
        Repo r = new Repo(HexFormat.of().formatHex(sha256(("commit" + id + seed).getBytes(StandardCharsets.UTF_8)), 0, 20));
        repos.put(id, r);
        return r;
    }

    List<Seen> downloads() {
        synchronized (requests) {
            return requests.stream().filter(s -> s.path().contains("/resolve/") || s.path().startsWith("/cdn/")).toList();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        requests.add(new Seen(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Range"), auth));
        try (ex) {
            Matcher m;
            if (apiDown && path.startsWith("/api/")) {
                error(ex, 503, "Service Unavailable");
            } else if ((m = REVISION.matcher(path)).matches()) {
                Repo r = listing(ex, m.group(1), auth);
                if (r != null) {
                    json(ex, JSON.createObjectNode().put("id", m.group(1)).put("sha", r.commit));
                }
            } else if ((m = TREE.matcher(path)).matches()) {
                Repo r = listing(ex, m.group(1), auth);
                if (r != null) {
                    ArrayNode list = JSON.createArrayNode();
                    for (Map.Entry<String, byte[]> f : r.files.entrySet()) {
                        long size = r.claimedSize.getOrDefault(f.getKey(), (long) f.getValue().length);
                        ObjectNode item = list.addObject().put("type", "file").put("path", f.getKey()).put("size", size)
                                .put("oid", HexFormat.of().formatHex(sha256(f.getKey().getBytes(StandardCharsets.UTF_8)), 0, 20));
                        item.putObject("lfs").put("oid", r.claimedSha.getOrDefault(f.getKey(), hex(sha256(f.getValue()))))
                                .put("size", size).put("pointerSize", 134);
                    }
                    json(ex, list);
                }
            } else if ((m = CDN.matcher(path)).matches()) {
                byte[] body = repos.containsKey(m.group(1)) ? repos.get(m.group(1)).files.get(m.group(2)) : null;
                if (body == null) {
                    error(ex, 404, "Not found");
                } else {
                    download(ex, body);
                }
            } else if ((m = RESOLVE.matcher(path)).matches()) {
                Repo r = allowed(ex, m.group(1), auth);
                if (r != null && redirect && r.files.containsKey(m.group(3))) {
                    ex.getResponseHeaders().set("Location", endpoint() + "/cdn/" + m.group(1) + "/" + ex.getRequestURI().getRawPath().split("/resolve/[0-9a-f]{40}/")[1]);
                    ex.sendResponseHeaders(302, -1);
                } else if (r != null) {
                    byte[] body = r.files.get(m.group(3));
                    if (unavailableLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        error(ex, 503, "Service Unavailable");
                    } else if (body == null) {
                        error(ex, 404, "Entry not found");
                    } else {
                        download(ex, body);
                    }
                }
            } else {
                error(ex, 404, "Not found");
            }
        }
    }

    private Repo listing(HttpExchange ex, String id, String auth) throws IOException {
        Repo r = repos.get(id);
        return r != null && r.listingPublic ? r : allowed(ex, id, auth);
    }

    private Repo allowed(HttpExchange ex, String id, String auth) throws IOException {
        Repo r = repos.get(id);
        if (r == null) {
            error(ex, 404, "Repository not found");
            return null;
        }
        if (r.token != null && !("Bearer " + r.token).equals(auth)) {
            error(ex, 401, "Access to model " + id + " is restricted.");
            return null;
        }
        return r;
    }

    private void download(HttpExchange ex, byte[] body) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null) {
            Matcher rm = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (!rm.matches() || Integer.parseInt(rm.group(1)) >= body.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            from = Integer.parseInt(rm.group(1));
            ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.sendResponseHeaders(range != null ? 206 : 200, body.length - from);
        OutputStream out = ex.getResponseBody();
        if (cutsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            // a connection that dies mid-body: the declared length never arrives
            out.write(body, from, Math.min(cutAfter, body.length - from));
            out.flush();
            throw new IOException("cut off by the test");
        }
        if (stallsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            // a connection that goes quiet mid-body and stays open
            out.write(body, from, Math.min(cutAfter, body.length - from));
            out.flush();
            try {
                Thread.sleep(stallMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            from += Math.min(cutAfter, body.length - from);
        }
        out.write(body, from, body.length - from);
    }

    private static void json(HttpExchange ex, Object body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
    }

    private static void error(HttpExchange ex, int status, String message) throws IOException {
        byte[] b = JSON.writeValueAsBytes(JSON.createObjectNode().put("error", message));
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
