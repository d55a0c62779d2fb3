package dev.parley.bindgen;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Checks Java struct layouts against the C compiler: writes a C program that prints sizeof, _Alignof
 * and offsetof for every struct and named field, compiles it with gcc against the same headers, runs
 * it, and compares. Independent of castxml (which the layouts came from), so it catches a generator bug.
 */
public final class LayoutProbe {

    private LayoutProbe() {
    }

    /** Returns one line per disagreement; empty when every struct matches. */
    public static List<String> mismatches(List<String> headers, List<Path> includeDirs, List<StructLayout> layouts, String... extraCflags)
            throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("layout-probe");
        try {
            StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n");
            for (String h : headers) {
                c.append("#include \"").append(h).append("\"\n");
            }
            c.append("int main(void) {\n");
            for (StructLayout s : layouts) {
                String name = s.name().orElseThrow();
                c.append("  printf(\"S ").append(name).append(" %zu %zu\\n\", sizeof(struct ").append(name)
                 .append("), _Alignof(struct ").append(name).append("));\n");
                for (MemoryLayout m : s.memberLayouts()) {
                    if (m instanceof PaddingLayout || m.name().isEmpty()) {
                        continue;
                    }
                    String f = m.name().get();
                    c.append("  printf(\"F ").append(name).append(' ').append(f).append(" %zu\\n\", offsetof(struct ")
                     .append(name).append(", ").append(f).append("));\n");
                }
            }
            c.append("  return 0;\n}\n");
            Path src = Files.writeString(work.resolve("probe.c"), c);
            Path exe = work.resolve("probe");
            List<String> cc = new ArrayList<>(List.of("gcc", "-std=c11", "-o", exe.toString(), src.toString()));
            for (Path d : includeDirs) {
                cc.add("-I" + d);
            }
            cc.addAll(List.of(extraCflags));
            String compiled = run(cc);
            if (!Files.isExecutable(exe)) {
                throw new IOException("gcc could not compile the layout probe:\n" + compiled);
            }
            List<String> problems = new ArrayList<>();
            for (String line : run(List.of(exe.toString())).lines().toList()) {
                String[] w = line.split(" ");
                StructLayout s = layouts.stream().filter(l -> l.name().orElse("").equals(w[1])).findFirst().orElseThrow();
                if (w[0].equals("S")) {
                    compare(problems, w[1] + " size", Long.parseLong(w[2]), s.byteSize());
                    compare(problems, w[1] + " alignment", Long.parseLong(w[3]), s.byteAlignment());
                } else {
                    long javaOffset = s.byteOffset(MemoryLayout.PathElement.groupElement(w[2]));
                    compare(problems, w[1] + "." + w[2] + " offset", Long.parseLong(w[3]), javaOffset);
                }
            }
            return problems;
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void compare(List<String> problems, String what, long c, long java) {
        if (c != java) {
            problems.add(what + ": C says " + c + ", Java layout says " + java);
        }
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd.getFirst() + " timed out");
        }
        return out;
    }

    /** The named members of a group layout, for tests that want to list them. */
    public static List<String> fieldNames(GroupLayout layout) {
        return layout.memberLayouts().stream().filter(m -> !(m instanceof PaddingLayout)).map(m -> m.name().orElseThrow()).toList();
    }
}
