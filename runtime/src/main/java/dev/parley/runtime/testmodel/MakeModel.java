package dev.parley.runtime.testmodel;

import dev.parley.bindings.ModelQuantizer;
import java.nio.file.Path;

/**
 * {@code ./parley make-model [--preset NAME] [--quantize TYPE] [--seed N] [--out PATH]}: writes a
 * generated model and prints its path.
 */
public final class MakeModel {

    private MakeModel() {
    }

    public static void main(String[] args) throws Exception {
        String preset = ModelShape.TINY_QWEN3.name();
        String quantize = null;
        Long seed = null;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println("""
                        Usage: ./parley make-model [--preset NAME] [--quantize TYPE] [--seed N] [--out PATH]
                          --preset    %s (default tiny-qwen3)
                          --quantize  %s
                          --seed      weight seed (default 42)
                          --out       where to write (default: the model cache); the path is printed""".formatted(
                        ModelShape.PRESETS.keySet().stream().sorted().toList(), java.util.List.of(ModelQuantizer.Type.values())));
                return;
            }
            if (i + 1 >= args.length) {
                fail(a + " needs a value");
            }
            String v = args[++i];
            try {
                switch (a) {
                    case "--preset" -> preset = v;
                    case "--quantize" -> quantize = v;
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--out" -> out = Path.of(v);
                    default -> fail("unknown flag " + a + " (see --help)");
                }
            } catch (IllegalArgumentException e) {
                fail(e.getMessage());
            }
        }
        ModelShape shape = null;
        try {
            shape = ModelShape.preset(preset);
            if (seed != null) {
                shape = shape.withSeed(seed);
            }
            if (quantize != null) {
                shape = shape.withQuantization(ModelQuantizer.Type.parse(quantize));
            }
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
        }
        if (out == null) {
            System.out.println(TestModels.ensure(shape));
        } else {
            TestModels.generate(shape, out);
            System.out.println(out.toAbsolutePath());
        }
    }

    private static void fail(String message) {
        System.err.println("make-model: " + message);
        System.exit(2);
    }
}
