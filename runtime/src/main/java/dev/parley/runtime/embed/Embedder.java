package dev.parley.runtime.embed;

import dev.parley.bindings.Batch;
import dev.parley.bindings.ContextOptions;
import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.LlamaContext;
import dev.parley.bindings.LlamaModel;
import dev.parley.bindings.Pooling;
import dev.parley.runtime.engine.EngineException;
import dev.parley.runtime.engine.ErrorCode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sequence embeddings from a context of their own on an already loaded model (the weights are shared
 * with the generation context; the KV cache and compute buffers are not). One thread, the embedder's,
 * makes every call into that context, as the scheduler thread does for generation; callers tokenize on
 * their own thread and wait for their vectors. Several inputs go into one decode as separate sequences
 * (up to {@link #sequences()} of them, within one batch), and the KV cache is cleared after each decode:
 * nothing is reused between requests.
 */
public final class Embedder implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("parley.embedder");

    private final LlamaModel model;
    private final LlamaContext context;
    private final Pooling pooling;
    private final int maxTokens;
    private final ThreadPoolExecutor thread;
    private final long timeoutNanos;

    private Embedder(LlamaModel model, LlamaContext context, int queueCapacity, long timeoutNanos) {
        this.model = model;
        this.context = context;
        this.pooling = context.pooling();
        // llama.cpp pools over one micro-batch: an input must fit in one whole (n_ubatch = n_batch here).
        this.maxTokens = Math.min(context.contextSize(), context.batchSize());
        this.timeoutNanos = timeoutNanos;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(Math.max(1, queueCapacity)),
                r -> Thread.ofPlatform().name("parley-embedder").daemon(true).unstarted(r));
    }

    /**
     * Opens an embedding context on {@code model}.
     *
     * @param forced the pooling to use, or null for the one the GGUF declares
     * @param tokens most tokens of one input (also the batch and the context size)
     * @param sequences inputs decoded together
     * @throws IllegalArgumentException when the model declares no pooling and none is forced
     */
    public static Embedder open(LlamaModel model, Pooling forced, int tokens, int sequences, int threads, int queueCapacity,
                                long timeoutNanos) {
        Pooling declared = model.declaredPooling();
        Pooling use = forced != null ? forced : declared;
        if (!use.pools()) {
            throw new IllegalArgumentException(model.path().getFileName() + " declares no pooling type (" + declared
                    + "): it is not an embedding model; force one with --embedding mean|cls|last");
        }
        int n = Math.max(16, Math.min(tokens, model.contextLengthTrained() > 0 ? model.contextLengthTrained() : tokens));
        int seqs = Math.max(1, Math.min(sequences, n));
        ContextOptions options = ContextOptions.of(n, seqs).withBatch(n, n).withThreads(threads, threads).withPooling(use);
        LlamaContext ctx = LlamaContext.create(model, options);
        Embedder e = new Embedder(model, ctx, queueCapacity, timeoutNanos);
        LOG.log(System.Logger.Level.INFO, String.format("embeddings: %s pooling, %d dimensions, up to %d tokens an input, %d inputs a batch",
                e.pooling, model.embeddingLength(), e.maxTokens, seqs));
        return e;
    }

    public Pooling pooling() {
        return pooling;
    }

    public int dimensions() {
        return model.embeddingLength();
    }

    /** Most tokens one input may have. */
    public int maxTokens() {
        return maxTokens;
    }

    /** Inputs decoded together. */
    public int sequences() {
        return context.sequences();
    }

    /** Text to tokens as the model wants them embedded: its BOS/EOS added, special-token text kept as text. */
    public int[] tokenize(String text) {
        return model.vocab().tokenize(text, true, false);
    }

    /**
     * Checks inputs against the limits before any queueing: an empty input is refused, one over
     * {@link #maxTokens()} is cut to its first tokens when {@code truncate}, refused otherwise.
     * Returns the inputs to embed (cut ones replaced).
     */
    public List<int[]> fit(List<int[]> inputs, boolean truncate) {
        if (inputs.isEmpty()) {
            throw new EngineException(ErrorCode.INVALID_REQUEST, "no input to embed");
        }
        List<int[]> out = new ArrayList<>(inputs.size());
        int vocab = model.vocab().size();
        for (int i = 0; i < inputs.size(); i++) {
            int[] t = inputs.get(i);
            if (t.length == 0) {
                throw new EngineException(ErrorCode.INVALID_REQUEST, "input " + i + " is empty: nothing to embed");
            }
            for (int id : t) {
                if (id < 0 || id >= vocab) {
                    throw new EngineException(ErrorCode.INVALID_REQUEST, "input " + i + " has token id " + id
                            + ", outside the vocabulary 0.." + (vocab - 1));
                }
            }
            if (t.length > maxTokens) {
                if (!truncate) {
                    throw new EngineException(ErrorCode.PROMPT_TOO_LONG, "input " + i + " has " + t.length
                            + " tokens, more than the " + maxTokens + " one input may have here (the embedding context's micro-batch)");
                }
                t = Arrays.copyOf(t, maxTokens);
            }
            out.add(t);
        }
        return out;
    }

    /** The pooled vectors of already fitted inputs (see {@link #fit}), in order, not normalized. */
    public List<float[]> embed(List<int[]> inputs) {
        Future<List<float[]>> f;
        try {
            f = thread.submit(() -> run(inputs));
        } catch (RejectedExecutionException e) {
            throw new EngineException(thread.isShutdown() ? ErrorCode.SHUTTING_DOWN : ErrorCode.QUEUE_FULL,
                    thread.isShutdown() ? "the server is shutting down" : "too many embedding requests are waiting; retry shortly");
        }
        try {
            return f.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new EngineException(ErrorCode.QUEUE_TIMEOUT, "the embedding request waited too long");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(false);
            throw new EngineException(ErrorCode.SHUTTING_DOWN, "interrupted while embedding");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof EngineException ee) {
                throw ee;
            }
            throw new EngineException(ErrorCode.INTERNAL, "embedding failed: " + e.getCause().getMessage());
        }
    }

    /** On the embedder's thread: decodes the inputs in groups that fit one batch and the sequence count. */
    private List<float[]> run(List<int[]> inputs) {
        List<float[]> out = new ArrayList<>(inputs.size());
        try (Batch batch = context.newBatch(context.batchSize())) {
            int i = 0;
            while (i < inputs.size()) {
                batch.clear();
                int first = i;
                while (i < inputs.size() && i - first < context.sequences() && inputs.get(i).length <= batch.remaining()) {
                    int[] t = inputs.get(i);
                    for (int p = 0; p < t.length; p++) {
                        batch.add(t[p], p, i - first, true);
                    }
                    i++;
                }
                if (i == first) {
                    throw new EngineException(ErrorCode.PROMPT_TOO_LONG, "input " + i + " has " + inputs.get(i).length
                            + " tokens, more than the " + maxTokens + " one batch holds");
                }
                context.clearMemory();
                DecodeStatus s = context.decode(batch);
                if (s != DecodeStatus.OK) {
                    context.clearMemory();
                    throw new EngineException(ErrorCode.INTERNAL, "llama.cpp could not decode the embedding batch: " + s);
                }
                for (int k = first; k < i; k++) {
                    out.add(context.sequenceEmbedding(k - first));
                }
            }
            context.clearMemory();
        }
        return out;
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.ERROR, "embedder did not stop; leaking its context rather than freeing it under it");
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        context.close();
    }
}
