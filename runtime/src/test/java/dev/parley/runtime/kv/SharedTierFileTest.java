package dev.parley.runtime.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared-tier contract on a directory ({@code file://}), and what only files can do: be cut short, be left half-written. */
class SharedTierFileTest extends SharedTierContract {

    @TempDir
    Path root;
    private Path away;

    @Override
    String url() {
        return root.toUri().toString().replaceFirst("^file:/+", "file:///");
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().endsWith(".kv")).toList();
        }
    }

    @Override
    void corruptTheEntry() throws IOException {
        Path f = entries().getFirst();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            long at = ch.size() / 2;
            ch.read(b, at);
            b.put(0, (byte) ~b.get(0)).rewind();
            ch.write(b, at);
        }
    }

    @Override
    void takeDown() throws IOException {
        away = root.resolveSibling(root.getFileName() + "-unmounted");
        Files.move(root, away);
    }

    @Override
    void restore() throws IOException {
        Files.move(away, root);
    }

    @Test
    void aTruncatedFileIsAMissAndIsDeleted() throws Exception {
        int[] history = tokens(200, 21);
        put(tier(), "alice", history, 50_000, 22);
        Path f = entries().getFirst();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1000);
        }
        assertNull(tier().lookup("alice", history, history.length));
        assertTrue(entries().isEmpty(), "the cut file is deleted");
    }

    @Test
    void aWriteLeftHalfDoneByADeadReplicaIsNeverRead() throws Exception {
        int[] history = tokens(200, 23);
        put(tier(), "alice", history, 50_000, 24);
        Path f = entries().getFirst();
        // What a replica killed mid-write leaves: its own temporary file, never renamed into place.
        Path tmp = f.resolveSibling(f.getFileName() + ".dead.tmp");
        Files.write(tmp, Files.readAllBytes(f), StandardOpenOption.CREATE_NEW);
        Files.delete(f);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        assertNull(tier().lookup("alice", history, history.length), "only whole, renamed files are entries");
        assertEquals(0, tier().stats().hits());
    }
}
