package dev.parley.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/helm/parley rendered by Helm itself (helm-java bundles Helm 3 as a native library), linted, and
 * every built-in manifest validated against the Kubernetes API schema. The custom resources
 * (ServiceMonitor, InferencePool) have no schema package here: they are checked for what ties them to
 * the rest (the pods and Service they select, the port they name).
 */
class HelmChartTest {

    private static final Path CHART = Path.of(System.getProperty("parley.root", "..")).resolve("deploy/helm/parley");
    private static final String DATABASE = "jdbc:postgresql://postgres:5432/parley";

    private static List<ObjectNode> renderAll(Map<String, Object> values) throws Exception {
        TemplateCommand template = new Helm(CHART).template().withName("chat").withNamespace("llm");
        values.forEach(template::set);
        return Manifests.parse(template.call());
    }

    /** The rendered documents by kind, where the values make one of each. */
    private static Map<String, ObjectNode> render(Map<String, Object> values) throws Exception {
        Map<String, ObjectNode> byKind = new LinkedHashMap<>();
        for (ObjectNode doc : renderAll(values)) {
            assertTrue(byKind.put(doc.path("kind").asText(), doc) == null, "one " + doc.path("kind").asText());
        }
        return byKind;
    }

    private static Map<String, Object> everything() {
        Map<String, Object> v = new HashMap<>();
        v.put("database.url", DATABASE);
        v.put("autoscaling.enabled", true);
        v.put("serviceMonitor.enabled", true);
        v.put("inferencePool.enabled", true);
        return v;
    }

    @Test
    void chartLintsClean() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), "helm lint --strict: " + lint.getMessages());
    }

    @Test
    void everyBuiltInManifestFitsTheKubernetesSchema() throws Exception {
        for (Map<String, Object> values : List.of(Map.<String, Object>of("database.url", DATABASE), everything(),
                Map.<String, Object>of("database.existingSecret", "pg", "model.copyFromImage.enabled", true,
                        "model.copyFromImage.image", "registry.example/models:qwen3-8b"),
                Map.<String, Object>of("database.url", DATABASE, "kvShared.redis.bundled.enabled", true, "kvShared.redis.passwordSecret", "kv"),
                Map.<String, Object>of("database.url", DATABASE, "kvShared.volume.persistentVolumeClaim", "kv-rwx"))) {
            List<String> validated = new ArrayList<>();
            for (ObjectNode doc : renderAll(values)) {
                if (Manifests.isBuiltIn(doc)) {
                    Manifests.validate(doc);
                    validated.add(doc.path("kind").asText());
                }
            }
            assertTrue(validated.containsAll(List.of("Deployment", "Service")), values + ": " + validated);
        }
    }

    @Test
    void theValidatorRefusesAMisspelledField() throws Exception {
        ObjectNode deployment = render(Map.of("database.url", DATABASE)).get("Deployment");
        ObjectNode container = (ObjectNode) deployment.at("/spec/template/spec/containers/0");
        container.set("livenesProbe", container.remove("livenessProbe"));
        assertThrows(IllegalArgumentException.class, () -> Manifests.validate(deployment));
    }

    @Test
    void theDeploymentAsksForAGpuProbesHealthAndReadsTheDatabaseUrlFromASecret() throws Exception {
        Map<String, ObjectNode> docs = render(Map.of("database.url", DATABASE));
        JsonNode container = docs.get("Deployment").at("/spec/template/spec/containers/0");
        assertEquals("1", container.at("/resources/limits/nvidia.com~1gpu").asText());
        assertEquals("/health", container.at("/livenessProbe/httpGet/path").asText());
        assertEquals("/health", container.at("/startupProbe/httpGet/path").asText());
        assertEquals("/health/ready", container.at("/readinessProbe/httpGet/path").asText());
        Map<String, JsonNode> env = new HashMap<>();
        container.get("env").forEach(e -> env.put(e.get("name").asText(), e));
        JsonNode url = env.get("PARLEY_DATABASE_URL").at("/valueFrom/secretKeyRef");
        assertEquals(docs.get("Secret").at("/metadata/name").asText(), url.get("name").asText());
        assertEquals(DATABASE, docs.get("Secret").at("/stringData/url").asText());
        assertEquals("metadata.name", env.get("PARLEY_REPLICA_NAME").at("/valueFrom/fieldRef/fieldPath").asText());
        assertEquals("/models", container.at("/volumeMounts/0/mountPath").asText());
    }

    @Test
    void withoutADatabaseTheChartRefusesToRender() {
        Exception e = assertThrows(Exception.class, () -> render(Map.of()));
        assertTrue(e.getMessage().contains("database.existingSecret"), e.getMessage());
    }

    @Test
    void serviceMonitorPoolAndAutoscalerPointAtTheReplicas() throws Exception {
        Map<String, ObjectNode> docs = render(everything());
        JsonNode podLabels = docs.get("Deployment").at("/spec/template/metadata/labels");
        JsonNode ports = docs.get("Deployment").at("/spec/template/spec/containers/0/ports/0");

        JsonNode service = docs.get("Service");
        service.at("/spec/selector").properties().forEach(l -> assertEquals(l.getValue(), podLabels.get(l.getKey()), "Service selects the pods"));
        assertEquals(ports.get("name").asText(), service.at("/spec/ports/0/targetPort").asText());

        JsonNode monitor = docs.get("ServiceMonitor");
        assertEquals("monitoring.coreos.com/v1", monitor.get("apiVersion").asText());
        monitor.at("/spec/selector/matchLabels").properties()
                .forEach(l -> assertEquals(l.getValue(), service.at("/metadata/labels").get(l.getKey()), "ServiceMonitor selects the Service"));
        assertEquals(service.at("/spec/ports/0/name").asText(), monitor.at("/spec/endpoints/0/port").asText());
        assertEquals("/metrics", monitor.at("/spec/endpoints/0/path").asText());

        JsonNode pool = docs.get("InferencePool");
        assertEquals("inference.networking.k8s.io/v1", pool.get("apiVersion").asText());
        pool.at("/spec/selector/matchLabels").properties().forEach(l -> assertEquals(l.getValue(), podLabels.get(l.getKey()), "the pool selects the pods"));
        assertEquals(ports.get("containerPort").asInt(), pool.at("/spec/targetPorts/0/number").asInt());
        assertTrue(pool.at("/spec/endpointPickerRef/port/number").isInt());

        JsonNode hpa = docs.get("HorizontalPodAutoscaler");
        assertEquals(docs.get("Deployment").at("/metadata/name").asText(), hpa.at("/spec/scaleTargetRef/name").asText());
        assertEquals("parley_queue_length", hpa.at("/spec/metrics/0/pods/metric/name").asText());
        assertTrue(docs.get("Deployment").at("/spec/replicas").isMissingNode(), "the autoscaler owns the replica count");
    }

    private static ObjectNode named(List<ObjectNode> docs, String kind, String name) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind) && d.at("/metadata/name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static List<String> args(ObjectNode deployment) {
        List<String> out = new ArrayList<>();
        deployment.at("/spec/template/spec/containers/0/args").forEach(a -> out.add(a.asText()));
        return out;
    }

    private static String after(List<String> args, String flag) {
        int i = args.indexOf(flag);
        assertTrue(i >= 0 && i + 1 < args.size(), flag + " in " + args);
        return args.get(i + 1);
    }

    @Test
    void theSharedKvTierIsOffByDefaultAndPointsAtRedisOrAVolume() throws Exception {
        assertFalse(args(render(Map.of("database.url", DATABASE)).get("Deployment")).contains("--kv-shared"), "off by default");

        List<String> existing = args(render(Map.of("database.url", DATABASE, "kvShared.redis.url", "rediss://cache.example:6380/2",
                "kvShared.ttlSeconds", 3600)).get("Deployment"));
        assertEquals("rediss://cache.example:6380/2", after(existing, "--kv-shared"));
        assertEquals("3600", after(existing, "--kv-shared-ttl"));

        List<ObjectNode> bundled = renderAll(Map.of("database.url", DATABASE, "kvShared.redis.bundled.enabled", true,
                "kvShared.redis.passwordSecret", "kv"));
        ObjectNode redisService = named(bundled, "Service", "chat-parley-kv-redis");
        ObjectNode redis = named(bundled, "Deployment", "chat-parley-kv-redis");
        ObjectNode parley = named(bundled, "Deployment", "chat-parley");
        assertEquals("redis://chat-parley-kv-redis:6379/0", after(args(parley), "--kv-shared"));
        redisService.at("/spec/selector").properties().forEach(l -> assertEquals(l.getValue(),
                redis.at("/spec/template/metadata/labels").get(l.getKey()), "the Redis Service selects the Redis pod"));
        assertFalse(parley.at("/spec/selector/matchLabels").properties().stream().allMatch(l ->
                l.getValue().equals(redis.at("/spec/template/metadata/labels").get(l.getKey()))), "Parley's selector leaves the Redis pod out");
        Map<String, JsonNode> env = new HashMap<>();
        parley.at("/spec/template/spec/containers/0/env").forEach(e -> env.put(e.get("name").asText(), e));
        assertEquals("kv", env.get("PARLEY_KV_SHARED_PASSWORD").at("/valueFrom/secretKeyRef/name").asText());
        assertTrue(args(redis).contains("--requirepass"), "the bundled Valkey requires the same password");

        ObjectNode onVolume = render(Map.of("database.url", DATABASE, "kvShared.volume.persistentVolumeClaim", "kv-rwx")).get("Deployment");
        assertEquals("file:///kv-shared", after(args(onVolume), "--kv-shared"));
        JsonNode pod = onVolume.at("/spec/template/spec");
        assertTrue(java.util.stream.StreamSupport.stream(pod.get("volumes").spliterator(), false)
                .anyMatch(v -> v.at("/persistentVolumeClaim/claimName").asText().equals("kv-rwx")), "the claim is a volume");
        assertTrue(java.util.stream.StreamSupport.stream(pod.at("/containers/0/volumeMounts").spliterator(), false)
                .anyMatch(m -> m.get("mountPath").asText().equals("/kv-shared")), "mounted where the URL points");

        Exception both = assertThrows(Exception.class, () -> render(Map.of("database.url", DATABASE, "kvShared.redis.url", "redis://r:6379/0",
                "kvShared.volume.persistentVolumeClaim", "kv-rwx")));
        assertTrue(both.getMessage().contains("not both"), both.getMessage());
    }
}
