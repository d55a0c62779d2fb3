package dev.parley.runtime.kv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The shared tier in a directory every replica mounts (a ReadWriteMany volume): one file per entry
 * in the disk tier's format, {@code <root>/<fingerprint>/<chain hash>.kv}. Each writer writes its own
 * temporary file, forces it to disk and renames it over the entry, so readers on any replica see the
 * old file or the whole new one; a replica killed mid-write leaves only a temporary file, which
 * {@link #sweep} deletes once it is clearly abandoned. The file's header is the entry's index. An
 * entry older than the TTL (by its modification time) is a miss and is deleted by the sweep.
 */
final class FileKvStore implements SharedKvStore {

    private static final System.Logger LOG = System.getLogger("parley.kv.shared");

    /** A temporary file this old is a write whose replica died (a live write takes seconds at most). */
    private static final long ABANDONED_MILLIS = 10 * 60_000L;

    private final Path root;
    private final byte[] fingerprint;
    private final long ttlMillis;

    FileKvStore(Path root, byte[] fingerprint, Duration ttl) {
        this.root = root;
        this.fingerprint = fingerprint.clone();
        this.ttlMillis = ttl.toMillis();
    }

    private Path file(String key) {
        return root.resolve(key + DiskFiles.SUFFIX);
    }

    @Override
    public Located find(List<String> keys) throws IOException {
        ping();
        for (String key : keys) {
            Located at = locate(key);
            if (at != null) {
                return at;
            }
        }
        return null;
    }

    @Override
    public List<Located> findAll(List<String> keys) throws IOException {
        ping();
        List<Located> out = new java.util.ArrayList<>();
        for (String key : keys) {
            Located at = locate(key);
            if (at != null) {
                out.add(at);
            }
        }
        return out;
    }

    /** The entry under {@code key}, or null: none, expired (the sweep deletes it), or unreadable (deleted now). */
    private Located locate(String key) throws IOException {
        Path f = file(key);
        try {
            if (Files.getLastModifiedTime(f).toMillis() + ttlMillis < System.currentTimeMillis()) {
                return null;
            }
            DiskFiles.Header h = DiskFiles.readHeader(f, fingerprint);
            return new Located(key, SharedIndex.of(fingerprint, h.namespace(), h.tokens(), h.stateBytes(), 0, 0));
        } catch (NoSuchFileException e) {
            return null;
        } catch (DiskFiles.Unreadable e) {
            // Renamed into place whole, so only damage gets here (or a file cut short by hand).
            LOG.log(System.Logger.Level.WARNING, "deleting a shared KV entry (" + key + "): " + e.getMessage());
            Files.deleteIfExists(f);
            return null;
        }
    }

    @Override
    public void write(String key, long namespace, int[] tokens, MemorySegment state) throws IOException {
        Path target = file(key);
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        DiskFiles.write(target, tmp, fingerprint, namespace, tokens, state.byteSize(), state);
    }

    @Override
    public MemorySegment read(Located at, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file(at.key()), StandardOpenOption.READ)) {
            long size = ch.size();
            // Read, not mapped: a file cut short under a mapping would fault inside llama.cpp.
            MemorySegment all = arena.allocate(size, 64);
            for (long off = 0; off < size; off += 1L << 30) {
                ByteBuffer b = all.asSlice(off, Math.min(1L << 30, size - off)).asByteBuffer();
                while (b.hasRemaining()) {
                    if (ch.read(b, off + b.position()) < 0) {
                        return all.asSlice(0, off + b.position()); // shorter than it said: the checksum refuses it
                    }
                }
            }
            return all;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void delete(Located at) throws IOException {
        Files.deleteIfExists(file(at.key()));
    }

    @Override
    public void ping() throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("the shared KV directory " + root + " is not mounted (or not a directory)");
        }
    }

    @Override
    public void sweep() throws IOException {
        Path dir = root.resolve(Fingerprint.hex(fingerprint));
        if (!Files.isDirectory(dir)) {
            return;
        }
        long now = System.currentTimeMillis();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    long age = now - Files.getLastModifiedTime(f).toMillis();
                    if (name.endsWith(".tmp") ? age > ABANDONED_MILLIS : name.endsWith(DiskFiles.SUFFIX) && age > ttlMillis) {
                        Files.deleteIfExists(f);
                    }
                } catch (NoSuchFileException e) {
                    // another replica's sweep or rename got there first
                }
            }
        }
    }

    @Override
    public String describe() {
        return "file://" + root;
    }

    @Override
    public String backend() {
        return "file";
    }

    @Override
    public void close() {
    }
}
