package dev.parley.server.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.EngineConfig;
import dev.parley.runtime.engine.GenerationEvent;
import dev.parley.runtime.engine.GenerationOptions;
import dev.parley.runtime.engine.Sampling;
import dev.parley.runtime.testmodel.TestModels;
import dev.parley.server.api.ApiError;
import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.ThreadStore;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A thread is free for its next turn as soon as its exchange is stored, before `done` is written: a
 * client that answers `done` at once must never meet a 409. (Over HTTP that race is a few microseconds
 * wide; here a writer looks at the thread's state at the moment it is asked to write `done`.)
 */
class ThreadReleaseTest {

    @Test
    void theThreadIsFreeWhenDoneIsWritten() throws Exception {
        try (Engine engine = Engine.start(EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2).withSlots(1, 1024));
             ThreadStore store = ThreadStore.sqlite(Files.createTempDirectory("parley-threads"))) {
            Exchange exchange = new Exchange(engine, store);
            Conversation thread = store.create("local", null, null, "{}");
            AtomicReference<Boolean> busyAtDone = new AtomicReference<>();
            WireFormat probe = (started, res) -> new EventWriter() {
                @Override
                public void piece(GenerationEvent.Piece piece) {
                }

                @Override
                public void done(GenerationEvent.Done done, String messageId) {
                    busyAtDone.set(exchange.threadInProgress(thread.id()));
                }

                @Override
                public void failed(ApiError error) {
                    throw new AssertionError(error.getMessage());
                }
            };
            Turn turn = new Turn("r1", new Turn.OnThread(thread, "hi", null, null, true),
                    new GenerationOptions(2, Sampling.GREEDY, List.of(), null), null, "local");
            // no conversation key and no truncation: the exchange leaves the response to the writer, which ignores it
            exchange.run(new Call(turn, probe), null, "test");
            assertFalse(busyAtDone.get(), "the exchange is stored, so the thread is free before done is written");
            assertEquals(2, store.messages(thread.id()).size());
        }
    }
}
