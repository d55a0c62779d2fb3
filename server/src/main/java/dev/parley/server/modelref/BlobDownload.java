package dev.parley.server.modelref;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One file from the Hub into {@code blobs/<sha>}: written to {@code <sha>.incomplete}, resumed with an HTTP Range
 * from what is already there (also after a restart), checked against the LFS sha256, then moved into place. A
 * transfer cut off is retried from where it stopped; a disk that fills keeps the partial file for the next try.
 */
final class BlobDownload {

    private static final int ATTEMPTS = 3;
    private static final int BUFFER = 1 << 20;

    private final HttpClient http;
    private final ModelSources sources;
    private final PullProgress progress;

    BlobDownload(HttpClient http, ModelSources sources, PullProgress progress) {
        this.http = http;
        this.sources = sources;
        this.progress = progress;
    }

    /** Downloads in this process, by blob: a second pull of the same file waits for the first instead of writing beside it. */
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    /**
     * Downloads {@code file} of {@code repo} at {@code commit} unless its blob is cached; returns the blob. One
     * download per blob at a time: within the process by a lock, across Parley processes by a file lock.
     */
    Path fetch(String repo, String commit, RepoFile file, HubCache cache) throws IOException, InterruptedException {
        Path blob = cache.blob(file.blobName());
        if (Files.isRegularFile(blob)) {
            return blob;
        }
        ReentrantLock local = IN_PROCESS.computeIfAbsent(blob, b -> new ReentrantLock());
        local.lockInterruptibly();
        try {
            Path lockFile = cache.lock(file.blobName());
            Files.createDirectories(lockFile.getParent());
            try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock held = lock.lock()) {
                return Files.isRegularFile(blob) ? blob : fetchLocked(repo, commit, file, cache, blob);
            }
        } finally {
            local.unlock();
        }
    }

    private Path fetchLocked(String repo, String commit, RepoFile file, HubCache cache, Path blob) throws IOException, InterruptedException {
        Path partial = cache.incomplete(file.blobName());
        Files.createDirectories(partial.getParent());
        URI url = URI.create(sources.endpoint() + "/" + repo + "/resolve/" + commit + "/" + encodePath(file.path()));
        String digest = file.sha256() == null ? null : "sha256:" + file.sha256();
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            long have = Files.exists(partial) ? Files.size(partial) : 0;
            if (file.size() >= 0 && have > file.size()) {
                Files.delete(partial);
                have = 0;
            }
            checkSpace(partial, file, have);
            try {
                if (have < file.size() || file.size() < 0) {
                    transfer(url, partial, have, file, digest, repo, commit);
                }
                long got = Files.size(partial);
                if (file.size() >= 0 && got != file.size()) {
                    throw new IOException("the transfer ended at " + got + " of " + file.size() + " bytes");
                }
                break;
            } catch (WriteFailed e) {
                throw new ModelReferenceException("cannot write " + partial + " (" + e.getCause().getMessage() + "): is the disk full? "
                        + partialNote(partial), e.getCause());
            } catch (IOException e) {
                if (attempt == ATTEMPTS) {
                    throw new ModelReferenceException("downloading " + file.path() + " from " + repo + " failed " + ATTEMPTS + " times (last: "
                            + message(e) + "); " + partialNote(partial), e);
                }
                Thread.sleep(250L * attempt);
            }
        }
        if (file.sha256() != null) {
            progress.status("verifying sha256 digest");
            String actual = sha256(partial);
            if (!actual.equals(file.sha256())) {
                Files.deleteIfExists(partial);
                throw new ModelReferenceException(file.path() + " from " + repo + " is corrupt: the Hub says sha256 " + file.sha256()
                        + ", the downloaded file has " + actual + " (deleted; start again to download it anew)");
            }
        }
        Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
        return blob;
    }

    private void transfer(URI url, Path partial, long have, RepoFile file, String digest, String repo, String commit) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60)).header("User-Agent", "parley");
        if (sources.token() != null && !sources.token().isBlank()) {
            b.header("Authorization", "Bearer " + sources.token());
        }
        if (have > 0) {
            b.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> res = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        int status = res.statusCode();
        boolean append = status == 206;
        if (status == 416 && have > 0) {
            res.body().close();
            Files.delete(partial); // our partial does not fit what the server has: start over
            throw new IOException("the server refused to resume at byte " + have);
        }
        if (status != 200 && status != 206) {
            res.body().close();
            if (status >= 500 || status == 429) {
                throw new IOException("HTTP " + status + " from " + url.getHost()); // the server's trouble: worth another try
            }
            if (status == 404) {
                throw new ModelReferenceException(file.path() + " is listed in " + repo + " but its download is not found (HTTP 404 for " + url + ")");
            }
            throw HubApi.statusError(status, repo, commit, sources);
        }
        long done = append ? have : 0;
        long total = file.size() >= 0 ? file.size() : res.headers().firstValueAsLong("Content-Length").orElse(-1) + done;
        InputStream in = res.body();
        Watchdog watchdog = new Watchdog(in, sources.stallTimeout());
        try (in; FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[BUFFER];
            progress.bytes(file.path(), digest, total, done);
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    throw watchdog.fired() ? new IOException("no data for " + sources.stallTimeout().toSeconds() + " s (HF_HUB_DOWNLOAD_TIMEOUT)", e) : e;
                }
                if (n < 0) {
                    break;
                }
                watchdog.alive();
                write(out, buf, n);
                done += n;
                progress.bytes(file.path(), digest, total, done);
            }
        } finally {
            watchdog.stop();
        }
    }

    /**
     * The JDK's client has no read timeout for a body: a connection that stalls would hang the start forever. This
     * closes the stream when no byte came for the stall timeout, which wakes the blocked read with an IOException.
     */
    private static final class Watchdog {
        private final Thread thread;
        private volatile long last = System.nanoTime();
        private volatile boolean fired;

        Watchdog(InputStream in, Duration stall) {
            long limit = stall.toNanos();
            thread = Thread.ofVirtual().name("parley-download-watchdog").start(() -> {
                try {
                    while (true) {
                        Thread.sleep(Math.max(50, Math.min(1000, stall.toMillis() / 4)));
                        if (System.nanoTime() - last > limit) {
                            fired = true;
                            in.close();
                            return;
                        }
                    }
                } catch (InterruptedException | IOException e) {
                    // stopped, or the stream is already gone
                }
            });
        }

        void alive() {
            last = System.nanoTime();
        }

        boolean fired() {
            return fired;
        }

        void stop() {
            thread.interrupt();
        }
    }

    private static void write(FileChannel out, byte[] buf, int n) {
        try {
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
            while (bb.hasRemaining()) {
                out.write(bb);
            }
        } catch (IOException e) {
            throw new WriteFailed(e);
        }
    }

    /** A failed local write, kept apart from network errors: retrying cannot help it. */
    private static final class WriteFailed extends UncheckedIOException {
        WriteFailed(IOException cause) {
            super(cause);
        }
    }

    /** Refuses before the transfer when the file cannot fit, with the numbers. */
    private static void checkSpace(Path partial, RepoFile file, long have) throws IOException {
        if (file.size() < 0) {
            return;
        }
        long usable = Files.getFileStore(partial.getParent()).getUsableSpace();
        long need = file.size() - have;
        if (need > usable) {
            throw new ModelReferenceException(file.path() + " needs " + RateMeter.bytes(need) + " more on " + partial.getParent() + ", only "
                    + RateMeter.bytes(usable) + " free; free space (or point HF_HOME at a larger disk) and start again"
                    + (have > 0 ? "; " + partialNote(partial) : ""));
        }
    }

    private static String partialNote(Path partial) {
        try {
            long n = Files.exists(partial) ? Files.size(partial) : 0;
            return n > 0 ? "the " + n + " bytes already fetched are kept in " + partial + " and the next start resumes from there" : "nothing was kept";
        } catch (IOException e) {
            return "the partial file is " + partial;
        }
    }

    /** Each segment of a path in the repo percent-encoded (a space or '#' in a file name stays a file name). */
    static String encodePath(String path) {
        return java.util.Arrays.stream(path.split("/", -1))
                .map(segment -> java.net.URLEncoder.encode(segment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(java.util.stream.Collectors.joining("/"));
    }

    private static String message(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
