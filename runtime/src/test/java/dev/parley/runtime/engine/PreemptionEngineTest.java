package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.chat;
import static dev.parley.runtime.engine.Generations.done;
import static dev.parley.runtime.engine.Generations.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.kv.KvSettings;
import dev.parley.runtime.testmodel.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Admission by KV memory and preemption to the RAM tier on the tiny generated Qwen3 model: four
 * conversations that each fit the 256 cells alone but not together run on an engine of 256 cells, so
 * that generations are preempted (saved to the RAM tier, their cells freed) and resumed, and their
 * greedy output is the one an engine with room for all of them gives. The test checks that the
 * pressure did preempt to the tier, or it would prove nothing.
 */
class PreemptionEngineTest {

    private static List<GenerationRequest> requests() {
        String[] topics = {"the sea and its tides", "a mountain village in winter", "the history of the printing press",
                "how bees find their way home"};
        List<GenerationRequest> out = new ArrayList<>();
        for (int i = 0; i < topics.length; i++) {
            String ask = "Please write a long and careful answer about " + topics[i] + ". Say what it is, where it comes from, "
                    + "why people care about it, what is often misunderstood, and what a curious reader should look at next.";
            out.add(GenerationRequest.greedy("r" + i, chat(ask), 90));
        }
        return out;
    }

    /** Each request's text and generated tokens, all submitted at once. */
    private static List<String> run(Engine engine) throws Exception {
        List<TokenStream> streams = new ArrayList<>();
        for (GenerationRequest r : requests()) {
            streams.add(engine.submit(r));
        }
        List<String> out = new ArrayList<>();
        for (TokenStream s : streams) {
            List<GenerationEvent> events = s.drain(120_000);
            out.add(raw(events) + " / " + done(events).reason() + " after " + done(events).usage().generatedTokens());
        }
        return out;
    }

    @Test
    void generationsPreemptedToTheRamTierForRoomGiveTheOutputOfAnEngineWithRoomForAll() throws Exception {
        EngineConfig base = EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2).withKvTiers(KvSettings.ram(64L << 20));
        List<String> expected;
        try (Engine roomy = Engine.start(base.withSlots(4, 4096))) {
            expected = run(roomy);
        }
        AtomicInteger toTier = new AtomicInteger();
        AtomicInteger inPlace = new AtomicInteger();
        AtomicInteger resumed = new AtomicInteger();
        EngineObserver observer = new EngineObserver() {
            @Override
            public void preempted(int tokens, boolean tier) {
                (tier ? toTier : inPlace).incrementAndGet();
            }

            @Override
            public void resumedFromPreemption(int tokens, long nanos) {
                resumed.incrementAndGet();
            }
        };
        try (Engine tight = Engine.start(base.withSlots(4, 256), observer)) {
            assertEquals(256, tight.slotCapacity());
            for (GenerationRequest r : requests()) {
                int prompt = tight.prepare((Prompt.Chat) r.prompt()).tokens().length;
                assertTrue(prompt >= 32 && prompt + r.maxTokens() <= 256 && 4 * (prompt + r.maxTokens()) > 256,
                        "each fits alone, not all together: " + prompt + " prompt tokens");
            }
            List<String> got = run(tight);
            assertEquals(expected, got, "the same greedy output under pressure");
            assertTrue(toTier.get() > 0, "generations were preempted to the RAM tier");
            assertEquals(0, inPlace.get(), "none had to be paused in place");
            assertEquals(toTier.get(), resumed.get(), "and each came back");
            assertEquals(0, tight.stats().failed());
        }
    }
}
