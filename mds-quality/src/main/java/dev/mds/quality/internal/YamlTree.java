package dev.mds.quality.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read with Jackson's YAML parser into maps, lists and scalars that remember their line, so that a
 * message about a dbt properties file can say where: {@code models/schema.yml line 12}. (Jackson's own tree
 * ({@code JsonNode}) forgets locations.) Anchors and aliases ({@code &values}, {@code *values}) and merge keys
 * ({@code <<: *defaults}) are resolved, as dbt's PyYAML resolves them.
 */
public final class YamlTree {
    private YamlTree() {
    }

    /** A node of the document and the line (1-based) it starts on. */
    public sealed interface Node permits MapNode, ListNode, Scalar {
        int line();
    }

    /** A mapping, its keys in document order, with the line of each key. */
    public record MapNode(Map<String, Node> entries, Map<String, Integer> keyLines, int line) implements Node {
        public Node get(String key) {
            return entries.get(key);
        }
    }

    /** A sequence. */
    public record ListNode(List<Node> items, int line) implements Node {
    }

    /**
     * A scalar: a {@code String}, {@code Boolean}, {@code Long}, {@code java.math.BigInteger}, a number written with a
     * fraction or exponent (kept as its text in {@code text}, value a {@code java.math.BigDecimal}), or null.
     */
    public record Scalar(Object value, String text, int line) implements Node {
    }

    /**
     * Reads the first document of {@code yaml}; an empty document is an empty mapping.
     *
     * @throws IllegalArgumentException naming {@code file} and the line for malformed YAML or a key given twice
     * @throws IOException when reading fails
     */
    public static Node read(Reader yaml, String file) throws IOException {
        try (JsonParser p = new YAMLFactory().createParser(yaml)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new MapNode(Map.of(), Map.of(), 1);
            }
            return node(p, file, new HashMap<>());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new IllegalArgumentException(file + (at != null ? " line " + at.getLineNr() : "") + ": not valid YAML: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** YAML's merge key: the keys of the merged mapping(s) that the mapping does not give itself. */
    private static void merge(String file, int line, Node value, Map<String, Node> entries, Map<String, Integer> lines) {
        List<Node> maps = value instanceof ListNode l ? l.items() : List.of(value);
        for (Node m : maps) {
            if (!(m instanceof MapNode mm)) {
                throw new IllegalArgumentException(file + " line " + line + ": << merges mappings, not " + m);
            }
            mm.entries().forEach((k, v) -> {
                if (!entries.containsKey(k)) {
                    entries.put(k, v);
                    lines.put(k, -mm.keyLines().get(k)); // negative: merged, may be overridden by the mapping's own key
                }
            });
        }
    }

    private static boolean merged(Map<String, Integer> lines, String key) {
        return lines.get(key) < 0;
    }

    private static Node node(JsonParser p, String file, Map<String, Node> anchors) throws IOException {
        int line = p.currentTokenLocation().getLineNr();
        if (p instanceof YAMLParser y && y.isCurrentAlias()) {
            Node anchored = anchors.get(p.getText());
            if (anchored == null) {
                throw new IllegalArgumentException(file + " line " + line + ": alias *" + p.getText() + " names no anchor"
                        + " before it");
            }
            return anchored;
        }
        String anchor = p.getObjectId() instanceof String a ? a : null;
        Node n = value(p, file, anchors, line);
        if (anchor != null) {
            anchors.put(anchor, n);
        }
        return n;
    }

    private static Node value(JsonParser p, String file, Map<String, Node> anchors, int line) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT -> {
                Map<String, Node> entries = new LinkedHashMap<>();
                Map<String, Integer> lines = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    int keyLine = p.currentTokenLocation().getLineNr();
                    p.nextToken();
                    Node value = node(p, file, anchors);
                    if (key.equals("<<") && (value instanceof MapNode || value instanceof ListNode)) {
                        merge(file, keyLine, value, entries, lines);
                        continue;
                    }
                    if (entries.containsKey(key) && !merged(lines, key)) {
                        throw new IllegalArgumentException(file + " line " + keyLine + ": key '" + key + "' given twice (first on"
                                + " line " + lines.get(key) + ")");
                    }
                    entries.put(key, value);
                    lines.put(key, keyLine);
                }
                lines.replaceAll((k, v) -> Math.abs(v));
                return new MapNode(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(lines), line);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node(p, file, anchors));
                }
                return new ListNode(List.copyOf(items), line);
            }
            case VALUE_STRING -> {
                return new Scalar(p.getText(), p.getText(), line);
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new Scalar(p.getBooleanValue(), p.getText(), line);
            }
            case VALUE_NUMBER_INT -> {
                Object v = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue() : (Object) p.getLongValue();
                return new Scalar(v, p.getText(), line);
            }
            case VALUE_NUMBER_FLOAT -> {
                return new Scalar(p.getDecimalValue(), p.getText(), line);
            }
            case VALUE_NULL -> {
                return new Scalar(null, "None", line);
            }
            default -> throw new IllegalArgumentException(file + " line " + line + ": unexpected YAML " + p.currentToken());
        }
    }
}
