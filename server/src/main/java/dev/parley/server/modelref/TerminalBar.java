package dev.parley.server.modelref;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar redrawn in place: file, bar, bytes, rate, time left. */
final class TerminalBar implements PullProgress {

    private final PrintStream out;
    private final RateMeter meter = new RateMeter();
    private long lastDraw;
    private String file;

    TerminalBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public synchronized void status(String status) {
        if (file != null) {
            out.println();
            file = null;
        }
        out.println("parley: " + status);
    }

    @Override
    public synchronized void bytes(String name, String digest, long total, long completed) {
        if (!name.equals(file)) {
            if (file != null) {
                out.println();
            }
            if (completed >= total && total > 0) {
                // the first report of a file is what was there before: all of it means it is cached
                out.println("parley: " + name + " is in the cache (" + RateMeter.bytes(total) + ")");
                file = null;
                return;
            }
            file = name;
            meter.restart(completed);
        }
        long now = System.nanoTime();
        if (now - lastDraw < 100_000_000L && completed < total) {
            return;
        }
        lastDraw = now;
        double rate = meter.rate(completed);
        int width = 30;
        int filled = total > 0 ? (int) (width * completed / total) : 0;
        String shortName = name.length() > 32 ? "…" + name.substring(name.length() - 31) : name;
        out.print(String.format(Locale.ROOT, "\r%-32s [%s%s] %s / %s  %s/s  ETA %s\033[K", shortName, "=".repeat(filled), " ".repeat(width - filled),
                RateMeter.bytes(completed), RateMeter.bytes(total), RateMeter.bytes((long) rate), meter.eta(completed, total)));
        out.flush();
    }
}
