package dev.parley.server.metrics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's memory as the kernel and the JVM count it, read at each scrape: what a soak watches
 * to tell a leak from the KV RAM tier filling up (or the heap growing to its limit). FFM arenas' native
 * memory (the saved KV states) shows in no JVM pool, only in the resident set and the tiers' own gauges.
 */
final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** Whether the kernel tells the resident set (Linux's /proc). */
    static boolean residentKnown() {
        return Files.isReadable(STATUS);
    }

    /** Resident set size in bytes (VmRSS of /proc/self/status), -1 when it cannot be read. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return parseKiB(line.substring("VmRSS:".length())) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // a gauge must not throw: the scrape shows -1
        }
        return -1;
    }

    /** {@code "  368120 kB"} as 368120. */
    static long parseKiB(String field) {
        String s = field.strip();
        int space = s.indexOf(' ');
        return Long.parseLong(space < 0 ? s : s.substring(0, space));
    }

    static long heapUsedBytes() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long heapCommittedBytes() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    }
}
