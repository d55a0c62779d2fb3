package dev.parley.server.models;

import dev.parley.server.modelref.ModelReference;
import dev.parley.server.modelref.ModelReferenceException;
import dev.parley.server.modelref.SplitGguf;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every model the server can serve, by the name a request's {@code model} field gives: each repeated
 * {@code --model NAME=REF} (a bare {@code --model REF} is named by its file stem or reference), each GGUF
 * under {@code --models-dir} (named by its file stem; a split model once, by its first part) and each line
 * of that directory's alias file {@value #ALIAS_FILE} ({@code NAME = REF}, a relative path read against the
 * directory). The first entry is the default: a request that names no model gets it.
 */
public record ModelCatalog(Map<String, ModelReference> entries) {

    /** The alias file a models directory may hold: {@code NAME = REF} lines, Java properties syntax. */
    public static final String ALIAS_FILE = "parley-models.properties";

    /** A model name: what an OpenAI or Ollama client puts in {@code model} (no {@code =}, no white space). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@+/-]{0,255}");

    public ModelCatalog {
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /** The model a request without a {@code model} field gets (null when the catalog is empty). */
    public String defaultName() {
        return entries.isEmpty() ? null : entries.keySet().iterator().next();
    }

    /** The names, in the order they were given (flags first, then the directory's files by name, then its aliases). */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    public ModelReference reference(String name) {
        return entries.get(name);
    }

    /**
     * Builds the catalog from the {@code --model} values (each {@code NAME=REF} or {@code REF}) and the
     * models directory (null for none). A malformed reference, a duplicated name or a missing directory is a
     * {@link ModelReferenceException} naming the culprit.
     */
    public static ModelCatalog of(List<String> modelFlags, Path modelsDir) {
        Map<String, ModelReference> out = new LinkedHashMap<>();
        for (String flag : modelFlags) {
            Named n = split(flag);
            put(out, n.name(), n.reference(), "--model " + flag);
        }
        if (modelsDir != null) {
            scan(out, modelsDir);
        }
        return new ModelCatalog(out);
    }

    private record Named(String name, ModelReference reference) {}

    /** {@code NAME=REF} when the part before the first {@code =} is a name; else the whole text is the reference. */
    private static Named split(String flag) {
        int eq = flag.indexOf('=');
        if (eq > 0 && NAME.matcher(flag.substring(0, eq)).matches() && !flag.substring(0, eq).contains("/")) {
            return new Named(flag.substring(0, eq), ModelReference.parse(flag.substring(eq + 1).strip()));
        }
        ModelReference ref = ModelReference.parse(flag.strip());
        return new Named(nameOf(ref), ref);
    }

    /** The name a reference gets when none is given: a file's stem, else the reference as written. */
    public static String nameOf(ModelReference ref) {
        if (ref instanceof ModelReference.LocalFile f) {
            String file = f.path().getFileName().toString();
            SplitGguf split = SplitGguf.of(file);
            String stem = split.isSplit() ? split.prefix() : file;
            return stem.toLowerCase(Locale.ROOT).endsWith(".gguf") ? stem.substring(0, stem.length() - 5) : stem;
        }
        return ref.display();
    }

    private static void scan(Map<String, ModelReference> out, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelReferenceException("--models-dir: no such directory: " + dir.toAbsolutePath());
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf"))
                    // the later parts of a split model are found from its first one
                    .filter(p -> { SplitGguf s = SplitGguf.of(p.getFileName().toString()); return !s.isSplit() || s.index() == 1; })
                    .sorted()
                    .forEach(files::add);
        } catch (IOException e) {
            throw new ModelReferenceException("--models-dir: cannot read " + dir.toAbsolutePath() + ": " + e.getMessage());
        }
        for (Path f : files) {
            ModelReference ref = new ModelReference.LocalFile(f);
            put(out, nameOf(ref), ref, f.toString());
        }
        Path aliases = dir.resolve(ALIAS_FILE);
        if (Files.isRegularFile(aliases)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(aliases)) {
                p.load(r);
            } catch (IOException e) {
                throw new ModelReferenceException(aliases + ": cannot read: " + e.getMessage());
            }
            for (String name : p.stringPropertyNames().stream().sorted().toList()) {
                String value = p.getProperty(name).strip();
                ModelReference ref;
                try {
                    ref = ModelReference.parse(value);
                } catch (ModelReferenceException e) {
                    throw new ModelReferenceException(aliases + ": " + name + ": " + e.getMessage());
                }
                if (ref instanceof ModelReference.LocalFile f && !f.path().isAbsolute()) {
                    ref = new ModelReference.LocalFile(dir.resolve(f.path()));
                }
                put(out, name, ref, aliases + " line " + name);
            }
        }
    }

    private static void put(Map<String, ModelReference> out, String name, ModelReference ref, String where) {
        if (!NAME.matcher(name).matches()) {
            throw new ModelReferenceException(where + ": '" + name + "' is not a model name (letters, digits and . _ : @ + / -, at most 256)");
        }
        ModelReference before = out.putIfAbsent(name, ref);
        if (before != null && !before.equals(ref)) {
            throw new ModelReferenceException(where + ": the name '" + name + "' is already " + before.display());
        }
    }
}
