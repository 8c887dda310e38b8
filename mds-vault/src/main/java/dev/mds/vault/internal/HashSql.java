package dev.mds.vault.internal;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.vault.HashAlgorithm;
import dev.mds.vault.HashStandard;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Renders hash-key and hashdiff expressions in PostgreSQL for a standard and an algorithm. The column
 * references are {@code alias."name"}; every name goes through {@link Identifiers}.
 */
public final class HashSql {
    private final HashStandard standard;
    private final HashAlgorithm algorithm;
    private final boolean emptyStringAsNull;

    public HashSql(HashStandard standard, HashAlgorithm algorithm, boolean emptyStringAsNull) {
        this.standard = standard;
        this.algorithm = algorithm;
        this.emptyStringAsNull = emptyStringAsNull;
    }

    /**
     * The order of AutomateDV's hashdiff columns: Jinja's {@code sort} filter, which ignores case (it compares
     * Python's {@code str.lower()} of each name by code point) and is stable. {@code ORDER_DATE} comes before
     * {@code ORDERSTATUS}, {@code name} before {@code Zip}.
     */
    public static final Comparator<String> AUTOMATEDV_COLUMN_ORDER = (a, b) -> Arrays.compare(
            a.toLowerCase(Locale.ROOT).codePoints().toArray(), b.toLowerCase(Locale.ROOT).codePoints().toArray());

    /** The expression of a hash key over {@code parts} (in the given order), whose texts share one collation. */
    public String hashKey(String alias, List<Field> parts) {
        return hashKey(alias, parts, false);
    }

    /**
     * The expression of a hash key over {@code parts} (in the given order).
     *
     * @param eachPartUpper under AUTOMATEDV, upper-case each part on its own, as AutomateDV does: needed when the parts'
     *     texts ({@code CAST(c AS VARCHAR)}) have different collations, as {@code upper()} maps under the collation
     *     of its argument; otherwise one {@code UPPER} over the concatenation gives the same bytes more cheaply
     */
    public String hashKey(String alias, List<Field> parts, boolean eachPartUpper) {
        return standard == HashStandard.AUTOMATEDV ? automateKey(alias, parts, eachPartUpper) : canonical(alias, parts, true);
    }

    /** The expression of a hashdiff over {@code parts} (sorted by name under AUTOMATEDV), whose texts share one collation. */
    public String hashDiff(String alias, List<Field> parts) {
        return hashDiff(alias, parts, false);
    }

    /** The expression of a hashdiff over {@code parts} (sorted by name under AUTOMATEDV); see {@link #hashKey(String, List, boolean)}. */
    public String hashDiff(String alias, List<Field> parts, boolean eachPartUpper) {
        if (standard == HashStandard.AUTOMATEDV) {
            List<Field> sorted = new ArrayList<>(parts);
            sorted.sort(Comparator.comparing(Field::name, AUTOMATEDV_COLUMN_ORDER));
            return automateDiff(alias, sorted, eachPartUpper);
        }
        return canonical(alias, parts, false);
    }

    /** A literal of the all-zero ghost key of the algorithm's width. */
    public String ghostLiteral() {
        return ghostLiteral(algorithm);
    }

    public static String ghostLiteral(HashAlgorithm algorithm) {
        return "'\\x" + "00".repeat(algorithm.bytes()) + "'::bytea";
    }

    /**
     * A literal of AutomateDV's ghost key on PostgreSQL: its {@code binary_ghost} renders {@code CAST('000…0' AS BYTEA)}
     * with twice the hash's width in {@code '0'} characters (32 under MD5, 64 under SHA-256), which bytea reads as
     * that many bytes {@code 0x30}.
     */
    public static String automateDvGhostLiteral(HashAlgorithm algorithm) {
        return "'\\x" + "30".repeat(2 * algorithm.bytes()) + "'::bytea";
    }

    // ---- AutomateDV (macros/supporting/hash.sql, standard_column_wrapper, null_expression, select_hash_alg)
    //
    // AutomateDV renders NULLIF(UPPER(TRIM(CAST(c AS VARCHAR))), '') per column. mds renders SQL that gives the
    // same bytes more cheaply: TRIM and NULLIF only where the text can have outer spaces or be empty (strings,
    // JSON, bytes), and one UPPER over the whole concatenation of a multi-column hash (UPPER maps character by
    // character, and '^^' and '||' have no case) when the columns' texts share one collation; UPPER maps under its
    // argument's collation (only ASCII letters under "C"), so columns of different collations are upper-cased each
    // on its own, as AutomateDV does (one UPPER would map all of them under the concatenation's collation, or fail).

    private static boolean textual(FieldType t) {
        return switch (t.kind()) {
            case INT, LONG, DECIMAL, DOUBLE, BOOLEAN, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, UUID, ARRAY -> false;
            default -> true;
        };
    }

    /** The column's text before upper-casing; NULL when AutomateDV's standardisation gives NULL. */
    private static String automateText(String alias, Field f) {
        String cast = "CAST(" + ref(alias, f) + " AS VARCHAR)";
        return textual(f.type()) ? "NULLIF(TRIM(" + cast + "), '')" : cast;
    }

    private String automateAlg(String input) {
        return algorithm == HashAlgorithm.MD5 ? "DECODE(MD5(" + input + "), 'hex')" : "SHA256(CAST(" + input + " AS BYTEA))";
    }

    /** Integers print as digits and a sign, which UPPER leaves as they are. */
    private static String upper(List<Field> parts, String text) {
        for (Field f : parts) {
            FieldType.Kind k = f.type().kind();
            if (k != FieldType.Kind.INT && k != FieldType.Kind.LONG) {
                return "UPPER(" + text + ")";
            }
        }
        return text;
    }

    private String automateKey(String alias, List<Field> parts, boolean eachPartUpper) {
        if (parts.size() == 1) {
            return automateAlg(upper(parts, automateText(alias, parts.get(0))));
        }
        StringJoiner allNull = new StringJoiner("||");
        for (int i = 0; i < parts.size(); i++) {
            allNull.add("^^");
        }
        // parts of two collations other than the default make the concatenation's collation undetermined, and NULLIF's
        // comparison fail (AutomateDV's too): under "C" it compares bytes, as every deterministic collation does
        String text = eachPartUpper ? concatWs(alias, parts, true) + " COLLATE \"C\"" : upper(parts, concatWs(alias, parts, false));
        return automateAlg("NULLIF(" + text + ", '" + allNull + "')");
    }

    private String automateDiff(String alias, List<Field> parts, boolean eachPartUpper) {
        if (parts.size() == 1) {
            return automateAlg(upper(parts, "COALESCE(" + automateText(alias, parts.get(0)) + ", '^^')"));
        }
        return automateAlg(eachPartUpper ? concatWs(alias, parts, true) : upper(parts, concatWs(alias, parts, false)));
    }

    /**
     * AutomateDV's {@code CONCAT_WS('||', COALESCE(.., '^^'), ...)}. Every part is COALESCEd, so no part is NULL
     * and a chain of {@code ||} gives the same text; PostgreSQL's CONCAT_WS looks up and calls each argument's
     * output function on every row, which made it a third of a satellite's first load. With {@code eachPartUpper}
     * each part is upper-cased on its own, under its own collation (integers, digits and a sign, are left as they are).
     */
    private String concatWs(String alias, List<Field> parts, boolean eachPartUpper) {
        StringJoiner j = new StringJoiner("\n        || '||' || ", "(", ")");
        for (Field f : parts) {
            String text = automateText(alias, f);
            j.add("COALESCE(" + (eachPartUpper ? upper(List.of(f), text) : text) + ", '^^')");
        }
        return j.toString();
    }

    // ---- canonical

    private String canonical(String alias, List<Field> parts, boolean key) {
        StringJoiner concat = new StringJoiner(" || ");
        StringJoiner allNull = new StringJoiner(" AND ");
        for (Field f : parts) {
            String v = canonicalText(ref(alias, f), f.type(), true);
            concat.add(part(v));
            allNull.add(v + " IS NULL");
        }
        String bytes = "convert_to(" + concat + ", 'UTF8')";
        String hash = algorithm == HashAlgorithm.MD5 ? "decode(md5(" + bytes + "), 'hex')" : "sha256(" + bytes + ")";
        return key ? "CASE WHEN " + allNull + " THEN NULL ELSE " + hash + " END" : hash;
    }

    /** {@code <characters>:<text>} or {@code ~} for NULL. */
    private static String part(String text) {
        return "COALESCE(length(" + text + ")::text || ':' || " + text + ", '~')";
    }

    /**
     * The canonical text of a value of {@code type}; NULL for NULL. Mirrors {@code Canonical#text} in Java.
     */
    String canonicalText(String v, FieldType type, boolean top) {
        return switch (type.kind()) {
            // compared under "C": under a nondeterministic collation a string of ignorable characters (a soft hyphen)
            // equals '', and would be NULL (a key skipped, a hashdiff equal to the empty string's); the Java Hasher's too
            case STRING -> emptyStringAsNull ? "NULLIF(" + v + "::text COLLATE \"C\", '')" : v + "::text";
            case JSON -> v + "::jsonb::text";
            case INT, LONG, BOOLEAN, UUID -> v + "::text";
            case DECIMAL -> "trim_scale(" + v + "::numeric)::text";
            case DOUBLE -> "CASE WHEN " + v + "::float8 = 'NaN'::float8 THEN '" + Canonical.NAN_BITS + "' ELSE encode(float8send("
                    + v + "::float8 + 0::float8), 'hex') END";
            case DATE -> infinite(v, "(" + v + " - make_date(1970, 1, 1))::text");
            case TIME -> epochMicros(v);
            case TIMESTAMP, TIMESTAMPTZ -> infinite(v, epochMicros(v));
            case BYTES -> "encode(" + v + ", 'hex')";
            case ARRAY -> {
                if (!top) {
                    throw new IllegalArgumentException("arrays of arrays cannot be hashed");
                }
                // an array of several dimensions, or not starting at 1, is prefixed with its dimensions ('[1:2][1:2]',
                // '[0:3]'): unnest reads every element in order, so '{{1,2},{3,4}}', '{1,2,3,4}' and '[0:3]={1,2,3,4}'
                // hashed alike. No element part starts with '['; the arrays the Java Hasher takes (lists, from 1) have none
                String e = canonicalText("e.v", type.elementType(), false);
                yield "CASE WHEN " + v + " IS NULL THEN NULL ELSE CASE WHEN array_ndims(" + v + ") > 1 OR array_lower(" + v
                        + ", 1) <> 1 THEN array_dims(" + v + ") ELSE '' END || COALESCE((SELECT string_agg(" + part(e)
                        + ", '' ORDER BY e.o) FROM unnest(" + v + ") WITH ORDINALITY AS e(v, o)), '') END";
            }
        };
    }

    private static String epochMicros(String v) {
        return "(extract(epoch from " + v + ") * 1000000)::bigint::text";
    }

    /**
     * {@code infinity} and {@code -infinity} (dates and timestamps) as themselves: no finite value's text has a
     * letter. Mirrors {@link Canonical#INFINITY}.
     */
    private static String infinite(String v, String finite) {
        return "CASE WHEN " + v + " = 'infinity' THEN '" + Canonical.INFINITY + "' WHEN " + v + " = '-infinity' THEN '"
                + Canonical.MINUS_INFINITY + "' ELSE " + finite + " END";
    }

    private static String ref(String alias, Field f) {
        return alias == null ? Identifiers.quote(f.name()) : alias + '.' + Identifiers.quote(f.name());
    }
}
