package dev.mds.quality.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read with Jackson's YAML parser into maps, lists and scalars that remember their line, so that a
 * message about a dbt properties file can say where: {@code models/schema.yml line 12}. (Jackson's own tree
 * ({@code JsonNode}) forgets locations.)
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
            return node(p, file);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new IllegalArgumentException(file + (at != null ? " line " + at.getLineNr() : "") + ": not valid YAML: "
                    + e.getOriginalMessage(), e);
        }
    }

    private static Node node(JsonParser p, String file) throws IOException {
        int line = p.currentTokenLocation().getLineNr();
        switch (p.currentToken()) {
            case START_OBJECT -> {
                Map<String, Node> entries = new LinkedHashMap<>();
                Map<String, Integer> lines = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    int keyLine = p.currentTokenLocation().getLineNr();
                    p.nextToken();
                    Node value = node(p, file);
                    if (entries.containsKey(key)) {
                        throw new IllegalArgumentException(file + " line " + keyLine + ": key '" + key + "' given twice (first on"
                                + " line " + lines.get(key) + ")");
                    }
                    entries.put(key, value);
                    lines.put(key, keyLine);
                }
                return new MapNode(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(lines), line);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node(p, file));
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
