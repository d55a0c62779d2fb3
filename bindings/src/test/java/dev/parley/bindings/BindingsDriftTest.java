package dev.parley.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindgen.BindGen;
import dev.parley.bindgen.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed bindings are exactly what the generator makes from the pinned headers. */
class BindingsDriftTest {

    @Test
    void committedBindingsMatchThePinnedHeaders() throws Exception {
        Path root = Pinned.repoRoot();
        Spec spec = Spec.parse(root.resolve("bindings/bindgen/llama.spec"));
        Map<String, String> generated = BindGen.generate(spec, Pinned.llamaSource(), "castxml");
        Path committedDir = root.resolve("bindings/src/main/java").resolve(spec.packageName().replace('.', '/'));
        List<String> committed;
        try (Stream<Path> files = Files.list(committedDir)) {
            committed = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java")).sorted().toList();
        }
        assertEquals(new TreeSet<>(generated.keySet()), new TreeSet<>(committed),
                "generated and committed file sets differ: run scripts/generate-bindings.sh and commit the result");
        List<String> differing = new ArrayList<>();
        for (Map.Entry<String, String> e : generated.entrySet()) {
            if (!Files.readString(committedDir.resolve(e.getKey())).equals(e.getValue())) {
                differing.add(e.getKey());
            }
        }
        assertTrue(differing.isEmpty(), "committed bindings drifted from the headers in " + differing
                + ": run scripts/generate-bindings.sh and commit the result");
    }
}
