package dev.parley.server.threads;

/**
 * A thread's context settings: its {@code context_overflow} policy ("error", "truncate", "summarize"; null
 * when it names none) and the summary the model wrote of its oldest messages (null until one was needed),
 * covering every message up to position {@code summaryThrough}, the last of them {@code summaryMessageId}.
 */
public record ThreadContext(String overflow, String summary, int summaryThrough, String summaryMessageId, long summaryAt) {

    public static final ThreadContext NONE = new ThreadContext(null, null, -1, null, 0);

    public boolean hasSummary() {
        return summary != null;
    }
}
