package dev.parley.server.modelref;

/**
 * What a model pull reports as it goes, in the steps Ollama's {@code /api/pull} streams: a status line
 * ("pulling manifest", "verifying sha256 digest", "success") and byte counts per file.
 */
public interface PullProgress {

    void status(String status);

    /** {@code completed} of {@code total} bytes of {@code file} (digest "sha256:<hex>" or null) are on disk. */
    void bytes(String file, String digest, long total, long completed);

    PullProgress NONE = new PullProgress() {
        @Override
        public void status(String status) {
        }

        @Override
        public void bytes(String file, String digest, long total, long completed) {
        }
    };

    /** A bar on a terminal, progress lines in the log otherwise. */
    static PullProgress console(boolean terminal) {
        return terminal ? new TerminalBar(System.err) : new LogLines();
    }
}
