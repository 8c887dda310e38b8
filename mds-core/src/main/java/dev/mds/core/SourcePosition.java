package dev.mds.core;

import dev.mds.core.internal.FlatJson;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a source is after some records: enough for it to resume right after them. A source defines its own
 * entries (a CSV file: file, byte offset, record number; PostgreSQL CDC: the Debezium offset). Values are
 * strings, numbers, booleans or null, so a position round-trips through JSON in a {@link StateStore}: numbers are
 * kept by value, as JSON (and jsonb, which keeps a number's value but not its text) gives them back: a {@link Long}
 * for a whole number within a long, a {@link BigDecimal} without trailing zeros after the point otherwise. A double or float NaN or
 * infinity, which JSON cannot hold, is refused when the position is made, and so is a NUL character (U+0000) in the
 * source's name or an entry's name or text, which jsonb cannot hold, and half of a UTF-16 surrogate pair there, which
 * UTF-8 cannot encode.
 *
 * <pre>{@code
 * SourcePosition p = SourcePosition.of("transactions.csv", Map.of("offset", 1_048_576L, "record", 50_000L));
 * stateStore.put(connection, "csv:transactions", p.toJson());   // with the load, in one transaction
 * SourcePosition back = SourcePosition.fromJson(json);
 * }</pre>
 */
public final class SourcePosition {
    private static final String SOURCE = "source";

    private final String source;
    private final Map<String, Object> values;

    private SourcePosition(String source, Map<String, Object> values) {
        this.source = Objects.requireNonNull(source, "source");
        if (source.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("position of " + source.replace("\0", "\\0") + ": the source's name"
                    + " holds a NUL character, which PostgreSQL's jsonb cannot hold, so the position could not be stored");
        }
        if (Identifiers.unpairedSurrogate(source)) {
            throw new IllegalArgumentException("position of " + shown(source) + ": the source's name holds half of a UTF-16"
                    + " surrogate pair (" + unpaired(source) + "), which UTF-8 cannot encode, so the position could not be stored");
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            Objects.requireNonNull(k, "key");
            if (k.indexOf('\0') >= 0 || v instanceof String text && text.indexOf('\0') >= 0) {
                // jsonb refuses U+0000 ("cannot be converted to text"): the batch's transaction would fail at the put
                throw new IllegalArgumentException("position of " + source + ": entry '" + k.replace("\0", "\\0")
                        + "' holds a NUL character (U+0000) in its " + (k.indexOf('\0') >= 0 ? "name" : "value")
                        + ", which PostgreSQL's jsonb cannot hold, so the position could not be stored");
            }
            boolean inName = Identifiers.unpairedSurrogate(k);
            if (inName || v instanceof String text && Identifiers.unpairedSurrogate(text)) {
                // UTF-8 cannot encode it: the state store's put would refuse the position with the batch
                throw new IllegalArgumentException("position of " + source + ": entry '" + shown(k) + "' holds half of a"
                        + " UTF-16 surrogate pair (" + unpaired(inName ? k : (String) v) + ") in its "
                        + (inName ? "name" : "value") + ", which UTF-8 cannot encode, so the position could not be stored");
            }
            if (k.equals(SOURCE)) {
                // the JSON object holds the source under this name: the entry would replace it, and read back it
                // would be the source, the entry lost
                throw new IllegalArgumentException("position of " + source + ": an entry may not be named '" + SOURCE
                        + "', which holds the source's name in the JSON form");
            }
            if (v instanceof Number n) {
                // as JSON gives it back, so that a position equals itself read back (an Integer 7 is read as Long 7,
                // a double 0.1 as BigDecimal 0.1, a double 1000.0 as Long 1000: the same number)
                String text = FlatJson.numberText(n).orElseThrow(() -> new IllegalArgumentException("position of "
                        + source + ": entry '" + k + "' is " + n + ", which JSON cannot hold (it has no NaN or"
                        + " Infinity), so the position could not be stored or read back; store such a value as a string"));
                try {
                    v = FlatJson.number(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("position of " + source + ": entry '" + k + "': "
                            + e.getMessage() + "; store such a value as a string", e);
                }
            } else if (v != null && !(v instanceof String || v instanceof Boolean)) {
                throw new IllegalArgumentException("position value '" + k + "' must be a string, number or boolean, not "
                        + v.getClass().getName());
            }
            copy.put(k, v);
        });
        this.values = java.util.Collections.unmodifiableMap(copy);
    }

    /** {@code s} with each half of a surrogate pair that is not in a pair shown as its escape ({@code \ud83d}). */
    private static String shown(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The escape of the first half of a surrogate pair in {@code s} that is not in a pair ({@code \ud83d}). */
    private static String unpaired(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return String.format("\\u%04x", (int) c);
            }
        }
        return "";
    }

    /**
     * A position of {@code source} with these entries (copied, in their order).
     *
     * @throws IllegalArgumentException for a value that is not a string, number, boolean or null, a number JSON
     *     cannot hold (NaN, infinity) or jsonb cannot (more than 131072 digits before the point or 16383 after it,
     *     as PostgreSQL's numeric), a NUL character jsonb cannot hold, half of a UTF-16 surrogate pair (a
     *     {@code char} in U+D800..U+DFFF not in a pair), which UTF-8 cannot encode, or an entry named {@code source}
     *     (the JSON form's name for the source), naming the entry
     */
    public static SourcePosition of(String source, Map<String, ?> values) {
        return new SourcePosition(source, new LinkedHashMap<>(values));
    }

    /** Reads what {@link #toJson()} wrote. */
    public static SourcePosition fromJson(String json) {
        Map<String, Object> all = FlatJson.parse(json);
        Object source = all.remove(SOURCE);
        if (!(source instanceof String s)) {
            throw new IllegalArgumentException("not a source position (no \"source\"): " + FlatJson.excerpt(json, 0));
        }
        return new SourcePosition(s, all);
    }

    /** The source's name, for example a file path or a connector name. */
    public String source() {
        return source;
    }

    /** The entries, in insertion order. */
    public Map<String, Object> values() {
        return values;
    }

    /** The entry, if present. */
    public Optional<Object> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /**
     * The entry as a long, when it is a whole number within a long ({@code 1000.0} included); empty for a fraction or
     * a number beyond a long's range, which a long would not hold (it is not cut to one), and for any other value.
     */
    public Optional<Long> getLong(String key) {
        return values.get(key) instanceof Long l ? Optional.of(l) : Optional.empty();   // whole numbers within a long are Longs here
    }

    /** One flat JSON object holding the source and the entries. */
    public String toJson() {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put(SOURCE, source);
        all.putAll(values);
        return FlatJson.write(all);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourcePosition p && source.equals(p.source) && values.equals(p.values);
    }

    @Override
    public int hashCode() {
        return 31 * source.hashCode() + values.hashCode();
    }

    @Override
    public String toString() {
        return toJson();
    }
}
