package dev.parley.runtime.kv;

/**
 * Whether fetching a state from the shared tier beats prefilling its tokens: its round trip plus its
 * size over the measured transfer rate, against its tokens over the measured prefill rate. Both rates
 * start from priors (a loopback or LAN store, a modest GPU) and follow what is measured, as moving
 * averages. Prefill is taken as linear in tokens, which flatters long prompts' prefill (attention
 * grows with length): the error leans towards fetching, the cheaper mistake for long histories.
 */
final class RestoreCost {

    private static final double ALPHA = 0.3;
    private double latencyNanos = 2e6;
    private double bytesPerNano = 0.2; // 200 MB/s
    private double tokensPerNano = 2e-6; // 2,000 tokens/s

    synchronized boolean worthFetching(long bytes, int tokens) {
        return latencyNanos + bytes / bytesPerNano < tokens / tokensPerNano;
    }

    /** A lookup's round trip (an index read: no payload to speak of). */
    synchronized void noteRoundTrip(long nanos) {
        latencyNanos += ALPHA * (nanos - latencyNanos);
    }

    synchronized void noteTransfer(long bytes, long nanos) {
        if (bytes < 64 << 10) {
            return; // a small read is all latency: it says nothing of the rate
        }
        double rate = bytes / Math.max(1.0, nanos - latencyNanos);
        bytesPerNano += ALPHA * (rate - bytesPerNano);
    }

    synchronized void notePrefill(int tokens, long nanos) {
        if (tokens < 64 || nanos <= 0) {
            return; // a short prefill is mostly fixed cost
        }
        tokensPerNano += ALPHA * ((double) tokens / nanos - tokensPerNano);
    }

    synchronized String describe() {
        return String.format(java.util.Locale.ROOT, "round trip %.1f ms, %.0f MB/s, prefill %.0f tokens/s", latencyNanos / 1e6,
                bytesPerNano * 1e3, tokensPerNano * 1e9);
    }
}
