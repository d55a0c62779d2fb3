package dev.parley.server;

import dev.parley.bindings.Batch;
import dev.parley.bindings.ContextOptions;
import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.LlamaContext;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelLoadException;
import dev.parley.bindings.ModelOptions;
import dev.parley.bindings.SamplerChain;
import dev.parley.bindings.Vocab;
import dev.parley.runtime.testmodel.TestModels;
import dev.parley.runtime.text.Utf8Accumulator;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code ./parley serve}. Until the HTTP API lands this runs one generation on the model and streams
 * it to stdout, so that the command, the flags and the model path are real from the start.
 */
public final class Main {

    private static final System.Logger LOG = System.getLogger("parley");

    private Main() {
    }

    public static void main(String[] args) {
        Path modelPath = null;
        String prompt = "<|im_start|>user\nHello! Who are you?<|im_end|>\n<|im_start|>assistant\n";
        int maxTokens = 32;
        int ctxSize = 2048;
        try {
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--help") || flag.equals("-h")) {
                    System.out.println("""
                            Usage: ./parley serve [--model PATH] [--prompt TEXT] [--max-tokens N] [--ctx-size N]
                              --model       a GGUF model (default: the generated tiny Qwen3 demo model)
                              --prompt      raw prompt text, special tokens parsed (default: a ChatML greeting)
                              --max-tokens  tokens to generate (default 32)
                              --ctx-size    context size (default 2048)""");
                    return;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String v = args[++i];
                switch (flag) {
                    case "--model" -> modelPath = Path.of(v);
                    case "--prompt" -> prompt = v;
                    case "--max-tokens" -> maxTokens = positive(flag, v);
                    case "--ctx-size" -> ctxSize = positive(flag, v);
                    default -> throw new IllegalArgumentException("unknown flag " + flag + " (see --help)");
                }
            }
            if (modelPath == null) {
                modelPath = TestModels.tinyQwen3();
                LOG.log(System.Logger.Level.INFO, "no --model given: using the generated tiny demo model " + modelPath
                        + " (random weights: its text is gibberish)");
            }
            generate(modelPath, prompt, maxTokens, ctxSize, new PrintStream(System.out, true, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | ModelLoadException e) {
            System.err.println("parley: " + e.getMessage());
            System.exit(2);
        }
    }

    private static int positive(String flag, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " must be a positive whole number, got '" + v + "'");
    }

    private static void generate(Path modelPath, String prompt, int maxTokens, int ctxSize, PrintStream out) {
        try (LlamaModel model = LlamaModel.load(modelPath, ModelOptions.cpu())) {
            Vocab vocab = model.vocab();
            int[] tokens = vocab.tokenize(prompt, true, true);
            if (tokens.length + maxTokens > ctxSize) {
                throw new IllegalArgumentException("prompt (" + tokens.length + " tokens) + max tokens exceed the context of " + ctxSize);
            }
            LOG.log(System.Logger.Level.INFO, "model " + model.description() + ", prompt " + tokens.length + " tokens");
            ContextOptions options = ContextOptions.of(ctxSize, 1);
            try (LlamaContext ctx = LlamaContext.create(model, options);
                 Batch batch = ctx.newBatch(Math.min(ctx.batchSize(), Math.max(tokens.length, 1)));
                 SamplerChain sampler = SamplerChain.builder(vocab).temperature(0).build();
                 Vocab.Pieces pieces = vocab.pieces()) {
                int row = -1;
                for (int start = 0; start < tokens.length; start += batch.capacity()) {
                    batch.clear();
                    int end = Math.min(tokens.length, start + batch.capacity());
                    for (int i = start; i < end; i++) {
                        row = batch.add(tokens[i], i, 0, i == tokens.length - 1);
                    }
                    check(ctx.decode(batch));
                }
                Utf8Accumulator text = new Utf8Accumulator();
                long t0 = System.nanoTime();
                int generated = 0;
                for (int pos = tokens.length; generated < maxTokens; pos++) {
                    int token = sampler.sample(ctx, row);
                    if (vocab.isEndOfGeneration(token)) {
                        break;
                    }
                    generated++;
                    out.print(text.append(pieces.bytes(), pieces.piece(token, false)));
                    batch.clear();
                    row = batch.add(token, pos, 0, true);
                    check(ctx.decode(batch));
                }
                out.println(text.flush());
                double seconds = (System.nanoTime() - t0) / 1e9;
                LOG.log(System.Logger.Level.INFO, String.format("%d tokens in %.2f s (%.1f tokens/s)", generated, seconds, generated / seconds));
            }
        }
    }

    private static void check(DecodeStatus status) {
        if (status != DecodeStatus.OK) {
            throw new IllegalStateException("llama_decode failed: " + status);
        }
    }
}
