package dev.parley.runtime.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The calls of one message as markup readers find them: the call being read (name, id, arguments so
 * far) and the finished ones. Emits {@link ToolCallEvent}s: a call is announced once its name is known,
 * its arguments go out as they arrive (buffered until then), nothing is emitted for a call that never
 * gets a name.
 */
final class Calls {
    private final Supplier<String> ids;
    private final List<ToolCall> finished = new ArrayList<>();
    private Consumer<ToolCallEvent> out;

    private String name;
    private String id;
    private final StringBuilder args = new StringBuilder();
    private int argsSent;
    private boolean started;
    private boolean open;

    Calls(Supplier<String> ids) {
        this.ids = ids;
    }

    void output(Consumer<ToolCallEvent> out) {
        this.out = out;
    }

    /** A new call begins (its markup opened). */
    void begin() {
        name = null;
        id = null;
        args.setLength(0);
        argsSent = 0;
        started = false;
        open = true;
    }

    boolean open() {
        return open;
    }

    boolean started() {
        return started;
    }

    void name(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    void id(String id) {
        if (!started && id != null && !id.isBlank()) {
            this.id = id;
        }
    }

    /** Announces the call (its name must be known). */
    void start() {
        if (!started) {
            started = true;
            if (id == null) {
                id = ids.get();
            }
            out.accept(new ToolCallEvent.CallStarted(finished.size(), id, name));
        }
    }

    void appendArgs(char c) {
        args.append(c);
    }

    /** The arguments arrived as one JSON string holding the JSON text: replaces what was read. */
    void replaceArgs(String json) {
        args.setLength(0);
        args.append(json);
        argsSent = 0;
    }

    String args() {
        return args.toString();
    }

    /** Sends the arguments read since the last flush, once the call is announced. */
    void flush() {
        if (started && argsSent < args.length()) {
            out.accept(new ToolCallEvent.ArgumentsDelta(finished.size(), args.substring(argsSent)));
            argsSent = args.length();
        }
    }

    /** The call is complete: announces it if it was not yet, sends the last arguments, records it. */
    void finish() {
        if (args.isEmpty()) {
            args.append("{}");
        }
        start();
        flush();
        ToolCall call = new ToolCall(id, name, args.toString());
        out.accept(new ToolCallEvent.CallFinished(finished.size(), call));
        finished.add(call);
        open = false;
    }

    /** The call's markup broke off: it is dropped (already-sent events cannot be taken back). */
    void abandon() {
        open = false;
    }

    /** How many calls are complete. */
    int count() {
        return finished.size();
    }

    List<ToolCall> finished() {
        return List.copyOf(finished);
    }
}
