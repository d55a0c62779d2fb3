package dev.parley.server.modelref;

import java.util.Locale;

/** Transfer rate since a start point, time left, and byte counts for people. */
final class RateMeter {

    private long startNanos = System.nanoTime();
    private long startBytes;

    void restart(long bytes) {
        startNanos = System.nanoTime();
        startBytes = bytes;
    }

    /** Bytes per second since the restart. */
    double rate(long bytes) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return seconds <= 0 ? 0 : (bytes - startBytes) / seconds;
    }

    String eta(long bytes, long total) {
        double r = rate(bytes);
        if (r <= 0 || total <= 0) {
            return "--:--";
        }
        long s = (long) ((total - bytes) / r);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
