package dev.parley.server.models;

import dev.parley.runtime.engine.EngineClient;
import dev.parley.server.api.ApiError;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * Which engine answers a turn. With one model (a single {@code --model}) it is always that one and a
 * request's {@code model} field changes nothing, as before several models existed. With a catalog the
 * field picks the model from the {@link ModelRegistry}, loading it if needed; an unknown name is a 404
 * listing the models there, a model that cannot fit is a 503 (or 507 when it never fits) with the numbers,
 * and a model still loading after the queue timeout is a 504.
 */
public final class ModelRouter implements AutoCloseable {

    private final EngineClient single;
    private final ModelRegistry<? extends EngineClient> registry;
    private final Duration wait;

    private ModelRouter(EngineClient single, ModelRegistry<? extends EngineClient> registry, Duration wait) {
        this.single = single;
        this.registry = registry;
        this.wait = wait;
    }

    /** One model for every request, whatever it names. */
    public static ModelRouter single(EngineClient engine) {
        return new ModelRouter(engine, null, Duration.ZERO);
    }

    /** Models by name; a request waits at most {@code wait} (the queue timeout) for one to load. */
    public static ModelRouter of(ModelRegistry<? extends EngineClient> registry, Duration wait) {
        return new ModelRouter(null, registry, wait);
    }

    /** The registry, or null with a single model. */
    public ModelRegistry<? extends EngineClient> registry() {
        return registry;
    }

    /** The engine a turn runs on, held until {@link Held#close()}. */
    public interface Held extends AutoCloseable {
        EngineClient engine();

        @Override
        void close();
    }

    /** Holds the engine for {@code model} (null: the default one); refusals are {@link ApiError}s. */
    public Held acquire(String model, Duration keepAlive) throws InterruptedException {
        if (registry == null) {
            return new Held() {
                public EngineClient engine() {
                    return single;
                }

                public void close() {
                }
            };
        }
        ModelRegistry<? extends EngineClient>.Lease lease;
        try {
            lease = registry.acquire(model, keepAlive, wait);
        } catch (UnknownModelException e) {
            throw notFound(e.name(), e.known());
        } catch (ModelCapacityException e) {
            throw new ApiError(e.never() ? 507 : 503, e.getMessage(), "model", e.never() ? "model_too_large" : "models_busy");
        } catch (TimeoutException e) {
            throw new ApiError(504, "model '" + model + "' was still loading after " + wait.toSeconds() + " s (the queue timeout)",
                    "model", "timeout");
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new ApiError(500, "model '" + model + "' cannot be loaded: " + e.getMessage(), "model", "model_load_failed");
        }
        return new Held() {
            public EngineClient engine() {
                return lease.model();
            }

            public void close() {
                lease.close();
            }
        };
    }

    /** {@link #acquire} for handlers that answer outside the exchange (embeddings): an interrupt is a 503. */
    public Held hold(String model, Duration keepAlive) {
        try {
            return acquire(model, keepAlive);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "interrupted while waiting for model '" + model + "'", "model");
        }
    }

    /** The 404 every dialect renders in its own shape: the name asked for and every name there is. */
    public static ApiError notFound(String name, List<String> known) {
        return new ApiError(404, "model '" + name + "' not found; the models here are: " + String.join(", ", known), "model",
                "model_not_found");
    }

    @Override
    public void close() {
        if (registry != null) {
            registry.close();
        }
    }
}
