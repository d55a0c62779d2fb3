package dev.parley.runtime.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one step decided, before anything runs: the slots admitted and resumed, the slots that decode
 * a token (each with the tokens drafted after it), the prompt chunks that run and how many tokens
 * each, and what the out-of-room policy did when the KV cache refused the batch. Made by the
 * {@link StepPlanner} and {@link RoomPolicy}, carried out by the {@link StepRunner}; the drafts stay
 * readable until the next plan, for the sampling that verifies them. One per scheduler, reused every
 * step (arrays sized by the slot count), so planning allocates nothing; the list views are for tests
 * and logs.
 */
final class StepPlan {

    private final int[] admitted;
    private int admittedCount;
    private final int[] resumed;
    private int resumedCount;
    /** Slots that decode their next token, in batch order. */
    private final int[] decodes;
    private int decodeCount;
    /** Per slot: tokens drafted after its next token this step, and the tokens. */
    private final int[] draftLength;
    private final int[][] drafts;
    /** Per slot: tokens the {@link DraftProposer} drafted this step, before planning took them or not. */
    private final int[] proposed;
    /** Prompt chunks in batch order (after every decode): slot and token count. */
    private final int[] chunkSlots;
    private final int[] chunkTokens;
    private int chunkCount;
    /** Per slot: the prompt tokens of its chunk this step, 0 for none. */
    private final int[] chunkOf;
    /** Whether this step's drafts were dropped because the batch with them found no KV room. */
    private boolean draftsDropped;
    /** What the out-of-room policy decided this step, in order. */
    private final List<RoomPolicy.Action> roomActions = new ArrayList<>();

    StepPlan(int slots, int maxDraft) {
        admitted = new int[slots];
        resumed = new int[slots];
        decodes = new int[slots];
        draftLength = new int[slots];
        drafts = new int[slots][maxDraft];
        proposed = new int[slots];
        chunkSlots = new int[slots];
        chunkTokens = new int[slots];
        chunkOf = new int[slots];
    }

    /** A new step: nothing admitted, resumed or refused yet (the last batch stays until {@link #clearBatch}). */
    void beginStep() {
        admittedCount = 0;
        resumedCount = 0;
        draftsDropped = false;
        Arrays.fill(proposed, 0);
        roomActions.clear();
    }

    /** Empties the batch part, to plan it (again). */
    void clearBatch() {
        decodeCount = 0;
        chunkCount = 0;
        Arrays.fill(draftLength, 0);
        Arrays.fill(chunkOf, 0);
    }

    void admitted(int slot) {
        admitted[admittedCount++] = slot;
    }

    void resumed(int slot) {
        resumed[resumedCount++] = slot;
    }

    void decode(int slot) {
        decodes[decodeCount++] = slot;
    }

    /** The buffer slot {@code slot}'s draft is written into. */
    int[] draft(int slot) {
        return drafts[slot];
    }

    /** Records that {@code n} tokens were drafted into {@link #draft}'s buffer for {@code slot}. */
    void proposed(int slot, int n) {
        proposed[slot] = n;
    }

    /** The tokens proposed for {@code slot} this step (0 for none). */
    int proposed(int slot) {
        return proposed[slot];
    }

    void drafted(int slot, int n) {
        draftLength[slot] = n;
    }

    void chunk(int slot, int tokens) {
        chunkSlots[chunkCount] = slot;
        chunkTokens[chunkCount++] = tokens;
        chunkOf[slot] = tokens;
    }

    void dropDrafts() {
        draftsDropped = true;
    }

    void decided(RoomPolicy.Action action) {
        roomActions.add(action);
    }

    int decodeCount() {
        return decodeCount;
    }

    int decodeSlot(int i) {
        return decodes[i];
    }

    int draftLength(int slot) {
        return draftLength[slot];
    }

    int chunkCount() {
        return chunkCount;
    }

    int chunkSlot(int i) {
        return chunkSlots[i];
    }

    int chunkTokens(int i) {
        return chunkTokens[i];
    }

    /** Prompt tokens slot {@code slot} prefills this step, 0 for none. */
    int chunkOf(int slot) {
        return chunkOf[slot];
    }

    boolean draftsDropped() {
        return draftsDropped;
    }

    boolean hasDrafts() {
        for (int i = 0; i < decodeCount; i++) {
            if (draftLength[decodes[i]] > 0) {
                return true;
            }
        }
        return false;
    }

    /** Prompt tokens of all chunks. */
    int prefillTokens() {
        int n = 0;
        for (int i = 0; i < chunkCount; i++) {
            n += chunkTokens[i];
        }
        return n;
    }

    /** Rows the batch needs: decode tokens, drafts and prompt chunks. */
    int rows() {
        int n = decodeCount + prefillTokens();
        for (int i = 0; i < decodeCount; i++) {
            n += draftLength[decodes[i]];
        }
        return n;
    }

    boolean isEmpty() {
        return decodeCount == 0 && chunkCount == 0;
    }

    // ---- views, for tests and logs (they allocate) ----

    /** A prompt chunk: {@code tokens} prompt tokens of slot {@code slot}. */
    record Chunk(int slot, int tokens) {}

    List<Integer> admittedSlots() {
        return list(admitted, admittedCount);
    }

    List<Integer> resumedSlots() {
        return list(resumed, resumedCount);
    }

    List<Integer> decodeSlots() {
        return list(decodes, decodeCount);
    }

    List<Chunk> chunks() {
        List<Chunk> out = new ArrayList<>();
        for (int i = 0; i < chunkCount; i++) {
            out.add(new Chunk(chunkSlots[i], chunkTokens[i]));
        }
        return out;
    }

    List<RoomPolicy.Action> roomActions() {
        return List.copyOf(roomActions);
    }

    private static List<Integer> list(int[] a, int n) {
        return Arrays.stream(a, 0, n).boxed().toList();
    }

    @Override
    public String toString() {
        return "StepPlan[admitted=" + admittedSlots() + ", resumed=" + resumedSlots() + ", decodes=" + decodeSlots() + ", chunks=" + chunks()
                + ", draftsDropped=" + draftsDropped + ", room=" + roomActions + "]";
    }
}
