package dev.parley.runtime.kv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The file of one disk-tier entry:
 * {@code magic, version, fingerprint[32], namespace, tokenCount, tokens[tokenCount], stateBytes, state, crc32c}
 * (little-endian; the checksum covers everything before it). Files are written under a temporary
 * name, forced to disk and renamed, so a half-written file is never loadable.
 */
final class DiskFiles {

    static final String SUFFIX = ".kv";
    static final String TEMP_SUFFIX = ".kv.tmp";
    private static final int MAGIC = 0x31564B50; // "PKV1"
    private static final int VERSION = 1;
    private static final int FIXED = 4 + 4 + Fingerprint.BYTES + 8 + 4;
    /** Larger slices than this go through several ByteBuffers (which are int-indexed). */
    private static final long SLICE = 1L << 30;

    /** A file that is not a loadable entry for this fingerprint. */
    static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    record Header(long namespace, int[] tokens, long stateBytes, long fileBytes) {}

    private DiskFiles() {
    }

    static long fileBytes(int tokens, long stateBytes) {
        return FIXED + 4L * tokens + 8 + stateBytes + 8;
    }

    /** Writes {@code e}'s state to {@code target} atomically. */
    static void write(Path target, byte[] fingerprint, KvEntry e, MemorySegment state) throws IOException {
        write(target, target.resolveSibling(target.getFileName() + ".tmp"), fingerprint, e.namespace, e.tokens, e.stateBytes, state);
    }

    /**
     * Writes a state to {@code target} atomically through {@code tmp} (forced to disk, then renamed over
     * the target): a reader sees the old file or the whole new one, never part of it. Writers sharing a
     * directory each pass their own {@code tmp}.
     */
    static void write(Path target, Path tmp, byte[] fingerprint, long namespace, int[] tokens, long stateBytes, MemorySegment state)
            throws IOException {
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer head = head(fingerprint, namespace, tokens, stateBytes);
            crc.update(head.duplicate());
            writeFully(ch, head);
            for (long off = 0; off < stateBytes; off += SLICE) {
                ByteBuffer b = state.asSlice(off, Math.min(SLICE, stateBytes - off)).asByteBuffer();
                crc.update(b.duplicate());
                writeFully(ch, b);
            }
            ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(crc.getValue()).flip();
            writeFully(ch, tail);
            ch.force(true);
        } catch (IOException | RuntimeException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Everything before the state: magic, version, fingerprint, namespace, tokens, state size (ready to read). */
    static ByteBuffer head(byte[] fingerprint, long namespace, int[] tokens, long stateBytes) {
        ByteBuffer head = ByteBuffer.allocate(FIXED + 4 * tokens.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(MAGIC).putInt(VERSION).put(fingerprint).putLong(namespace).putInt(tokens.length);
        for (int t : tokens) {
            head.putInt(t);
        }
        return head.putLong(stateBytes).flip();
    }

    /** An entry read whole into memory: its header and its state (a slice of the bytes read). */
    record Parsed(Header header, MemorySegment state) {}

    /**
     * Checks bytes laid out as a file of this format (the shared tier keeps them in chunks): magic,
     * version, fingerprint, lengths, then the checksum over all of it.
     */
    static Parsed parse(MemorySegment all, byte[] fingerprint) throws Unreadable {
        long size = all.byteSize();
        checkSize(size);
        Fixed f = fixed(all.asSlice(0, FIXED).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), size, fingerprint);
        Header h = header(f, all.asSlice(FIXED, 4L * f.count() + 8).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), size);
        long stateBytes = h.stateBytes();
        long body = size - 8;
        CRC32C crc = new CRC32C();
        for (long off = 0; off < body; off += SLICE) {
            crc.update(all.asSlice(off, Math.min(SLICE, body - off)).asByteBuffer());
        }
        if (all.asSlice(body, 8).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong() != crc.getValue()) {
            throw new Unreadable("checksum mismatch");
        }
        return new Parsed(h, all.asSlice(body - stateBytes, stateBytes));
    }

    /** What the fixed part of an entry says: its owner namespace and its token count. */
    private record Fixed(long namespace, int count) {}

    private static void checkSize(long size) throws Unreadable {
        if (size < FIXED + 16) {
            throw new Unreadable("truncated (" + size + " bytes)");
        }
    }

    /** The fixed part, checked against the version, the fingerprint and the entry's size. */
    private static Fixed fixed(ByteBuffer fixed, long size, byte[] fingerprint) throws Unreadable {
        if (fixed.getInt() != MAGIC || fixed.getInt() != VERSION) {
            throw new Unreadable("not a Parley KV entry of version " + VERSION);
        }
        byte[] fp = new byte[Fingerprint.BYTES];
        fixed.get(fp);
        if (!Arrays.equals(fp, fingerprint)) {
            throw new Unreadable("made for another model or KV layout (fingerprint " + Fingerprint.hex(fp) + ")");
        }
        long namespace = fixed.getLong();
        int count = fixed.getInt();
        if (count < 1 || FIXED + 4L * count + 16 > size) {
            throw new Unreadable("bad token count " + count);
        }
        return new Fixed(namespace, count);
    }

    /** The header from the fixed part and what follows it (the tokens, the state's length), checked against the size. */
    private static Header header(Fixed f, ByteBuffer rest, long size) throws Unreadable {
        int[] tokens = new int[f.count()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rest.getInt();
        }
        long stateBytes = rest.getLong();
        if (stateBytes < 1 || fileBytes(f.count(), stateBytes) != size) {
            throw new Unreadable("truncated or padded: " + size + " bytes, the header says " + (stateBytes < 1 ? "?" : fileBytes(f.count(), stateBytes)));
        }
        return new Header(f.namespace(), tokens, stateBytes, size);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** The header of a file, checked against the fingerprint and the file's length. */
    static Header readHeader(Path file, byte[] fingerprint) throws IOException, Unreadable {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            checkSize(size);
            Fixed f = fixed(readAt(ch, 0, FIXED), size, fingerprint);
            return header(f, readAt(ch, FIXED, 4 * f.count() + 8), size);
        }
    }

    /**
     * The state of {@code e}, read from its file into {@code arena} after checking the header, then
     * checked against the checksum. The scheduler calls this for an entry it is about to restore.
     */
    static MemorySegment readState(Path file, byte[] fingerprint, KvEntry e, Arena arena) throws IOException, Unreadable {
        Header h = readHeader(file, fingerprint);
        if (h.namespace() != e.namespace || !Arrays.equals(h.tokens(), e.tokens) || h.stateBytes() != e.stateBytes) {
            throw new Unreadable("changed since it was indexed");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // Read, not mapped: a file cut short under a mapping would fault inside llama.cpp.
            MemorySegment all = arena.allocate(h.fileBytes(), 64);
            for (long off = 0; off < h.fileBytes(); off += SLICE) {
                ByteBuffer b = all.asSlice(off, Math.min(SLICE, h.fileBytes() - off)).asByteBuffer();
                while (b.hasRemaining()) {
                    if (ch.read(b, off + b.position()) < 0) {
                        throw new Unreadable("truncated while reading");
                    }
                }
            }
            long body = h.fileBytes() - 8;
            CRC32C crc = new CRC32C();
            for (long off = 0; off < body; off += SLICE) {
                crc.update(all.asSlice(off, Math.min(SLICE, body - off)).asByteBuffer());
            }
            long stored = all.asSlice(body, 8).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (stored != crc.getValue()) {
                throw new Unreadable("checksum mismatch");
            }
            long stateAt = body - h.stateBytes();
            return all.asSlice(stateAt, h.stateBytes());
        }
    }

    private static ByteBuffer readAt(FileChannel ch, long at, int n) throws IOException, Unreadable {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new Unreadable("truncated");
            }
        }
        return b.flip();
    }
}
