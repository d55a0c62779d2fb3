package dev.parley.runtime.grammar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link GrammarReplay} in a child JVM, so that llama.cpp ending the process (an abort is exit
 * 134, a segmentation fault 139) fails a test instead of killing the test JVM.
 *
 * @param exitCode the child's exit status
 * @param outcomes per input file name, "REFUSED reason" or "RAN tokens"; inputs never finished are absent
 * @param lastBegun the input the child was on when it ended, or null if it finished them all
 * @param stderrTail the end of the child's standard error
 */
record ChildReplay(int exitCode, Map<String, String> outcomes, String lastBegun, String stderrTail) {

    /** The longest one input may run: 20 times what the slowest accepted grammar takes on an idle machine. */
    static final java.time.Duration STALL = java.time.Duration.ofSeconds(90);
    static final java.time.Duration TOTAL = java.time.Duration.ofMinutes(15);

    static ChildReplay run(Path model, boolean checked, int steps, List<Path> inputs, Path workDir) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        for (String key : List.of("parley.root", "parley.llama.version", "java.util.logging.config.file")) {
            String value = System.getProperty(key);
            if (value != null) {
                cmd.add("-D" + key + "=" + value);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(GrammarReplay.class.getName());
        cmd.add(model.toString());
        cmd.add(checked ? "checked" : "unchecked");
        cmd.add(Integer.toString(steps));
        for (Path p : inputs) {
            cmd.add(p.toAbsolutePath().toString());
        }
        Path stdout = workDir.resolve("replay.out");
        Path stderr = workDir.resolve("replay.err");
        Process child = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        // A watchdog on progress, not on the whole run: a hung input is one that finishes nothing for
        // STALL, however many inputs there are and however busy the machine is (the fuzzer adds
        // inputs at the bounds, each slow but bounded). The whole run still has a cap.
        long deadline = System.nanoTime() + TOTAL.toNanos();
        long lastSize = -1;
        long lastProgress = System.nanoTime();
        while (!child.waitFor(1, TimeUnit.SECONDS)) {
            long size = Files.exists(stdout) ? Files.size(stdout) : 0;
            long now = System.nanoTime();
            if (size != lastSize) {
                lastSize = size;
                lastProgress = now;
            }
            if (now - lastProgress > STALL.toNanos() || now > deadline) {
                child.destroyForcibly().waitFor();
                break;
            }
        }
        Map<String, String> outcomes = new LinkedHashMap<>();
        String begun = null;
        for (String line : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
            String[] parts = line.split(" ", 3);
            switch (parts[0]) {
                case "BEGIN" -> begun = parts[1];
                case "REFUSED", "RAN" -> {
                    outcomes.put(parts[1], parts[0] + (parts.length > 2 ? " " + parts[2] : ""));
                    begun = null;
                }
                default -> { }
            }
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        return new ChildReplay(child.exitValue(), outcomes, begun, err.substring(Math.max(0, err.length() - 2000)));
    }

    /** A failure message naming the input that ended the child, or null when the child ended cleanly. */
    String crash() {
        if (exitCode == 0) {
            return null;
        }
        String how = switch (exitCode) {
            case 134 -> "aborted (SIGABRT: a C++ exception or GGML_ABORT)";
            case 139 -> "segmentation fault (SIGSEGV: e.g. a native stack overflow)";
            case 137 -> "killed (no input finished for " + STALL.toSeconds() + " s, the run passed " + TOTAL.toMinutes()
                    + " min, or out of memory)";
            default -> "exit status " + exitCode;
        };
        return "llama.cpp ended the child process on input '" + lastBegun + "': " + how + "\n" + stderrTail;
    }
}
