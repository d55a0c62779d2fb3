package dev.parley.server.modelref;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The naming of split GGUFs ({@code NAME-00001-of-00003.gguf}, as llama.cpp's gguf-split writes them) and
 * the quant tag in a file name ({@code model-Q4_K_M.gguf}, {@code model.q8_0.gguf}).
 */
public record SplitGguf(String prefix, int index, int count) {

    private static final Pattern SPLIT = Pattern.compile("(?i)^(.+)-(\\d{5})-of-(\\d{5})\\.gguf$");
    private static final Pattern TAG = Pattern.compile("(?i)[-.]([A-Z0-9_]+)$");

    /** The split naming of {@code name} (a path or file name), or a one-part "split" for a plain GGUF. */
    public static SplitGguf of(String name) {
        Matcher m = SPLIT.matcher(name);
        if (m.matches()) {
            return new SplitGguf(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        }
        String prefix = name.toLowerCase(Locale.ROOT).endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
        return new SplitGguf(prefix, 1, 1);
    }

    public boolean isSplit() {
        return count > 1;
    }

    /** The name of part {@code i} (1-based). */
    public String part(int i) {
        return count <= 1 ? prefix + ".gguf" : String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf", prefix, i, count);
    }

    /** The quant tag in upper case (Q4_K_M, F16, ...), or "" when the name carries none. */
    public String quant() {
        Matcher m = TAG.matcher(prefix.substring(prefix.lastIndexOf('/') + 1));
        return m.find() ? m.group(1).toUpperCase(Locale.ROOT) : "";
    }

    /**
     * Every part of the model whose file is {@code file}, first part first; a missing part is an error naming
     * each one missing, so that llama.cpp never starts on a model it would fail to load half-way.
     */
    public static List<Path> parts(Path file) {
        SplitGguf split = of(file.getFileName().toString());
        if (split.index < 1 || split.index > split.count) {
            throw new ModelReferenceException(file + ": part " + split.index + " of " + split.count + " is not a valid split name");
        }
        Path dir = file.toAbsolutePath().getParent();
        List<Path> parts = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (int i = 1; i <= split.count; i++) {
            Path p = split.count == 1 ? file.toAbsolutePath() : dir.resolve(split.part(i));
            parts.add(p);
            if (!Files.isRegularFile(p)) {
                missing.add(p.getFileName().toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelReferenceException(split.count == 1 ? "no such file: " + file.toAbsolutePath()
                    : "split model " + file.getFileName() + " needs " + split.count + " parts in " + dir + "; missing: " + String.join(", ", missing));
        }
        return List.copyOf(parts);
    }

    /** The bytes of all the parts of the model whose first (or any) part is {@code file}. */
    public static long totalSize(Path file) {
        long sum = 0;
        for (Path p : parts(file)) {
            try {
                sum += Files.size(p);
            } catch (java.io.IOException e) {
                throw new ModelReferenceException("cannot read " + p + ": " + e.getMessage());
            }
        }
        return sum;
    }
}
