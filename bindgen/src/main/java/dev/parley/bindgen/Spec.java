package dev.parley.bindgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What to bind from a set of C headers: an explicit list, so that an upgrade of the headers
 * changes only what Parley uses and nothing is bound by accident.
 */
public record Spec(
        String packageName,
        String className,
        String lookupExpression,
        List<String> includeDirs,
        List<String> headers,
        List<String> structs,
        List<String> enums,
        List<String> callbacks,
        List<FunctionSpec> functions,
        Path origin) {

    /** A function to bind; {@code critical} ones are short, never call back and never block. */
    public record FunctionSpec(String name, boolean critical) {}

    public static Spec parse(Path file) throws IOException {
        String pkg = null, cls = null, lookup = null;
        List<String> includeDirs = new ArrayList<>(), headers = new ArrayList<>(), structs = new ArrayList<>(),
                enums = new ArrayList<>(), callbacks = new ArrayList<>();
        List<FunctionSpec> functions = new ArrayList<>();
        int lineNo = 0;
        for (String raw : Files.readAllLines(file)) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split("\\s+");
            String arg = words.length > 1 ? words[1] : null;
            if (arg == null) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": '" + words[0] + "' needs an argument");
            }
            switch (words[0]) {
                case "package" -> pkg = arg;
                case "class" -> cls = arg;
                case "lookup" -> lookup = arg;
                case "include-dir" -> includeDirs.add(arg);
                case "header" -> headers.add(arg);
                case "struct" -> structs.add(arg);
                case "enum" -> enums.add(arg);
                case "callback" -> callbacks.add(arg);
                case "function" -> functions.add(new FunctionSpec(arg, words.length > 2 && words[2].equals("critical")));
                default -> throw new IllegalArgumentException(file + ":" + lineNo + ": unknown directive '" + words[0] + "'");
            }
        }
        if (pkg == null || cls == null || lookup == null || headers.isEmpty()) {
            throw new IllegalArgumentException(file + ": package, class, lookup and at least one header are required");
        }
        return new Spec(pkg, cls, lookup, List.copyOf(includeDirs), List.copyOf(headers), List.copyOf(structs),
                List.copyOf(enums), List.copyOf(callbacks), List.copyOf(functions), file);
    }
}
