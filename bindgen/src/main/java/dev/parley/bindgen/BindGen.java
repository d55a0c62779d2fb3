package dev.parley.bindgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Generates Java FFM bindings from C headers: castxml (clang) parses the headers and reports every
 * struct's size, alignment and field offsets; {@link JavaEmitter} turns what the spec lists into Java.
 *
 * <pre>BindGen --spec FILE --source-root DIR --out DIR [--castxml PATH]</pre>
 * {@code --out} is the source root (e.g. bindings/src/main/java); the package directory below it is
 * replaced wholly, so a function dropped from the spec disappears from the sources.
 */
public final class BindGen {

    private BindGen() {
    }

    public static void main(String[] argv) throws Exception {
        Path spec = null, sourceRoot = null, out = null;
        String castxml = "castxml";
        for (int i = 0; i < argv.length; i++) {
            String value = i + 1 < argv.length ? argv[i + 1] : null;
            switch (argv[i]) {
                case "--spec" -> { spec = Path.of(value); i++; }
                case "--source-root" -> { sourceRoot = Path.of(value); i++; }
                case "--out" -> { out = Path.of(value); i++; }
                case "--castxml" -> { castxml = value; i++; }
                default -> {
                    System.err.println("usage: BindGen --spec FILE --source-root DIR --out DIR [--castxml PATH]");
                    System.exit(2);
                }
            }
        }
        if (spec == null || sourceRoot == null || out == null) {
            System.err.println("usage: BindGen --spec FILE --source-root DIR --out DIR [--castxml PATH]");
            System.exit(2);
        }
        Spec parsed = Spec.parse(spec);
        Path dir = out.resolve(parsed.packageName().replace('.', '/'));
        writePackage(dir, generate(parsed, sourceRoot, castxml));
        System.err.println("bindgen: wrote " + dir);
    }

    /** Runs castxml on the spec's headers and returns the generated files (name to content). */
    public static Map<String, String> generate(Spec spec, Path sourceRoot, String castxml) throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("bindgen");
        try {
            Path in = work.resolve("bindgen-input.c");
            StringBuilder c = new StringBuilder();
            for (String h : spec.headers()) {
                c.append("#include \"").append(h).append("\"\n");
            }
            Files.writeString(in, c);
            Path xml = work.resolve("castxml.xml");
            List<String> cmd = new ArrayList<>(List.of(castxml, "--castxml-output=1", "--castxml-cc-gnu-c", "gcc", "-std=c11"));
            for (String d : spec.includeDirs()) {
                cmd.add("-I" + sourceRoot.resolve(d));
            }
            cmd.addAll(List.of(in.toString(), "-o", xml.toString()));
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IOException("cannot run '" + castxml + "' (install Debian's castxml package): " + e.getMessage(), e);
            }
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("castxml failed on " + spec.headers() + ":\n" + output);
            }
            return new JavaEmitter(spec, CastXml.read(xml)).emit();
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void writePackage(Path dir, Map<String, String> files) throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> old = Files.list(dir)) {
                for (Path f : old.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Files.delete(f);
                }
            }
        }
        Files.createDirectories(dir);
        for (Map.Entry<String, String> e : files.entrySet()) {
            Files.writeString(dir.resolve(e.getKey()), e.getValue());
        }
    }
}
