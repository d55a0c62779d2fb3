package dev.parley.server;

import dev.parley.runtime.testmodel.TestModels;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@link TestServer} a test class runs against, put into the static field this marks before the class's first
 * test. Classes that ask for the same server (flags, keys and model) share one for the whole run, so a class costs
 * its own tests and not a server start; {@link #isolated} gives a class one of its own.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(TestServerExtension.class)
@interface ServerFlags {

    /** Flags after TestServer's own (a free port, two threads, the model, a fresh data directory). */
    String[] value() default {};

    /** The text of the {@code --api-keys-file} written for the server (lines {@code owner:key[:credits]}); empty: no keys. */
    String keys() default "";

    /** The model it serves. */
    Model model() default Model.TINY_QWEN3;

    /**
     * A server for this class alone, closed after its last test. For classes that change what a server holds for every
     * caller (a prompt watcher, a replaced summary grammar, totals read as absolute figures, a store left in a state),
     * where sharing would let one class's tests depend on which classes ran before.
     */
    boolean isolated() default false;

    /** The generated test models. */
    enum Model {
        TINY_QWEN3,
        TINY_QWEN3_EMBEDDING;

        Path path() {
            return switch (this) {
                case TINY_QWEN3 -> TestModels.tinyQwen3();
                case TINY_QWEN3_EMBEDDING -> TestModels.tinyQwen3Embedding();
            };
        }
    }
}
