package dev.parley.runtime.engine;

import dev.parley.bindings.DecodeStatus;
import dev.parley.bindings.grammar.Grammar;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link StepExecutor} with no model and no natives, for scheduling-policy tests: a KV cache of
 * {@code cells} cells shared by every sequence, which refuses a batch that does not fit (as llama.cpp
 * does) and one whose positions do not continue a sequence (a scheduler bug). Every decoded batch and
 * every sequence call is recorded, so tests assert what the scheduler decided. The sampler returns
 * 1000 plus the position of the row it samples from, so output is predictable and never ends early.
 */
final class SimulatedExecutor implements StepExecutor {

    /** One row of a decoded batch. */
    record Row(int token, int position, int sequence, boolean output) {}

    private final int cells;
    private final int sequences;
    private final int batchSize;
    /** Positions each sequence holds (0..length-1). */
    private final int[] lengths;
    /** Successful decodes, in order. */
    final List<List<Row>> decoded = new ArrayList<>();

    /** The token each position of sequence {@code seq} ended up holding (later decodes overwrite cut cells). */
    List<Integer> finalTokens(int seq) {
        List<Integer> at = new ArrayList<>();
        for (List<Row> b : decoded) {
            for (Row r : b) {
                if (r.sequence() == seq) {
                    while (at.size() <= r.position()) {
                        at.add(null);
                    }
                    at.set(r.position(), r.token());
                }
            }
        }
        return at;
    }
    /** Sequence calls other than decode, in order: "cut 1 4", "clear 0", "save 1", "restore 1 17", "refused 1". */
    final List<String> calls = new ArrayList<>();
    /** Decodes refused for want of cells. */
    int noRoom;
    private List<Row> last = List.of();

    SimulatedExecutor(int cells, int sequences, int batchSize) {
        this.cells = cells;
        this.sequences = sequences;
        this.batchSize = batchSize;
        this.lengths = new int[sequences];
    }

    int length(int seq) {
        return lengths[seq];
    }

    int used() {
        return Arrays.stream(lengths).sum();
    }

    @Override
    public int contextSize() {
        return cells;
    }

    @Override
    public int sequences() {
        return sequences;
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public boolean sharedCells() {
        return true;
    }

    @Override
    public StepBatch newBatch(int capacity) {
        return new Batch(capacity);
    }

    @Override
    public DecodeStatus decode(StepBatch b) {
        List<Row> rows = ((Batch) b).rows;
        int[] next = lengths.clone();
        for (Row r : rows) {
            if (r.position() != next[r.sequence()]) {
                return DecodeStatus.INVALID_BATCH; // a gap or an overlap in the sequence's positions
            }
            next[r.sequence()]++;
        }
        if (used() + rows.size() > cells) {
            noRoom++;
            return DecodeStatus.NO_KV_SLOT;
        }
        System.arraycopy(next, 0, lengths, 0, sequences);
        last = List.copyOf(rows);
        decoded.add(last);
        return DecodeStatus.OK;
    }

    @Override
    public boolean removeTokens(int seq, int from, int to) {
        calls.add("cut " + seq + " " + from);
        lengths[seq] = Math.min(lengths[seq], from);
        return true;
    }

    @Override
    public void clearSequence(int seq) {
        calls.add("clear " + seq);
        lengths[seq] = 0;
    }

    @Override
    public int maxPosition(int seq) {
        return lengths[seq] - 1;
    }

    @Override
    public long sequenceStateBytes(int seq) {
        return Integer.BYTES;
    }

    @Override
    public long saveSequence(int seq, MemorySegment dst) {
        calls.add("save " + seq);
        dst.set(ValueLayout.JAVA_INT_UNALIGNED, 0, lengths[seq]);
        return Integer.BYTES;
    }

    @Override
    public boolean restoreSequence(int seq, MemorySegment src, int tokens) {
        return restoreRefusal(seq, src, tokens) == null;
    }

    @Override
    public String restoreRefusal(int seq, MemorySegment src, int tokens) {
        int saved = src.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        if (saved != tokens) {
            throw new AssertionError("a state of " + saved + " tokens restored as " + tokens);
        }
        if (used() - lengths[seq] + tokens > cells) {
            calls.add("refused " + seq);
            return "no room";
        }
        calls.add("restore " + seq + " " + tokens);
        lengths[seq] = tokens;
        return null;
    }

    @Override
    public TokenSampler newSampler(GenerationRequest request, Grammar grammar) {
        return new TokenSampler() {
            @Override
            public int sample(int row) {
                return 1000 + last.get(row).position();
            }

            @Override
            public void acceptPenaltyOnly(int token) {
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void recordLogprobs(Logprobs logprobs, int row, int token) {
        throw new AssertionError("these tests ask for no logprobs");
    }

    @Override
    public int warmUpToken() {
        return 1;
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token == 2;
    }

    private final byte[] piece = {'x'};

    @Override
    public int piece(int token) {
        return 1;
    }

    @Override
    public byte[] pieceBytes() {
        return piece;
    }

    @Override
    public void close() {
    }

    /** A batch as a list, checked like a native one. */
    private static final class Batch implements StepBatch {
        private final int capacity;
        private final List<Row> rows = new ArrayList<>();

        Batch(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public int size() {
            return rows.size();
        }

        @Override
        public int remaining() {
            return capacity - rows.size();
        }

        @Override
        public void clear() {
            rows.clear();
        }

        @Override
        public int add(int token, int position, int sequence, boolean output) {
            if (rows.size() == capacity) {
                throw new IllegalStateException("batch full");
            }
            rows.add(new Row(token, position, sequence, output));
            return rows.size() - 1;
        }

        @Override
        public void close() {
        }
    }
}
