package dev.parley.server.http;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The heap that request bodies being read and parsed may take at once. Parsing JSON made of many
 * small objects costs far more heap than the body's bytes (about 55 bytes per byte measured for a
 * 10 MB body of small objects), so each body reserves {@link #HEAP_PER_BODY_BYTE} times its size
 * before it is read and keeps the reservation until its request ends. A body that cannot get its
 * share within {@link #WAIT} is refused with 503, one larger than the whole budget with 413: no mix
 * of legal requests can run the JVM out of memory while parsing.
 */
public final class BodyBudget {

    /** Heap reserved per byte of body: the parsed tree, the raw bytes and the strings taken from it. */
    public static final int HEAP_PER_BODY_BYTE = 64;
    /** How long a body waits for budget before its 503. */
    static final Duration WAIT = Duration.ofSeconds(2);

    private final long totalBytes;
    /** One permit per KiB, so that budgets of terabytes fit an int. */
    private final Semaphore kib;

    public BodyBudget(long totalBytes) {
        this.totalBytes = totalBytes;
        this.kib = new Semaphore((int) Math.min(Integer.MAX_VALUE, totalBytes / 1024));
    }

    /** The default: half the heap the JVM may grow to. */
    public static long defaultBytes() {
        return Runtime.getRuntime().maxMemory() / 2;
    }

    public long totalBytes() {
        return totalBytes;
    }

    /** The largest body this budget can ever admit. */
    public long largestBody() {
        return totalBytes / HEAP_PER_BODY_BYTE;
    }

    /** Why a reservation failed. */
    enum Refusal { NONE, TOO_LARGE, BUSY }

    /** Takes the heap share for {@code bodyBytes} more bytes of body, waiting up to {@link #WAIT}. */
    Refusal reserve(int units) throws InterruptedException {
        if ((long) units * 1024 > totalBytes) {
            return Refusal.TOO_LARGE;
        }
        return kib.tryAcquire(units, WAIT.toMillis(), TimeUnit.MILLISECONDS) ? Refusal.NONE : Refusal.BUSY;
    }

    void release(int units) {
        kib.release(units);
    }

    /** The permits a body of this many bytes needs. */
    static int units(long bodyBytes) {
        return (int) Math.min(Integer.MAX_VALUE, Math.ceilDiv(bodyBytes * HEAP_PER_BODY_BYTE, 1024));
    }
}
