package dev.mds.connector.json.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A record's nested objects as columns: the key {@code b} inside {@code a} becomes {@code a<sep>b}, at any depth;
 * arrays, scalars and nulls are kept as they are, an empty object gives no column. Two keys that become the same
 * column name, in one record or in two, are a {@link Clash}: the first path seen keeps the name.
 */
final class Flattener {
    private final String separator;
    private final Map<String, List<String>> paths = new HashMap<>();

    Flattener(String separator) {
        this.separator = separator;
    }

    /** Two paths that give one column name. */
    static final class Clash extends Exception {
        private static final long serialVersionUID = 1L;

        Clash(String message) {
            super(message, null, false, false);
        }
    }

    /** The record flattened; the record itself when it has no nested object. */
    ObjectNode flatten(ObjectNode record) throws Clash {
        boolean nested = false;
        for (Map.Entry<String, JsonNode> e : record.properties()) {
            if (e.getValue().isObject()) {
                nested = true;
                break;
            }
            check(e.getKey(), List.of(e.getKey()));
        }
        if (!nested) {
            return record;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        add(out, record, "", new ArrayList<>());
        return out;
    }

    /** Notes that {@code path} gives the column {@code name}; another path gave it before: a clash. */
    private void check(String name, List<String> path) throws Clash {
        List<String> seen = paths.get(name);
        if (seen == null) {
            paths.put(name, List.copyOf(path));
        } else if (!seen.equals(path)) {
            throw new Clash(describe(seen) + " and " + describe(path) + " both become the column '" + name
                    + "' under flatten(\"" + separator + "\"): rename one, or flatten with another separator");
        }
    }

    private void add(ObjectNode out, ObjectNode object, String prefix, List<String> path) throws Clash {
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            String name = prefix + e.getKey();
            path.add(e.getKey());
            if (e.getValue().isObject()) {
                add(out, (ObjectNode) e.getValue(), name + separator, path);
            } else {
                check(name, path);
                out.set(name, e.getValue());     // one path per name, and a record's keys are unique: set once
            }
            path.remove(path.size() - 1);
        }
    }

    private static String describe(List<String> path) {
        if (path.size() == 1) {
            return "the key '" + path.get(0) + "'";
        }
        StringBuilder s = new StringBuilder("the key '").append(path.get(path.size() - 1)).append("' inside '");
        for (int i = 0; i < path.size() - 1; i++) {
            s.append(i > 0 ? "' → '" : "").append(path.get(i));
        }
        return s.append('\'').toString();
    }
}
