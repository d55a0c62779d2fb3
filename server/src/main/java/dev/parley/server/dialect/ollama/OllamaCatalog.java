package dev.parley.server.dialect.ollama;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.runtime.engine.EngineClient;
import dev.parley.server.api.Json;
import dev.parley.server.modelref.ModelReference;
import dev.parley.server.models.ModelRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * With several models, {@code /api/tags} lists every model the server can serve (by the names requests use)
 * and {@code /api/ps} the loaded ones, each with when it will be unloaded ({@code expires_at}; null while a
 * request holds it or when it stays loaded for ever).
 */
final class OllamaCatalog {

    private final ModelRegistry<? extends EngineClient> registry;

    OllamaCatalog(ModelRegistry<? extends EngineClient> registry) {
        this.registry = registry;
    }

    ObjectNode tags() {
        ObjectNode r = Json.object();
        var list = r.putArray("models");
        for (String name : registry.catalog().names()) {
            ModelReference ref = registry.catalog().reference(name);
            long size = 0;
            String modified = Instant.EPOCH.toString();
            if (ref instanceof ModelReference.LocalFile f) {
                try {
                    size = Files.size(f.path());
                    modified = Files.getLastModifiedTime(f.path()).toInstant().toString();
                } catch (IOException e) {
                    // listed all the same: loading it will say what is wrong
                }
            }
            list.addObject().put("name", name).put("model", name).put("modified_at", modified).put("size", size)
                    .put("digest", sha256(ref.display())).put("reference", ref.display());
        }
        return r;
    }

    ObjectNode running() {
        ObjectNode r = Json.object();
        var list = r.putArray("models");
        for (ModelRegistry.Loaded l : registry.loaded()) {
            EngineClient e = registry.ifLoaded(l.name());
            if (!l.ready() || e == null) {
                continue; // still loading: not served yet
            }
            ObjectNode m = (ObjectNode) new OllamaModels(e).running().get("models").get(0);
            m.put("name", l.name()).put("model", l.name()).put("size", l.bytes());
            if (l.expiresAtMillis() == ModelRegistry.Loaded.NEVER) {
                m.putNull("expires_at");
            } else {
                m.put("expires_at", Instant.ofEpochMilli(l.expiresAtMillis()).toString());
            }
            list.add(m);
        }
        return r;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
