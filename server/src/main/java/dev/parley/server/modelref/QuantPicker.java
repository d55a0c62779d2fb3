package dev.parley.server.modelref;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Picks the model file of a repo the way llama-server's {@code -hf} does, so the same reference names the same
 * file in both: the first file in the Hub's listing order whose name contains the quant followed by '.' or '-'
 * (case-insensitive), skipping projector/imatrix/draft files and split parts after the first; without a quant,
 * Q4_K_M, then Q8_0, then the first model GGUF. A split model brings all its parts.
 */
public final class QuantPicker {

    private static final List<String> DEFAULT_QUANTS = List.of("Q4_K_M", "Q8_0");
    private static final List<String> NOT_MODELS = List.of("mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-");

    private QuantPicker() {
    }

    /** The chosen model's files, first part first. */
    public static <F> List<F> pick(String repo, List<F> files, Function<F, String> path, String quant) {
        List<F> models = files.stream().filter(f -> isModel(path.apply(f))).toList();
        if (models.isEmpty()) {
            throw new ModelReferenceException("Hugging Face repo " + repo + " has no GGUF model file" + listing(files, path));
        }
        for (String q : quant == null ? DEFAULT_QUANTS : List.of(quant)) {
            Pattern p = Pattern.compile(Pattern.quote(q) + "[.-]", Pattern.CASE_INSENSITIVE);
            for (F f : models) {
                if (p.matcher(path.apply(f)).find() && SplitGguf.of(path.apply(f)).index() == 1) {
                    return withParts(repo, files, path, f);
                }
            }
        }
        if (quant == null) {
            for (F f : models) {
                if (SplitGguf.of(path.apply(f)).index() == 1) {
                    return withParts(repo, files, path, f);
                }
            }
        }
        throw new ModelReferenceException("no GGUF in Hugging Face repo " + repo + " matches quant '" + quant + "'; quants there: "
                + String.join(", ", quants(models, path)) + " (write hf:" + repo + ":QUANT)");
    }

    /** One named file (matched case-insensitively, as llama-server matches --hf-file), with its split parts. */
    public static <F> List<F> file(String repo, List<F> files, Function<F, String> path, String name) {
        for (F f : files) {
            if (path.apply(f).equalsIgnoreCase(name)) {
                SplitGguf split = SplitGguf.of(path.apply(f));
                if (split.index() != 1) {
                    String first = split.part(1);
                    for (F g : files) {
                        if (path.apply(g).equals(first)) {
                            return withParts(repo, files, path, g);
                        }
                    }
                }
                return withParts(repo, files, path, f);
            }
        }
        throw new ModelReferenceException("Hugging Face repo " + repo + " has no file '" + name + "'" + listing(files, path));
    }

    /** The quant tags of the model files, in listing order without repeats. */
    public static <F> List<String> quants(List<F> files, Function<F, String> path) {
        Set<String> out = new LinkedHashSet<>();
        for (F f : files) {
            String q = SplitGguf.of(path.apply(f)).quant();
            out.add(q.isEmpty() ? path.apply(f) : q);
        }
        return List.copyOf(out);
    }

    static boolean isModel(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        return name.endsWith(".gguf") && NOT_MODELS.stream().noneMatch(name::contains);
    }

    private static <F> List<F> withParts(String repo, List<F> files, Function<F, String> path, F first) {
        SplitGguf split = SplitGguf.of(path.apply(first));
        if (!split.isSplit()) {
            return List.of(first);
        }
        List<F> parts = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (int i = 1; i <= split.count(); i++) {
            String want = split.part(i);
            F found = files.stream().filter(f -> path.apply(f).equals(want)).findFirst().orElse(null);
            if (found == null) {
                missing.add(want);
            } else {
                parts.add(found);
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelReferenceException("split model " + path.apply(first) + " in " + repo + " lacks parts: " + String.join(", ", missing));
        }
        return List.copyOf(parts);
    }

    private static <F> String listing(List<F> files, Function<F, String> path) {
        List<String> ggufs = files.stream().map(path).filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".gguf")).toList();
        if (!ggufs.isEmpty()) {
            return "; GGUF files there: " + String.join(", ", ggufs);
        }
        List<String> all = files.stream().map(path).limit(20).toList();
        return all.isEmpty() ? " (the repo is empty)" : "; files there: " + String.join(", ", all) + (files.size() > 20 ? ", ..." : "");
    }
}
