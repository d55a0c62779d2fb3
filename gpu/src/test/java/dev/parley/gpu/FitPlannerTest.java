package dev.parley.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The planner on stated figures: an 8B Llama-shaped model at Q4 (4.9 GB of weights, 32 layers, 4096
 * wide, 8 KV heads of 128, a 128256-token vocabulary) with an f16 KV cache and 512-token micro-batches.
 * Per layer: 4.9e9 / 33 = 148,484,848 bytes of weights, and 8 x 128 x 2 x 2 = 4096 bytes of KV per cell.
 * Compute: 512 x (128256 + 16 x 4096) x 4 + 64 MiB = 463,986,688 bytes.
 */
class FitPlannerTest {

    private static final FitPlanner.ModelFacts LLAMA_8B_Q4 = new FitPlanner.ModelFacts(4_900_000_000L, 32, 4096, 8, 128, 128_256);
    private static final long GIB = 1L << 30;

    private static FitPlanner.Request request(Integer layers, Integer ctx) {
        return new FitPlanner.Request(layers, ctx, 8192, 4, 512, 2.0);
    }

    @Test
    void aBigGpuTakesEverything() {
        FitPlanner.Plan p = FitPlanner.plan(LLAMA_8B_Q4, request(null, null), 80 * GIB);
        assertEquals(33, p.gpuLayers());
        assertEquals(8192, p.contextSize());
        assertEquals(1L << 30, p.kvOnGpu(), "8192 cells x 32 layers x 4096 bytes");
    }

    @Test
    void aSmallGpuGetsAShorterContextWhenTheOperatorDidNotSetOne() {
        // 6 GiB free: budget 6 GiB - 512 MiB = 5,905,580,032. At 8192 cells everything needs 6,437,728,512;
        // at 4096 cells it needs 5,900,857,600, which fits.
        FitPlanner.Plan p = FitPlanner.plan(LLAMA_8B_Q4, request(null, null), 6 * GIB);
        assertEquals(33, p.gpuLayers());
        assertEquals(4096, p.contextSize());
        assertTrue(p.explanation().contains("reduced from 8192"), p.explanation());
    }

    @Test
    void withAFixedContextOnlySomeLayersFit() {
        // (5,905,580,032 - 463,986,688) / (148,484,848 + 33,554,432) = 29.9: 29 layers.
        FitPlanner.Plan p = FitPlanner.plan(LLAMA_8B_Q4, request(null, 8192), 6 * GIB);
        assertEquals(29, p.gpuLayers());
        assertEquals(8192, p.contextSize());
        assertTrue(p.explanation().contains("only 29 of 32 layers fit"), p.explanation());
    }

    @Test
    void aTinyGpuRunsTheModelOnTheCpu() {
        FitPlanner.Plan p = FitPlanner.plan(LLAMA_8B_Q4, request(null, 8192), 1 * GIB);
        assertEquals(0, p.gpuLayers());
    }

    @Test
    void anImpossibleExplicitRequestFailsWithTheNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FitPlanner.plan(LLAMA_8B_Q4, request(33, 8192), 6 * GIB));
        assertTrue(e.getMessage().startsWith("--n-gpu-layers 33 does not fit: it needs 6.00 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("the GPU has 6.00 GiB free, 5.50 GiB usable"), e.getMessage());
        assertEquals(20, FitPlanner.plan(LLAMA_8B_Q4, request(20, 8192), 6 * GIB).gpuLayers(), "a request that fits is kept");
    }

    /**
     * A Qwen3-0.6B-shaped draft at Q8 (0.64 GB, 28 layers, 1024 wide, 8 KV heads of 128, a 151936-token
     * vocabulary): 0.64e9 + 8192 x 28 x 8 x 128 x 2 x 2 bytes of KV (0.94 GB) + 512 x (151936 + 16 x 1024) x 4 + 64 MiB
     * of compute (0.41 GB), 1,991,352,320 bytes (1.85 GiB), comes off the free memory before the target is planned.
     */
    private static final FitPlanner.ModelFacts QWEN3_06B_Q8 = new FitPlanner.ModelFacts(640_000_000L, 28, 1024, 8, 128, 151_936);

    @Test
    void aDraftModelIsPlacedWholeAndTheTargetIsPlannedInWhatIsLeft() {
        FitPlanner.Plan alone = FitPlanner.plan(LLAMA_8B_Q4, request(null, 8192), 8 * GIB);
        assertEquals(33, alone.gpuLayers(), alone.explanation());
        FitPlanner.Plan shared = FitPlanner.plan(LLAMA_8B_Q4, request(null, 8192), 8 * GIB, QWEN3_06B_Q8);
        assertTrue(shared.gpuLayers() < 33, "the draft's 1.85 GiB leave the 8B model too little for all of its layers: " + shared.explanation());
        assertEquals(FitPlanner.plan(LLAMA_8B_Q4, request(null, 8192), 8 * GIB - 1_991_352_320L).gpuLayers(), shared.gpuLayers());
        assertTrue(shared.explanation().startsWith("the draft model takes 1.85 GiB of 8.00 GiB first; "), shared.explanation());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FitPlanner.plan(LLAMA_8B_Q4, request(null, 8192), 2 * GIB, QWEN3_06B_Q8));
        assertTrue(e.getMessage().startsWith("--model-draft does not fit on the GPU: it needs 1.85 GiB"), e.getMessage());
    }
}
