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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sequence embeddings from a context of their own on an already loaded model (the weights are shared
 * with the generation context; the KV cache and compute buffers are not). One thread, the embedder's,
 * makes every call into that context, as the scheduler thread does for generation; callers tokenize on
 * their own thread and wait for their vectors. Inputs go into one decode as separate sequences (up to
 * {@link #sequences()} of them, within one batch), taken in arrival order from every request waiting,
 * so concurrent small requests share decodes as one large request's inputs do. The KV cache is
 * cleared after each decode: nothing is reused between requests.
 */
public final class Embedder implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("parley.embedder");

    private final LlamaModel model;
    private final LlamaContext context;
    private final Pooling pooling;
    private final int maxTokens;
    private final ArrayBlockingQueue<Job> queue;
    private final Thread thread;
    private final long timeoutNanos;
    private volatile boolean open = true;
    private final java.util.concurrent.atomic.AtomicLong decodes = new java.util.concurrent.atomic.AtomicLong();

    /** One request's inputs, the vectors made so far, and the caller waiting for them. */
    private static final class Job {
        final List<int[]> inputs;
        final float[][] vectors;
        final CompletableFuture<List<float[]>> result = new CompletableFuture<>();
        int next;
        int done;

        Job(List<int[]> inputs) {
            this.inputs = inputs;
            this.vectors = new float[inputs.size()][];
        }
    }

    /** Where an input of the batch being decoded came from. */
    private record Row(Job job, int index) {}

    private Embedder(LlamaModel model, LlamaContext context, int queueCapacity, long timeoutNanos) {
        this.model = model;
        this.context = context;
        this.pooling = context.pooling();
        // llama.cpp pools over one micro-batch: an input must fit in one whole (n_ubatch = n_batch here).
        this.maxTokens = Math.min(context.contextSize(), context.batchSize());
        this.timeoutNanos = timeoutNanos;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, queueCapacity));
        this.thread = Thread.ofPlatform().name("parley-embedder").daemon(true).start(this::loop);
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

    /** Decode calls made so far (each holds up to {@link #sequences()} inputs). */
    public long decodes() {
        return decodes.get();
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
        Job job = new Job(List.copyOf(inputs));
        if (!open) {
            throw new EngineException(ErrorCode.SHUTTING_DOWN, "the server is shutting down");
        }
        if (!queue.offer(job)) {
            throw new EngineException(ErrorCode.QUEUE_FULL, "too many embedding requests are waiting; retry shortly");
        }
        try {
            return job.result.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            job.result.cancel(false); // the embedder skips what is left of it
            throw new EngineException(ErrorCode.QUEUE_TIMEOUT, "the embedding request waited too long");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.result.cancel(false);
            throw new EngineException(ErrorCode.SHUTTING_DOWN, "interrupted while embedding");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof EngineException ee) {
                throw ee;
            }
            throw new EngineException(ErrorCode.INTERNAL, "embedding failed: " + e.getCause().getMessage());
        }
    }

    /** The embedder's thread: waits for work, then decodes batches from every job waiting until none is left. */
    private void loop() {
        List<Job> working = new ArrayList<>();
        try (Batch batch = context.newBatch(context.batchSize())) {
            while (open || !queue.isEmpty() || !working.isEmpty()) {
                if (working.isEmpty()) {
                    Job first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    working.add(first);
                }
                queue.drainTo(working);
                working.removeIf(j -> j.result.isDone()); // the caller gave up
                if (!working.isEmpty()) {
                    try {
                        decodeOnce(batch, working);
                    } catch (RuntimeException e) {
                        // a bug, not bad input (fit() checked that): fail who waits, keep the thread serving
                        LOG.log(System.Logger.Level.ERROR, "embedding batch failed: " + e);
                        context.clearMemory();
                        for (Job j : working) {
                            j.result.completeExceptionally(new EngineException(ErrorCode.INTERNAL, "embedding failed: " + e.getMessage()));
                        }
                        working.clear();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Job j : working) {
                j.result.completeExceptionally(new EngineException(ErrorCode.SHUTTING_DOWN, "the server is shutting down"));
            }
        }
    }

    /** One decode of inputs taken in order from the jobs; completes the jobs it finishes. */
    private void decodeOnce(Batch batch, List<Job> working) {
        batch.clear();
        List<Row> rows = new ArrayList<>();
        for (Job j : working) {
            while (j.next < j.inputs.size() && rows.size() < context.sequences() && j.inputs.get(j.next).length <= batch.remaining()) {
                int[] t = j.inputs.get(j.next);
                for (int p = 0; p < t.length; p++) {
                    batch.add(t[p], p, rows.size(), true);
                }
                rows.add(new Row(j, j.next++));
            }
            if (j.next < j.inputs.size()) {
                break; // keep arrival order: a later job waits until this one's inputs are in
            }
        }
        if (rows.isEmpty()) { // fit() keeps every input within one batch, so only a caller skipping it lands here
            Job j = working.removeFirst();
            j.result.completeExceptionally(new EngineException(ErrorCode.PROMPT_TOO_LONG, "an input has "
                    + j.inputs.get(j.next).length + " tokens, more than the " + maxTokens + " one batch holds"));
            return;
        }
        context.clearMemory();
        DecodeStatus s = context.decode(batch);
        decodes.incrementAndGet();
        if (s != DecodeStatus.OK) {
            context.clearMemory();
            EngineException e = new EngineException(ErrorCode.INTERNAL, "llama.cpp could not decode the embedding batch: " + s);
            for (Row r : rows) {
                r.job().result.completeExceptionally(e);
            }
            working.removeIf(j -> j.result.isDone());
            return;
        }
        for (int k = 0; k < rows.size(); k++) {
            Row r = rows.get(k);
            r.job().vectors[r.index()] = context.sequenceEmbedding(k);
            r.job().done++;
        }
        context.clearMemory();
        for (Job j : working) {
            if (j.done == j.inputs.size()) {
                j.result.complete(List.of(j.vectors));
            }
        }
        working.removeIf(j -> j.result.isDone());
    }

    @Override
    public void close() {
        open = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
            if (thread.isAlive()) {
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
