package dev.parley.bindings;

import dev.parley.bindings.llama.Llama;
import dev.parley.bindings.llama.ggml_log_callback;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes llama.cpp's and ggml's log into Java logging (logger {@code llama.cpp}).
 *
 * <p>llama.cpp's INFO is chatty (every metadata key of a model), so it maps to DEBUG; WARN and ERROR
 * keep their level. A thread can also capture the warnings and errors logged while it calls into
 * llama.cpp, so that a failed call (which returns only NULL) can say why.
 */
public final class NativeLog {

    private static final System.Logger LOG = System.getLogger("llama.cpp");
    private static final ThreadLocal<StringBuilder> PENDING = ThreadLocal.withInitial(StringBuilder::new);
    private static final ThreadLocal<int[]> PENDING_LEVEL = ThreadLocal.withInitial(() -> new int[] {Llama.GGML_LOG_LEVEL_INFO});
    private static final ThreadLocal<Capture> CAPTURE = new ThreadLocal<>();
    private static boolean installed;

    private NativeLog() {
    }

    static synchronized void install() {
        if (installed) {
            return;
        }
        MemorySegment callback = ggml_log_callback.allocate(NativeLog::onLog, Arena.global());
        Llama.llama_log_set(callback, MemorySegment.NULL);
        installed = true;
    }

    /** This thread's capture: its lines, and whether they are logged at DEBUG instead of their own level. */
    private record Capture(List<String> lines, boolean quiet) {}

    /** Starts collecting this thread's native warnings and errors; pair with {@link #endCapture()}. */
    public static void beginCapture() {
        CAPTURE.set(new Capture(new ArrayList<>(), false));
    }

    /**
     * Like {@link #beginCapture()}, for a call whose failure is an outcome the caller handles and reports
     * itself (a state restore refused for want of room): the warnings and errors are logged at DEBUG,
     * so that an expected refusal never shows as an error of llama.cpp's.
     */
    public static void beginQuietCapture() {
        CAPTURE.set(new Capture(new ArrayList<>(), true));
    }

    /** The warnings and errors logged on this thread since {@link #beginCapture()}; ends the capture. */
    public static List<String> endCapture() {
        Capture capture = CAPTURE.get();
        CAPTURE.remove();
        return capture == null ? List.of() : capture.lines();
    }

    /** The upcall. It must never throw: an exception escaping an upcall terminates the JVM. */
    private static void onLog(int level, MemorySegment text, MemorySegment userData) {
        try {
            String piece = text.equals(MemorySegment.NULL) ? "" : text.reinterpret(Long.MAX_VALUE).getString(0);
            StringBuilder pending = PENDING.get();
            if (level != Llama.GGML_LOG_LEVEL_CONT) {
                if (!pending.isEmpty()) {
                    flush(pending);
                }
                PENDING_LEVEL.get()[0] = level;
            }
            pending.append(piece);
            if (piece.endsWith("\n")) {
                flush(pending);
            }
        } catch (Throwable ignored) {
            // Nothing may escape; a lost log line is the lesser evil.
        }
    }

    private static void flush(StringBuilder pending) {
        String line = pending.toString().stripTrailing();
        pending.setLength(0);
        if (line.isEmpty()) {
            return;
        }
        int level = PENDING_LEVEL.get()[0];
        System.Logger.Level javaLevel = switch (level) {
            case Llama.GGML_LOG_LEVEL_ERROR -> System.Logger.Level.ERROR;
            case Llama.GGML_LOG_LEVEL_WARN -> System.Logger.Level.WARNING;
            case Llama.GGML_LOG_LEVEL_DEBUG -> System.Logger.Level.TRACE;
            default -> System.Logger.Level.DEBUG;
        };
        if (level == Llama.GGML_LOG_LEVEL_ERROR || level == Llama.GGML_LOG_LEVEL_WARN) {
            Capture capture = CAPTURE.get();
            if (capture != null) {
                capture.lines().add(line);
                if (capture.quiet()) {
                    javaLevel = System.Logger.Level.DEBUG;
                }
            }
        }
        LOG.log(javaLevel, line);
    }
}
