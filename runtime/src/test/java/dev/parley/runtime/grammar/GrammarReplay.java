package dev.parley.runtime.grammar;

import dev.parley.bindings.Batch;
import dev.parley.bindings.ContextOptions;
import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.LlamaContext;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.ModelOptions;
import dev.parley.bindings.SamplerChain;
import dev.parley.bindings.UncheckedGrammarSampler;
import dev.parley.bindings.Vocab;
import dev.parley.bindings.grammar.Grammar;
import dev.parley.bindings.grammar.GrammarException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The child process of {@link GrammarNativeReplayTest}: runs grammar inputs through the real native
 * path (llama.cpp's grammar sampler on the tiny model: creation, then generation with greedy and
 * random sampling) and reports each on stdout: {@code BEGIN name} before, then {@code REFUSED name}
 * or {@code RAN name tokens}. If llama.cpp ends the process, the last {@code BEGIN} names the input.
 *
 * <p>Arguments: model path, {@code checked} (Parley's path: {@link Grammar#compile} first) or
 * {@code unchecked} (text straight to llama.cpp, to prove the harness sees a crash), steps per run,
 * then input files.
 */
public final class GrammarReplay {

    private GrammarReplay() {
    }

    public static void main(String[] args) throws IOException {
        Path modelPath = Path.of(args[0]);
        boolean checked = args[1].equals("checked");
        int steps = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        try (LlamaModel model = LlamaModel.load(modelPath, ModelOptions.cpu());
             LlamaContext ctx = LlamaContext.create(model, ContextOptions.of(512, 1));
             Batch batch = ctx.newBatch(64)) {
            Vocab vocab = model.vocab();
            int[] prompt = vocab.tokenize("<|im_start|>user\nAnswer.<|im_end|>\n<|im_start|>assistant\n", false, true);
            for (int i = 3; i < args.length; i++) {
                Path input = Path.of(args[i]);
                String name = input.getFileName().toString();
                String text = GrammarInputs.text(Files.readAllBytes(input));
                out.println("BEGIN " + name);
                if (!checked) {
                    try (UncheckedGrammarSampler s = new UncheckedGrammarSampler(vocab, text)) {
                        out.println("RAN " + name + " " + generate(ctx, batch, prompt, steps, vocab, s::sample));
                    } catch (IllegalArgumentException e) {
                        out.println("REFUSED " + name + " " + e.getMessage());
                    }
                    continue;
                }
                Grammar grammar;
                try {
                    grammar = Grammar.compile(text, vocab.grammarView());
                } catch (GrammarException e) {
                    out.println("REFUSED " + name + " " + e.getMessage().replace('\n', ' '));
                    continue;
                }
                int total = 0;
                String stopped = "";
                for (long seed = -1; seed < 2; seed++) { // greedy, then two seeded random walks through the grammar
                    try (SamplerChain s = SamplerChain.builder(vocab).grammar(grammar)
                            .temperature(seed < 0 ? 0 : 1.5f).seed(seed).build()) {
                        total += generate(ctx, batch, prompt, steps, vocab, s::sample);
                    } catch (GrammarException e) {
                        stopped = " (a generation was stopped, as a request would be: " + e.getMessage() + ")";
                    }
                }
                out.println("RAN " + name + " " + total + stopped);
            }
        }
        out.println("END");
    }

    private interface Sampler {
        int sample(LlamaContext ctx, int row);
    }

    /** Decodes the prompt, then samples and decodes up to {@code steps} tokens; returns how many. */
    private static int generate(LlamaContext ctx, Batch batch, int[] prompt, int steps, Vocab vocab, Sampler sampler) {
        ctx.clearSequence(0);
        batch.clear();
        for (int i = 0; i < prompt.length; i++) {
            batch.add(prompt[i], i, 0, i == prompt.length - 1);
        }
        check(ctx.decode(batch));
        int row = prompt.length - 1;
        for (int i = 0; i < steps; i++) {
            int token = sampler.sample(ctx, row);
            if (vocab.isEndOfGeneration(token)) {
                return i + 1;
            }
            batch.clear();
            row = batch.add(token, prompt.length + i, 0, true);
            check(ctx.decode(batch));
        }
        return steps;
    }

    private static void check(DecodeStatus status) {
        if (status != DecodeStatus.OK) {
            throw new IllegalStateException("decode failed: " + status);
        }
    }
}
