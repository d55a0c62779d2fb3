package dev.parley.bench;

import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.engine.EngineStats;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationRequest;
import dev.parley.runtime.engine.Prompt;
import dev.parley.runtime.engine.Speculation;
import dev.parley.runtime.engine.TokenStream;
import dev.parley.runtime.testmodel.ModelShape;
import dev.parley.runtime.testmodel.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Speculative decoding by n-gram lookup, one stream, greedy: tokens/s with and without drafting on a
 * workload whose answer quotes its history and on one that quotes nothing, with the acceptance rate.
 * The "quoting" prompt is a text, the model's own greedy continuation of it, and the text again: what
 * the model said after the text is in the history. The "novel" prompt is a text seen once.
 *
 * <p>With {@code --draft PRESET|PATH} the speculative engine drafts with that model
 * ({@code --speculative draft --model-draft}) instead of n-gram lookup, stopping a draft at the first
 * token the draft model gives less than {@code --draft-p-min} (default as the server's). With
 * {@code --streams N} each measurement runs N copies of the request at once on N slots (drafts of
 * every slot verified in one batch with the others' tokens); tokens/s is then their sum.
 *
 * <pre>scripts/bench-speculative.sh [--model PRESET|PATH] [--draft PRESET|PATH] [--draft-p-min P] [--tokens N] [--max-draft N]
 *     [--streams N] [--threads N] [--runs N]</pre>
 */
public final class SpeculativeBench {

    private SpeculativeBench() {
    }

    private static final String QUOTED = "The function parse reads the header, then the body, then the trailer, and returns them in order.";
    private static final String NOVEL = "A lighthouse keeper counts the ships that pass each night and writes their names in a book.";

    public static void main(String[] args) throws Exception {
        String model = "tiny-qwen3";
        String draft = null;
        int tokens = 128;
        int maxDraft = Speculation.DEFAULT_MAX_DRAFT;
        int threads = Runtime.getRuntime().availableProcessors();
        int runs = 3;
        int streams = 1;
        float draftMinP = Speculation.DEFAULT_DRAFT_MIN_P;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--model" -> model = args[i + 1];
                case "--draft" -> draft = args[i + 1];
                case "--draft-p-min" -> draftMinP = Float.parseFloat(args[i + 1]);
                case "--tokens" -> tokens = Integer.parseInt(args[i + 1]);
                case "--max-draft" -> maxDraft = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--streams" -> streams = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        if (streams < 1 || streams > 64) {
            throw new IllegalArgumentException("--streams must be 1 to 64, got " + streams);
        }
        Path path = modelFile(model);
        Path draftPath = draft == null ? null : modelFile(draft);
        Speculation speculation = draftPath == null ? Speculation.ngram(maxDraft) : Speculation.draft(draftPath, maxDraft, draftMinP);
        String mode = draftPath == null ? "ngram" : "draft " + draftPath.getFileName() + " (p-min " + draftMinP + ")";
        EngineConfig base = EngineConfig.defaults(path).withSlots(streams, 4096).withThreads(threads, threads);
        System.out.printf("model %s, %d stream%s, greedy, %d generated tokens, %d threads, --speculative-max %d, median of %d runs%n",
                path.getFileName(), streams, streams == 1 ? "" : "s", tokens, threads, maxDraft, runs);
        System.out.println("| workload | tok/s without | tok/s with " + mode + " | speed-up | drafted | accepted | acceptance |");
        System.out.println("|---|---|---|---|---|---|---|");
        try (Engine plain = Engine.start(base.withPrefixReuse(false));
             Engine spec = Engine.start(base.withPrefixReuse(false).withSpeculation(speculation))) {
            String answer = raw(plain, new Prompt.Raw(QUOTED), tokens).text();
            List<Prompt> workloads = List.of(new Prompt.Raw(QUOTED + answer + "\n\n" + QUOTED), new Prompt.Raw(NOVEL));
            List<String> names = List.of("quotes the history", "quotes nothing");
            raw(spec, new Prompt.Raw(NOVEL), 8); // warm-up
            for (int w = 0; w < workloads.size(); w++) {
                double[] off = new double[runs];
                double[] on = new double[runs];
                EngineStats before = spec.stats();
                for (int r = 0; r < runs; r++) {
                    off[r] = together(plain, workloads.get(w), tokens, streams);
                    on[r] = together(spec, workloads.get(w), tokens, streams);
                }
                EngineStats after = spec.stats();
                long drafted = after.draftedTokens() - before.draftedTokens();
                long accepted = after.acceptedTokens() - before.acceptedTokens();
                double a = median(off);
                double b = median(on);
                System.out.printf("| %s | %.1f | %.1f | %.2fx | %d | %d | %.0f%% |%n", names.get(w), a, b, b / a, drafted / runs / streams,
                        accepted / runs / streams, drafted == 0 ? 0 : 100.0 * accepted / drafted);
            }
        }
    }

    private static Path modelFile(String name) {
        return Files.exists(Path.of(name)) ? Path.of(name) : TestModels.ensure(ModelShape.preset(name));
    }

    private record Result(String text, double tokensPerSecond) {}

    /** The generation speed of {@code streams} copies of the request run at once, summed. */
    private static double together(Engine engine, Prompt prompt, int tokens, int streams) throws InterruptedException {
        List<TokenStream> running = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            running.add(engine.submit(GenerationRequest.greedy("bench-" + i, prompt, tokens)));
        }
        double sum = 0;
        for (TokenStream s : running) {
            sum += result(s.drain(600_000)).tokensPerSecond();
        }
        return sum;
    }

    private static Result raw(Engine engine, Prompt prompt, int tokens) throws InterruptedException {
        return result(engine.submit(GenerationRequest.greedy("bench", prompt, tokens)).drain(600_000));
    }

    private static Result result(List<GenerationEvent> events) {
        StringBuilder text = new StringBuilder();
        GenerationEvent.Usage usage = null;
        for (GenerationEvent e : events) {
            if (e instanceof GenerationEvent.Piece p) {
                text.append(p.raw());
            } else if (e instanceof GenerationEvent.Done d) {
                usage = d.usage();
            } else if (e instanceof GenerationEvent.Failed f) {
                throw new IllegalStateException(f.code() + ": " + f.message());
            }
        }
        return new Result(text.toString(), usage.generatedTokens() * 1000.0 / Math.max(1, usage.generationMillis()));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
