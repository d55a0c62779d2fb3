package dev.parley.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.Engine;
import dev.parley.runtime.engine.SlotInfo;
import dev.parley.server.auth.Caller;
import dev.parley.server.auth.RequestOwners;
import dev.parley.server.metrics.GpuMonitor;
import dev.parley.server.metrics.StorageStatus;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import dev.parley.runtime.kv.SharedTierStats;
import java.util.Locale;

/** Liveness, readiness, the slot table and the GPUs. */
public final class OpsApi {

    private final Engine engine;
    private final GpuMonitor gpus;
    private final RequestOwners owners;
    private final boolean keysOn;
    private final StorageStatus storage;

    /**
     * With {@code keysOn}, a caller sees only its own requests' ids and conversation keys in the slot
     * table; others' slots show their state and counts only.
     */
    public OpsApi(Engine engine, GpuMonitor gpus, RequestOwners owners, boolean keysOn) {
        this(engine, gpus, owners, keysOn, new StorageStatus(() -> false, () -> false, () -> false));
    }

    /** As above; readiness also reports the stores' disks ({@code storage}). */
    public OpsApi(Engine engine, GpuMonitor gpus, RequestOwners owners, boolean keysOn, StorageStatus storage) {
        this.engine = engine;
        this.gpus = gpus;
        this.owners = owners;
        this.keysOn = keysOn;
        this.storage = storage;
    }

    public void register(HttpRules rules) {
        rules.get("/health", this::live)
             .get("/health/ready", this::ready)
             .get("/api/v1/slots", this::slots)
             .get("/api/v1/gpus", (req, res) -> Json.send(res, 200, gpus.describe()));
    }

    private void live(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object().put("status", "ok");
        sharedTier(body);
        Json.send(res, 200, body);
    }

    /**
     * The shared KV tier's state, when there is one. A store that is down leaves the replica live and
     * ready (turns are prefilled instead), so it shows here and in parley_kv_shared_up, not in the status.
     */
    private void sharedTier(ObjectNode body) {
        SharedTierStats s = engine.kvSharedStats();
        if (s == null) {
            return;
        }
        body.putObject("kv_shared").put("backend", s.backend()).put("up", s.up()).put("hits", s.hits()).put("misses", s.misses())
                .put("skipped", s.skipped()).put("writes", s.writes()).put("write_failures", s.writeFailures()).put("dropped", s.dropped())
                .put("discarded", s.discarded()).put("superseded", s.superseded()).put("queued", s.queued()).put("bytes_read", s.bytesRead()).put("bytes_written", s.bytesWritten());
    }

    private void ready(ServerRequest req, ServerResponse res) {
        boolean ready = engine.ready();
        // Draining: shutting down, finishing running generations; routers should send nothing new.
        ObjectNode body = Json.object().put("status", ready ? "ready" : engine.draining() ? "draining" : "not ready");
        body.put("model", engine.model().name()).put("scheduler", ready || engine.draining() ? "running" : "stopped");
        // A full disk leaves the replica ready (stateless turns still work) but says which stores cannot write.
        ObjectNode disks = body.putObject("storage");
        for (String store : storage.names()) {
            disks.put(store, storage.full(store) ? "full" : "ok");
        }
        sharedTier(body);
        Json.send(res, ready ? 200 : 503, body);
    }

    private void slots(ServerRequest req, ServerResponse res) {
        String caller = Caller.of(req).owner();
        ObjectNode body = Json.object();
        ArrayNode slots = body.putArray("slots");
        for (SlotInfo s : engine.slots()) {
            ObjectNode o = slots.addObject();
            o.put("id", s.id());
            o.put("state", s.state().name().toLowerCase(Locale.ROOT));
            if (s.requestId() == null || keysOn && !owners.belongsTo(s.requestId(), caller)) {
                o.putNull("request_id");
            } else {
                o.put("request_id", s.requestId());
            }
            o.put("tokens_cached", s.cachedTokens());
            o.put("tokens_generated", s.generatedTokens());
            // The conversation key is the caller's own data (a thread id, its x-session-id): shown only to its owner.
            if (s.conversation() == null || keysOn && !caller.equals(s.namespace())) {
                o.putNull("conversation");
            } else {
                o.put("conversation", s.conversation());
            }
            o.put("held_ms", s.heldMillis());
        }
        body.put("queue_length", engine.queueLength());
        Json.send(res, 200, body);
    }
}
