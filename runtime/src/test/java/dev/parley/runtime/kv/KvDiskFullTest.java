package dev.parley.runtime.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk tier on a full disk: entries are skipped with one warning, nothing half-written stays, and it writes again when space returns. */
class KvDiskFullTest {

    private static final byte[] FP = new byte[Fingerprint.BYTES];
    private static final long STATE = 1000;

    @TempDir
    Path root;

    private static int[] tokens(int seed) {
        int[] t = new int[64];
        for (int i = 0; i < t.length; i++) {
            t[i] = seed * 10_000 + i;
        }
        return t;
    }

    private static void save(KvTiers t, int seed) {
        KvTiers.Store s = t.prepareStore(null, tokens(seed), 64, STATE, false);
        assertNotNull(s);
        s.segment().fill((byte) seed);
        t.completeStore(s, STATE);
        t.awaitWrites();
    }

    @Test
    void aFullDiskSkipsWritesWithOneWarningAndRecoversWhenSpaceReturns() throws IOException {
        List<LogRecord> warnings = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger("parley.kv");
        log.addHandler(capture);
        // No RAM budget: every saved entry goes to the disk writer.
        try (KvTiers t = KvTiers.open(new KvSettings(0, 1 << 20, root, Duration.ZERO), FP)) {
            t.writeFilesWith((target, fp, e, state) -> {
                throw new IOException("No space left on device");
            });
            for (int i = 1; i <= 5; i++) {
                save(t, i);
            }
            assertTrue(t.diskFull());
            assertEquals(0, t.stats().diskEntries());
            assertEquals(1, warnings.size(), "one warning while the disk stays full, not one per entry: " + warnings);
            assertTrue(warnings.getFirst().getMessage().contains("disk is full"), warnings.getFirst().getMessage());

            t.writeFilesWith(DiskFiles::write); // space is back
            save(t, 6);
            assertFalse(t.diskFull());
            assertEquals(1, t.stats().diskEntries());
            assertEquals(KvTiers.Tier.DISK, t.lookup(null, tokens(6), 64).tier());
        } finally {
            log.removeHandler(capture);
        }
        try (Stream<Path> files = Files.walk(root)) {
            assertEquals(1, files.filter(Files::isRegularFile).count(), "only the entry written after space returned");
        }
    }
}
