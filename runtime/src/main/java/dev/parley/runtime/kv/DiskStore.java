package dev.parley.runtime.kv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The disk tier's states: one {@link DiskFiles} file per entry in the fingerprint's directory. It
 * writes (on the {@link WriteBack} thread), reads (for the entry about to be restored), deletes, and
 * finds what an earlier run left ({@link #recover}). A full disk is a state of its own: writes are
 * skipped while it lasts, with one warning per {@link #FULL_WARNING_NANOS}.
 */
final class DiskStore implements TierStore {

    private static final System.Logger LOG = System.getLogger("parley.kv");

    /** How often a full disk is warned about: once, then at most once per interval while it stays full. */
    static final long FULL_WARNING_NANOS = 60_000_000_000L;

    /** How an entry becomes a file; tests put a full disk in its place. */
    @FunctionalInterface
    interface FileWrite {
        void write(Path target, byte[] fingerprint, KvEntry e, MemorySegment state) throws IOException;
    }

    private final Path dir;
    private final byte[] fingerprint;
    private final AtomicLong discarded = new AtomicLong();
    private volatile FileWrite fileWrite = DiskFiles::write;
    /** Whether the last write failed for a full disk (cleared by the next write that succeeds). */
    private volatile boolean full;
    /** On the writer thread: when a full disk was last warned about, and the entries skipped since. */
    private long fullWarnedAt;
    private long skippedSinceWarning;

    /** The store in {@code root}'s directory for {@code fingerprint}, created if missing. */
    DiskStore(Path root, byte[] fingerprint) {
        this.fingerprint = fingerprint;
        this.dir = root.resolve(Fingerprint.hex(fingerprint));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the KV disk tier directory " + dir, e);
        }
    }

    Path directory() {
        return dir;
    }

    /** Tests: writes go through {@code w} from now on. */
    void writeFilesWith(FileWrite w) {
        fileWrite = w;
    }

    /**
     * The entries an earlier run left for this fingerprint, least recently written first (so that LRU
     * order survives the restart). Unfinished writes are deleted; unreadable files are discarded.
     */
    List<KvEntry> recover() {
        record Found(KvEntry entry, long modified) {}
        List<Found> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(DiskFiles.TEMP_SUFFIX)) {
                    Files.deleteIfExists(f); // a write the last run did not finish
                } else if (name.endsWith(DiskFiles.SUFFIX)) {
                    try {
                        DiskFiles.Header h = DiskFiles.readHeader(f, fingerprint);
                        KvEntry e = new KvEntry(h.namespace(), h.tokens(), h.stateBytes());
                        e.where = KvEntry.Where.DISK;
                        e.file = f;
                        found.add(new Found(e, Files.getLastModifiedTime(f).toMillis()));
                    } catch (DiskFiles.Unreadable | IOException ex) {
                        discard(f, ex.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the KV disk tier directory " + dir, e);
        }
        found.sort(Comparator.comparingLong(Found::modified));
        return found.stream().map(Found::entry).toList();
    }

    @Override
    public long footprint(KvEntry e) {
        return DiskFiles.fileBytes(e.tokens.length, e.stateBytes);
    }

    /** The file of an entry on disk, read into {@code arena} and checked against its header and checksum. */
    @Override
    public MemorySegment read(KvEntry e, Arena arena) throws IOException, DiskFiles.Unreadable {
        return DiskFiles.readState(e.file, fingerprint, e, arena);
    }

    @Override
    public void free(KvEntry e) {
        delete(e.file);
    }

    /** A fresh name for the next file. */
    Path newFile() {
        return dir.resolve(Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + DiskFiles.SUFFIX);
    }

    /**
     * Writes {@code e}'s RAM buffer to {@code target} (on the writer thread; no lock held): the failure,
     * or null when the file is whole on disk. A write to a disk still full is not even attempted (it
     * would write a partial file, only to delete it).
     */
    IOException write(KvEntry e, Path target) {
        IOException failure = null;
        try {
            if (full && usableSpace() < footprint(e)) {
                throw new IOException("No space left on device (skipped: the disk tier's disk is full)");
            }
            fileWrite.write(target, fingerprint, e, e.state);
        } catch (IOException ex) {
            failure = ex;
        }
        noteDiskSpace(failure, target);
        return failure;
    }

    /**
     * After each write: a full disk is warned about once per interval (not once per entry: a busy
     * server saves several a second) and shows in {@link #full()}; any other failure is warned about
     * each time. The entry is dropped either way; the RAM tier and the slots go on.
     */
    private void noteDiskSpace(IOException failure, Path target) {
        if (failure == null) {
            if (full) {
                full = false;
                LOG.log(System.Logger.Level.INFO, "the KV disk tier writes again in " + dir + " (" + skippedSinceWarning + " entries skipped)");
                skippedSinceWarning = 0;
            }
            return;
        }
        if (!isDiskFull(failure)) {
            LOG.log(System.Logger.Level.WARNING, "cannot write a KV entry to " + target + ": " + failure.getMessage());
            return;
        }
        long now = System.nanoTime();
        skippedSinceWarning++;
        if (!full || now - fullWarnedAt >= FULL_WARNING_NANOS) {
            LOG.log(System.Logger.Level.WARNING, "the KV disk tier's disk is full (" + dir + "): entries are not saved to disk until space "
                    + "is freed (" + skippedSinceWarning + " skipped since the last warning)");
            fullWarnedAt = now;
            skippedSinceWarning = 0;
        }
        full = true;
    }

    static boolean isDiskFull(IOException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            m = fs.getReason();
        }
        return m.contains("No space left on device") || m.contains("Disk quota exceeded");
    }

    private long usableSpace() {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Whether the last write failed for a full disk: writes are skipped until space returns. */
    boolean full() {
        return full;
    }

    /** Files found unreadable and deleted since start. */
    long discarded() {
        return discarded.get();
    }

    /** Deletes a file that is not a sound entry, with a warning naming why. */
    void discard(Path f, String why) {
        discarded.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "discarding KV disk entry " + f.getFileName() + ": " + why);
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete " + f + ": " + e.getMessage());
        }
    }

    void delete(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ex) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete KV entry " + f + ": " + ex.getMessage());
        }
    }
}
