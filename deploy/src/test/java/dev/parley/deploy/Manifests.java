package dev.parley.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rendered Kubernetes manifests, parsed from multi-document YAML, and checked against the Kubernetes
 * API's own schema: the models of the official Java client are generated from the Kubernetes OpenAPI
 * spec, and their {@code validateJsonElement} refuses unknown fields, missing required fields and
 * values of the wrong JSON type; deserializing then checks quantities and int-or-string values.
 */
final class Manifests {

    private static final ObjectMapper YAML = new YAMLMapper(new YAMLFactory());
    private static final ObjectMapper JSON_MAPPER = new ObjectMapper();

    /** The validator of each built-in kind the chart may render, by "apiVersion kind". */
    private interface Validator {
        void validate(JsonElement json) throws IOException;
    }

    private record Kind(Validator validator, Class<?> model) {}

    private static final Map<String, Kind> BUILT_IN = Map.of(
            "apps/v1 Deployment", new Kind(V1Deployment::validateJsonElement, V1Deployment.class),
            "apps/v1 StatefulSet", new Kind(V1StatefulSet::validateJsonElement, V1StatefulSet.class),
            "v1 Service", new Kind(V1Service::validateJsonElement, V1Service.class),
            "v1 Secret", new Kind(V1Secret::validateJsonElement, V1Secret.class),
            "v1 ConfigMap", new Kind(V1ConfigMap::validateJsonElement, V1ConfigMap.class),
            "v1 ServiceAccount", new Kind(V1ServiceAccount::validateJsonElement, V1ServiceAccount.class),
            "autoscaling/v2 HorizontalPodAutoscaler", new Kind(V2HorizontalPodAutoscaler::validateJsonElement, V2HorizontalPodAutoscaler.class));

    private Manifests() {
    }

    /** Every non-empty document of a `helm template` output. */
    static List<ObjectNode> parse(String yaml) throws IOException {
        List<ObjectNode> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    if (!doc.isObject()) {
                        throw new AssertionError("a document that is not a mapping: " + doc);
                    }
                    docs.add((ObjectNode) doc);
                }
            }
        }
        return docs;
    }

    static String key(JsonNode doc) {
        return doc.path("apiVersion").asText() + " " + doc.path("kind").asText();
    }

    static boolean isBuiltIn(JsonNode doc) {
        return BUILT_IN.containsKey(key(doc));
    }

    /** Throws with the validator's message when the document does not fit its kind's schema. */
    static void validate(JsonNode doc) throws IOException {
        Kind kind = BUILT_IN.get(key(doc));
        if (kind == null) {
            throw new AssertionError("no Kubernetes schema here for " + key(doc));
        }
        String json = JSON_MAPPER.writeValueAsString(doc);
        kind.validator().validate(JsonParser.parseString(json));
        JSON.deserialize(json, kind.model());
    }
}
