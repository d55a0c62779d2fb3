package dev.parley.runtime.jsonschema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a JSON Schema into {@link SchemaNode}s, deciding each node's shape the way llama.cpp's
 * common/json-schema.cpp does (so grammars come out the same), plus two things it does not do: OpenAPI's
 * {@code nullable: true} becomes "this or null", and keywords that constrain values in ways no rule here
 * enforces are refused by name instead of silently dropped. Annotations and unknown keywords are ignored,
 * as JSON Schema says they should be.
 */
final class SchemaReader {

    /**
     * Constraints the grammar cannot express. Accepting them would let the model produce values the
     * client's own validation rejects, so they are refused. (Number bounds are the exception: clients
     * send them everywhere, and llama.cpp ignores them too; see docs.)
     */
    static final Set<String> REFUSED = Set.of("not", "if", "then", "else", "patternProperties", "propertyNames",
            "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties", "unevaluatedItems",
            "contains", "minContains", "maxContains", "uniqueItems", "multipleOf", "minProperties", "maxProperties",
            "$dynamicRef", "$recursiveRef");

    private final JsonNode root;
    private final Map<String, SchemaNode> targets = new LinkedHashMap<>();
    private final Set<String> building = new HashSet<>();

    private SchemaReader(JsonNode root) {
        this.root = root;
    }

    static SchemaNode read(JsonNode schema) {
        return new SchemaReader(schema).node(schema, "#");
    }

    private static SchemaException fail(String keyword, String path, String message) {
        return new SchemaException(keyword, path, message);
    }

    private SchemaNode node(JsonNode schema, String path) {
        if (schema == null || !schema.isObject()) {
            throw fail(null, path, "schema must be an object");
        }
        for (String keyword : REFUSED) {
            if (schema.has(keyword)) {
                throw fail(keyword, path, "'" + keyword + "' is not supported");
            }
        }
        if (schema.path("nullable").asBoolean(false)) {
            ObjectNode inner = ((ObjectNode) schema).deepCopy();
            inner.remove("nullable");
            return new SchemaNode.AnyOf(List.of(node(inner, path), new SchemaNode.Null()));
        }
        if (schema.has("$ref")) {
            return ref(schema.get("$ref"), path);
        }
        if (schema.has("oneOf") || schema.has("anyOf")) {
            String key = schema.has("oneOf") ? "oneOf" : "anyOf";
            return new SchemaNode.AnyOf(alternatives(schema.get(key), key, path + "/" + key));
        }
        JsonNode type = schema.get("type");
        if (type != null && type.isArray()) {
            // {"type": ["a", "b"], ...} is {"anyOf": [{"type": "a", ...}, {"type": "b", ...}]}
            if (type.isEmpty()) {
                throw fail("type", path, "type must not be empty");
            }
            List<SchemaNode> alternatives = new ArrayList<>();
            for (int i = 0; i < type.size(); i++) {
                ObjectNode alt = ((ObjectNode) schema).deepCopy();
                alt.set("type", type.get(i));
                alternatives.add(node(alt, path + "/type/" + i));
            }
            return new SchemaNode.AnyOf(alternatives);
        }
        if (schema.has("const")) {
            return new SchemaNode.Const(schema.get("const"));
        }
        if (schema.has("enum")) {
            JsonNode values = schema.get("enum");
            if (!values.isArray() || values.isEmpty()) {
                throw fail("enum", path, "enum must be a non-empty array");
            }
            List<JsonNode> list = new ArrayList<>();
            values.forEach(list::add);
            return new SchemaNode.Enum(list);
        }
        if (type != null && !type.isNull() && !type.isTextual()) {
            throw fail("type", path, "type must be a string or an array of strings");
        }
        String typeName = type != null && type.isTextual() ? type.asText() : "";
        JsonNode additional = schema.get("additionalProperties");
        boolean hasProperties = schema.has("properties") || (additional != null && !(additional.isBoolean() && additional.asBoolean()));
        switch (typeName) {
            case "" -> {
                // without a type the structural keywords decide, in the order llama.cpp's reader checks them
                if (hasProperties) {
                    return object(schema, path);
                }
                if (schema.has("allOf")) {
                    return new SchemaNode.AllOf(alternatives(schema.get("allOf"), "allOf", path + "/allOf"));
                }
                if (schema.has("items") || schema.has("prefixItems")) {
                    return array(schema, path);
                }
                if (schema.has("pattern") || schema.has("minLength") || schema.has("maxLength")
                        || format(schema, path) != SchemaNode.Format.NONE) {
                    return string(schema, path);
                }
                return new SchemaNode.Any();
            }
            case "object" -> {
                if (!hasProperties && schema.has("allOf")) {
                    return new SchemaNode.AllOf(alternatives(schema.get("allOf"), "allOf", path + "/allOf"));
                }
                return object(schema, path);
            }
            case "string" -> {
                if (schema.has("allOf")) {
                    return new SchemaNode.AllOf(alternatives(schema.get("allOf"), "allOf", path + "/allOf"));
                }
                return string(schema, path);
            }
            case "array" -> {
                return array(schema, path);
            }
            case "integer" -> {
                return integer(schema, path);
            }
            case "number" -> {
                return new SchemaNode.Num();
            }
            case "boolean" -> {
                return new SchemaNode.Bool();
            }
            case "null" -> {
                return new SchemaNode.Null();
            }
            default -> throw fail("type", path, "unrecognized type " + typeName);
        }
    }

    private SchemaNode ref(JsonNode value, String path) {
        if (!value.isTextual()) {
            throw fail("$ref", path, "$ref must be a string");
        }
        String ref = value.asText();
        if (!ref.startsWith("#/")) {
            throw fail("$ref", path, "unsupported $ref " + ref + ", only references into the same document are supported");
        }
        if (!targets.containsKey(ref) && building.add(ref)) {
            // a cycle back to this $ref finds it in `building` and stops; the target is looked up later
            targets.put(ref, node(resolve(ref, path), ref));
        }
        return new SchemaNode.Ref(ref, targets);
    }

    private JsonNode resolve(String ref, String path) {
        JsonNode target = root;
        String[] tokens = ref.substring(2).split("/", -1);
        for (String raw : tokens) {
            String sel = raw.replace("~1", "/").replace("~0", "~");
            if (target.isObject() && target.has(sel)) {
                target = target.get(sel);
            } else if (target.isArray()) {
                int index;
                try {
                    index = Integer.parseInt(sel);
                } catch (NumberFormatException e) {
                    index = -1;
                }
                if (index < 0 || index >= target.size()) {
                    throw fail("$ref", path, "cannot resolve $ref " + ref + ", " + sel + " is out of range");
                }
                target = target.get(index);
            } else {
                throw fail("$ref", path, "cannot resolve $ref " + ref + ", " + sel + " not found");
            }
        }
        return target;
    }

    private List<SchemaNode> alternatives(JsonNode alts, String keyword, String path) {
        if (!alts.isArray()) {
            throw fail(keyword, path, "must be an array of schemas");
        }
        if (alts.isEmpty()) {
            throw fail(keyword, path, "must not be empty");
        }
        List<SchemaNode> nodes = new ArrayList<>();
        for (int i = 0; i < alts.size(); i++) {
            nodes.add(node(alts.get(i), path + "/" + i));
        }
        return nodes;
    }

    private SchemaNode object(JsonNode schema, String path) {
        Set<String> required = new HashSet<>();
        JsonNode req = schema.get("required");
        if (req != null && req.isArray()) {
            req.forEach(name -> {
                if (name.isTextual()) {
                    required.add(name.asText());
                }
            });
        }
        List<SchemaNode.Property> properties = new ArrayList<>();
        JsonNode props = schema.get("properties");
        if (props != null) {
            if (!props.isObject()) {
                throw fail("properties", path, "properties must be an object");
            }
            props.properties().forEach(e -> properties.add(new SchemaNode.Property(e.getKey(),
                    node(e.getValue(), path + "/properties/" + e.getKey()), required.contains(e.getKey()))));
        }
        SchemaNode additional = null;
        JsonNode add = schema.get("additionalProperties");
        if (add != null) {
            if (add.isBoolean()) {
                additional = add.asBoolean() ? new SchemaNode.Any() : null;
            } else if (add.isObject()) {
                additional = node(add, path + "/additionalProperties");
            } else {
                throw fail("additionalProperties", path, "additionalProperties must be a boolean or a schema");
            }
        } else if (props == null) {
            // {"type": "object"} on its own accepts any object
            additional = new SchemaNode.Any();
        }
        return new SchemaNode.Obj(properties, additional);
    }

    private SchemaNode array(JsonNode schema, String path) {
        SchemaNode items = new SchemaNode.Any();
        if (schema.has("items") || schema.has("prefixItems")) {
            // "items" wins when both are present; an array there is a tuple, as in older drafts
            String key = schema.has("items") ? "items" : "prefixItems";
            JsonNode value = schema.get(key);
            if (value.isArray()) {
                List<SchemaNode> tuple = new ArrayList<>();
                for (int i = 0; i < value.size(); i++) {
                    tuple.add(node(value.get(i), path + "/" + key + "/" + i));
                }
                return new SchemaNode.Tuple(tuple);
            }
            items = node(value, path + "/" + key);
        }
        return new SchemaNode.Arr(items, count(schema, "minItems", path, 0), count(schema, "maxItems", path, -1));
    }

    private SchemaNode string(JsonNode schema, String path) {
        String pattern = null;
        if (schema.has("pattern")) {
            JsonNode p = schema.get("pattern");
            if (!p.isTextual()) {
                throw fail("pattern", path, "pattern must be a string");
            }
            pattern = p.asText();
        }
        return new SchemaNode.Str(pattern, format(schema, path), count(schema, "minLength", path, 0),
                count(schema, "maxLength", path, -1));
    }

    private SchemaNode integer(JsonNode schema, String path) {
        long min = Long.MIN_VALUE;
        long max = Long.MAX_VALUE;
        if (schema.has("minimum")) {
            min = bound(schema, "minimum", path, true);
        } else if (schema.has("exclusiveMinimum")) {
            min = bound(schema, "exclusiveMinimum", path, false) + 1;
        }
        if (schema.has("maximum")) {
            max = bound(schema, "maximum", path, false);
        } else if (schema.has("exclusiveMaximum")) {
            max = bound(schema, "exclusiveMaximum", path, true) - 1;
        }
        if (min > max) {
            throw fail("minimum", path, "minimum " + min + " is above maximum " + max + ": no integer matches");
        }
        return new SchemaNode.Int(min, max);
    }

    private static int count(JsonNode schema, String key, String path, int absent) {
        JsonNode value = schema.get(key);
        if (value == null) {
            return absent;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 0) {
            throw fail(key, path, key + " must be a non-negative integer");
        }
        return value.asInt();
    }

    /** A fractional bound is rounded inwards, towards the integers it still admits. */
    private static long bound(JsonNode schema, String key, String path, boolean roundUp) {
        JsonNode value = schema.get(key);
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            // keep one step away from the sentinels, so +1 / -1 of an exclusive bound cannot wrap
            return Math.clamp(value.asLong(), Long.MIN_VALUE + 1, Long.MAX_VALUE - 1);
        }
        if (!value.isNumber()) {
            throw fail(key, path, key + " must be a number");
        }
        double d = value.asDouble();
        double rounded = roundUp ? Math.ceil(d) : Math.floor(d);
        return (long) Math.clamp(rounded, (double) (Long.MIN_VALUE + 1), (double) (Long.MAX_VALUE - 1));
    }

    private static SchemaNode.Format format(JsonNode schema, String path) {
        JsonNode value = schema.get("format");
        if (value == null) {
            return SchemaNode.Format.NONE;
        }
        if (!value.isTextual()) {
            throw fail("format", path, "format must be a string");
        }
        String format = value.asText();
        return switch (format) {
            case "date" -> SchemaNode.Format.DATE;
            case "time" -> SchemaNode.Format.TIME;
            case "date-time" -> SchemaNode.Format.DATE_TIME;
            case "uuid", "uuid1", "uuid2", "uuid3", "uuid4", "uuid5" -> SchemaNode.Format.UUID;
            default -> SchemaNode.Format.NONE;
        };
    }
}
