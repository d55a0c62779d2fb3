package dev.parley.bench;

import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.engine.EngineStats;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.engine.TokenStream;
import dev.parley.runtime.testmodel.ModelShape;
import dev.parley.runtime.testmodel.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Engine throughput: single-stream decode speed, aggregate tokens/s at several concurrencies, and the
 * scheduler's own time per step (outside llama_decode and sampling).
 *
 * <pre>scripts/bench-engine.sh [--model PRESET|PATH] [--streams 1,4,8] [--tokens N] [--prompt-tokens N] [--threads N] [--runs N]</pre>
 */
public final class EngineBench {

    private EngineBench() {
    }

    public static void main(String[] args) throws Exception {
        String model = "tiny-qwen3";
        int[] streams = {1, 4, 8};
        int tokens = 64;
        int promptTokens = 32;
        int threads = Runtime.getRuntime().availableProcessors();
        int runs = 3;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--model" -> model = args[i + 1];
                case "--streams" -> streams = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--tokens" -> tokens = Integer.parseInt(args[i + 1]);
                case "--prompt-tokens" -> promptTokens = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        Path path = Files.exists(Path.of(model)) ? Path.of(model) : TestModels.ensure(ModelShape.preset(model));
        int maxStreams = Arrays.stream(streams).max().orElse(1);
        EngineConfig config = EngineConfig.defaults(path).withSlots(maxStreams, maxStreams * (promptTokens + tokens + 16))
                .withThreads(threads, threads);
        System.out.printf("model %s, %d prompt tokens, %d generated tokens per stream, %d threads, median of %d runs%n",
                path.getFileName(), promptTokens, tokens, threads, runs);
        System.out.println("| streams | per-stream decode tok/s | aggregate tok/s | step ms | of which decode ms | sampling ms | scheduler overhead µs/step |");
        System.out.println("|---|---|---|---|---|---|---|");
        try (Engine engine = Engine.start(config)) {
            run(engine, 1, promptTokens, 8, 0); // warm-up
            for (int c : streams) {
                double[] perStream = new double[runs];
                double[] aggregate = new double[runs];
                double[] stepMs = new double[runs];
                double[] overhead = new double[runs];
                double[] decodeMs = new double[runs];
                double[] samplingMs = new double[runs];
                for (int r = 0; r < runs; r++) {
                    EngineStats before = engine.stats();
                    double[] result = run(engine, c, promptTokens, tokens, r * 1000 + c);
                    EngineStats after = engine.stats();
                    long steps = after.steps() - before.steps();
                    perStream[r] = result[0];
                    aggregate[r] = result[1];
                    stepMs[r] = steps == 0 ? 0 : (after.stepNanos() - before.stepNanos()) / 1e6 / steps;
                    decodeMs[r] = steps == 0 ? 0 : (after.decodeNanos() - before.decodeNanos()) / 1e6 / steps;
                    samplingMs[r] = steps == 0 ? 0 : (after.samplingNanos() - before.samplingNanos()) / 1e6 / steps;
                    overhead[r] = steps == 0 ? 0 : ((after.stepNanos() - before.stepNanos()) - (after.decodeNanos() - before.decodeNanos())
                            - (after.samplingNanos() - before.samplingNanos())) / 1e3 / steps;
                }
                System.out.printf("| %d | %.1f | %.1f | %.2f | %.2f | %.2f | %.1f |%n", c, median(perStream), median(aggregate), median(stepMs),
                        median(decodeMs), median(samplingMs), median(overhead));
            }
        }
    }

    /** Runs {@code streams} generations at once; returns mean per-stream decode tok/s and aggregate tok/s. */
    private static double[] run(Engine engine, int streams, int promptTokens, int tokens, int salt) throws Exception {
        List<TokenStream> running = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int s = 0; s < streams; s++) {
            int[] prompt = new int[promptTokens];
            for (int i = 0; i < promptTokens; i++) {
                prompt[i] = 1000 + (salt * 31 + s * 7919 + i * 104729) % 100_000; // distinct prompts: no prefix reuse
            }
            running.add(engine.submit(new GenerationRequest("bench-" + salt + "-" + s, new Prompt.Tokens(prompt), tokens,
                    dev.parley.runtime.engine.Sampling.GREEDY, List.of(), null)));
        }
        double perStreamSum = 0;
        long generated = 0;
        for (TokenStream t : running) {
            GenerationEvent last = t.drain(600_000).getLast();
            if (!(last instanceof GenerationEvent.Done d)) {
                throw new IllegalStateException("generation failed: " + last);
            }
            perStreamSum += d.usage().tokensPerSecond();
            generated += d.usage().generatedTokens();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new double[] {perStreamSum / streams, generated / seconds};
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
