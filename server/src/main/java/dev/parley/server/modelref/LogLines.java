package dev.parley.server.modelref;

/** Progress as log lines every few seconds, for a service whose output goes to a journal, not a terminal. */
final class LogLines implements PullProgress {

    private static final System.Logger LOG = System.getLogger("parley");
    private static final long EVERY_NANOS = 5_000_000_000L;

    private final RateMeter meter = new RateMeter();
    private String file;
    private long lastLine;

    @Override
    public synchronized void status(String status) {
        LOG.log(System.Logger.Level.INFO, status);
    }

    @Override
    public synchronized void bytes(String name, String digest, long total, long completed) {
        long now = System.nanoTime();
        if (!name.equals(file)) {
            file = name;
            meter.restart(completed);
            lastLine = now;
            // a download's first report is what was there before it: all of it means nothing to fetch
            LOG.log(System.Logger.Level.INFO, completed >= total && total > 0 ? name + " is in the cache (" + RateMeter.bytes(total) + ")"
                    : "downloading " + name + " (" + RateMeter.bytes(total) + (completed > 0 ? ", resuming at " + RateMeter.bytes(completed) : "") + ")");
            return;
        }
        if (now - lastLine < EVERY_NANOS && completed < total) {
            return;
        }
        lastLine = now;
        LOG.log(System.Logger.Level.INFO, String.format(java.util.Locale.ROOT, "downloading %s: %s of %s (%d%%), %s/s, ETA %s", name,
                RateMeter.bytes(completed), RateMeter.bytes(total), total > 0 ? 100 * completed / total : 0,
                RateMeter.bytes((long) meter.rate(completed)), meter.eta(completed, total)));
    }
}
