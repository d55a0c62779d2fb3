package dev.parley.server.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Which of the server's stores cannot write because their disk is full: {@code threads} (the thread
 * database), {@code uploads} (the upload spool under the data directory) and {@code kv_disk} (the KV
 * disk tier). Each recovers by itself when space returns; readiness and {@code parley_storage_full} show it.
 */
public final class StorageStatus {

    private final Map<String, BooleanSupplier> stores = new LinkedHashMap<>();

    public StorageStatus(BooleanSupplier threads, BooleanSupplier uploads, BooleanSupplier kvDisk) {
        stores.put("threads", threads);
        stores.put("uploads", uploads);
        stores.put("kv_disk", kvDisk);
    }

    /** The store names, in a fixed order. */
    public Iterable<String> names() {
        return stores.keySet();
    }

    public boolean full(String store) {
        return stores.get(store).getAsBoolean();
    }
}
