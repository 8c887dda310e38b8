package dev.mds.quality.internal;

import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.quality.NullKeys;
import dev.mds.quality.internal.CheckSpec.Kind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.function.Predicate;

/** Renders checks as SQL. Every identifier and literal goes through {@link Identifiers}. */
public final class Render {
    private Render() {
    }

    /** The single scan of one table: {@code count(*)} and one aggregate per distinct expression. */
    public static final class Scan {
        private final Map<String, String> aggregates = new LinkedHashMap<>();
        private final Map<String, List<String>> aliasesByCheck = new LinkedHashMap<>();
        private final Map<String, String> nonNullByCheck = new LinkedHashMap<>();
        /** The aliases of aggregates that count a column's NULLs rather than its values (see {@link #nullsOrValues}). */
        private final Set<String> nullCounts = new HashSet<>();
        /** A check's aggregate that counts its column's NULLs or values, when the scan has one (any check's). */
        private final Map<String, String> valuesByCheck = new LinkedHashMap<>();
        private final String sql;

        public Scan(TableName table, Optional<String> where, List<CheckSpec> checks, Schema schema) {
            this(table, where, checks, schema, TextColumns.NONE);
        }

        /** @param text what the catalog says about the table's text columns (see {@link TextColumns}) */
        public Scan(TableName table, Optional<String> where, List<CheckSpec> checks, Schema schema, TextColumns text) {
            for (CheckSpec c : checks) {
                List<String> aliases = new ArrayList<>();
                for (String expr : aggregatesOf(c, schema, text)) {
                    aliases.add(aggregates.computeIfAbsent(expr, e -> "a" + (aggregates.size() + 1)));
                }
                aliasesByCheck.put(c.id(), aliases);
                // the non-NULL rows, only for a check whose threshold divides by them (a not null check of the same
                // column shares the aggregate; a NOT NULL column needs none: all its rows count)
                if (c.countsNonNull() && !notNullColumn(c, schema)) {
                    nonNullByCheck.put(c.id(), aggregates.computeIfAbsent(nullsOrValues(c, text), e -> "a" + (aggregates.size() + 1)));
                }
                // whether any value reached a pattern (PostgreSQL compiles it only then; see knownNonNull)
                if (c.kind() == Kind.MATCHES && !notNullColumn(c, schema)) {
                    aggregates.computeIfAbsent(nullsOrValues(c, text), e -> "a" + (aggregates.size() + 1));
                }
            }
            for (CheckSpec c : checks) {
                if (!c.columns().isEmpty() && nullsOrValues(c, text).startsWith(COUNT_NULLS)) {
                    Optional.ofNullable(aggregates.get(nullsOrValues(c, text))).ifPresent(nullCounts::add);
                }
                if (!c.columns().isEmpty()) {
                    Optional.ofNullable(aggregates.get(nullsOrValues(c, text))).ifPresent(a -> valuesByCheck.put(c.id(), a));
                }
            }
            StringBuilder s = new StringBuilder("select count(*) as n");
            aggregates.forEach((expr, alias) -> s.append(",\n  ").append(expr).append(" as ").append(alias));
            s.append("\nfrom ").append(table.quoted());
            where.ifPresent(w -> s.append("\nwhere ").append(user(w)));
            this.sql = s.toString();
        }

        public String sql() {
            return sql;
        }

        /** The check's count of non-NULL rows, when its threshold needs it and it is not all rows. */
        public OptionalLong nonNull(CheckSpec check, Map<String, Object> row, long n) {
            String alias = nonNullByCheck.get(check.id());
            return alias == null ? OptionalLong.empty() : OptionalLong.of(nonNull(alias, row, n));
        }

        /**
         * The non-NULL rows of the check's (first) column, when the scan counts them for any check (a not null or at
         * least one check of the column, a threshold of the non-NULL rows, a matches check of a nullable column).
         */
        public OptionalLong knownNonNull(CheckSpec check, Map<String, Object> row, long n) {
            String alias = valuesByCheck.get(check.id());
            return alias == null ? OptionalLong.empty() : OptionalLong.of(nonNull(alias, row, n));
        }

        /**
         * The non-NULL rows that the aggregate behind {@code alias} (a not null or at least one check's, see
         * {@link #nullsOrValues}) counted: its value, or the rows less its value when it counts NULLs.
         */
        public long nonNull(String alias, Map<String, Object> row, long n) {
            long counted = ((Number) row.get(alias)).longValue();
            return nullCounts.contains(alias) ? n - counted : counted;
        }

        /** The aliases of the check's aggregates, in the order {@link #aggregatesOf} gives them. */
        public List<String> aliases(CheckSpec check) {
            return aliasesByCheck.get(check.id());
        }
    }

    /**
     * The aggregates a scan check needs. NULLs are counted by {@link #nullsOrValues}; other row checks count rows
     * meeting their failing condition with one FILTER each, except a range with both bounds in order, which
     * counts each side with its own FILTER (a row cannot be on both sides; two plain comparisons cost less per
     * row than one OR). Failing counts are the sum of a check's aggregates.
     */
    static List<String> aggregatesOf(CheckSpec c, Schema schema, TextColumns text) {
        return switch (c.kind()) {
            // a NOT NULL constraint already guarantees the check: nothing to compute per row
            case NOT_NULL -> notNullColumn(c, schema) ? List.of() : List.of(nullsOrValues(c, text));
            // two FILTERs only when no row can meet both (min <= max; min < max when exclusive, where min = max fails all)
            case RANGE -> c.min() != null && c.max() != null && ordered(c.min(), c.max()) && !(c.exclusive() && ordered(c.max(), c.min()))
                    ? List.of("count(*) filter (where " + col(c) + below(c) + bound(c, c.min(), schema, text) + ")",
                            "count(*) filter (where " + col(c) + above(c) + bound(c, c.max(), schema, text) + ")")
                    : List.of("count(*) filter (where " + failing(c, schema, text) + ")");
            case LENGTH -> c.min() != null && c.max() != null
                    ? List.of("count(*) filter (where char_length(" + col(c) + ") < " + c.min() + ")",
                            "count(*) filter (where char_length(" + col(c) + ") > " + c.max() + ")")
                    : List.of("count(*) filter (where " + failing(c, schema, text) + ")");
            // counting values (as dbt does): the failing rows and how many of the accepted values the rows hold, both
            // parallel-safe; the distinct failing values only when there are failing rows (failingValues, its own query)
            case ACCEPTED_VALUES -> c.countValues()
                    ? List.of("count(*) filter (where " + failing(c, schema, text) + ")", acceptedFound(c, schema, text))
                    : List.of("count(*) filter (where " + failing(c, schema, text) + ")");
            // counting values: the distinct failing values, and the distinct values (which the list cannot tell)
            case NOT_ACCEPTED_VALUES -> c.countValues()
                    ? List.of("count(distinct " + col(c) + ") filter (where " + failing(c, schema, text) + ")",
                            "count(distinct " + col(c) + ")")
                    : List.of("count(*) filter (where " + failing(c, schema, text) + ")");
            case MATCHES, EXPRESSION -> List.of("count(*) filter (where " + failing(c, schema, text) + ")");
            // count(col) is the not null check's aggregate, shared when both are declared; a NOT NULL column needs none
            case AT_LEAST_ONE -> notNullColumn(c, schema) ? List.of() : List.of(nullsOrValues(c, text));
            case NOT_CONSTANT -> constant(c, schema, text);
            case FRESHNESS -> List.of(asText("max(" + col(c) + ")", kind(c, schema)),
                    "(" + ageSeconds(c, schema) + ")::float8");
            case ROW_COUNT, ROW_COUNT_ANOMALY -> List.of();
            // as text: exact for numeric (avg, sum), and NaN or Infinity of a float column come through as they are
            case STATISTIC -> List.of(statistic(c) + "::text");
            case UNIQUE, RELATIONSHIPS, SEQUENTIAL_VALUES, MUTUALLY_EXCLUSIVE_RANGES, EQUAL_ROW_COUNT, FEWER_ROWS_THAN, EQUALITY,
                    CARDINALITY_EQUALITY, UNIQUE_VALUE_COUNT, PROPORTION_OF_UNIQUE_VALUES, COLUMNS, COLUMN_TYPE ->
                    throw new IllegalArgumentException(c.kind() + " is not part of a scan");
        };
    }

    private static final String COUNT_NULLS = "count(*) filter (where ";

    /**
     * The scan's aggregate that counts a column's NULLs, shared by the not null, at least one and non-NULL counts of
     * the column: {@code count(*) filter (where col is null)}, which calls the count's transition only for the NULLs
     * (measured 62 ms against 67 ms for four columns of 1M rows). A composite column counts its values instead,
     * {@code count(col)}: there {@code is null} is also true for a row value whose fields are all NULL, which is no
     * SQL NULL. Without the catalog ({@code sql()} of a suite without a data source) a column is taken as no composite.
     */
    static String nullsOrValues(CheckSpec c, TextColumns text) {
        return text.compositeTypes().containsKey(c.columns().get(0)) ? "count(" + col(c) + ")" : COUNT_NULLS + col(c) + " is null)";
    }

    /**
     * How many of an accepted values check's values the rows hold (0 for none), as one parallel-safe aggregate: each
     * row's value sets the bit of the first listed value it equals ({@code case col when …}, the comparison of
     * {@link #failing}), and the bits set are counted. A value equal to two listed values (listed twice, {@code 1} and
     * {@code 1.0}, {@code 'a'} and {@code 'A'} under a case-insensitive collation) sets one bit, so this is the number
     * of distinct accepted values found, as {@code count(distinct col)} would count them, without its sort: with the
     * distinct failing values ({@link #failingValues}), the distinct values of the column.
     */
    static String acceptedFound(CheckSpec c, Schema schema, TextColumns text) {
        String column = c.columns().get(0);
        String v = !text.arrays().contains(column) && text.bytewise().contains(column) ? col(c) + " collate \"C\"" : col(c);
        List<Object> values = c.values();
        // up to 63 values a bigint's bits (no allocation per row), beyond a bit string as long as the list
        boolean wide = values.size() > 63;
        StringBuilder s = new StringBuilder("coalesce(bit_count(bit_or(").append(wide ? "B'1'::bit(" + values.size() + ") >> " : "")
                .append("case ").append(v);
        for (int i = 0; i < values.size(); i++) {
            s.append(" when ").append(Identifiers.literal(text(values.get(i), kind(c, schema)))).append(typeCast(c, text, ""))
                    .append(" then ").append(wide ? Integer.toString(i) : Long.toString(1L << i) + "::int8");
        }
        return s.append(" end)").append(wide ? "" : "::bit(64)").append("), 0)").toString();
    }

    /**
     * An accepted values check that counts values ({@link CheckSpec#countValues}), run when the table's scan found
     * failing rows: {@code failing_values}, its distinct failing values. It sorts only the failing rows; in the scan a
     * {@code count(distinct …)} would sort the column's every value and make the whole scan serial.
     */
    public static String failingValues(TableName table, Optional<String> where, CheckSpec c, Schema schema, TextColumns text) {
        return "select count(distinct " + col(c) + ") as failing_values\nfrom " + table.quoted() + "\nwhere "
                + where.map(w -> user(w) + " and ").orElse("") + "(" + failing(c, schema, text) + ")";
    }

    /** A statistic check's aggregate expression over its column. */
    private static String statistic(CheckSpec c) {
        dev.mds.quality.Statistic s = dev.mds.quality.Statistic.valueOf(c.text());
        if (s == dev.mds.quality.Statistic.MEDIAN) {
            // the lower and the upper middle value, averaged: exact for numeric (percentile_cont would go through float8)
            return "((percentile_disc(0.5) within group (order by " + col(c) + ") + percentile_disc(0.5) within group (order by "
                    + col(c) + " desc)) / 2.0)";
        }
        return s.aggregate() + "(" + col(c) + ")";
    }

    /**
     * The not constant check's aggregates: true when the non-NULL values are all one (NULL or false otherwise), and, when
     * it can be had for nothing, that value as text. {@code min(col) = max(col)} costs two comparisons per row where
     * {@code count(distinct col) = 1}, dbt-utils' test, sorts every value; both say the same for a type whose equality is
     * its ordering's (text under its collation, numbers, dates and times, arrays). Text under a deterministic collation is
     * compared under {@code "C"}: values equal under it are equal bytewise, so the answer is the same without the
     * collation's cost. Booleans use bool_and and bool_or; other types (uuid, json, composite, or unknown before a run)
     * keep {@code count(distinct col) = 1}. The first (the condition) is also a grouped not constant check's aggregate per
     * group: NULL for a group of NULLs only, which passes, as {@code count(distinct col) = 1} is false for it.
     */
    private static List<String> constant(CheckSpec c, Schema schema, TextColumns text) {
        FieldType.Kind kind = kind(c, schema);
        if (kind == null) {
            return List.of("(count(distinct " + col(c) + ") = 1)");
        }
        return switch (kind) {
            // name and citext map to STRING too: only text, varchar and char(n) are known to have min and max
            case STRING -> text.textTyped().contains(c.columns().get(0)) ? minMax(c, kind, text)
                    : List.of("(count(distinct " + col(c) + ") = 1)");
            case INT, LONG, DECIMAL, DOUBLE, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, ARRAY -> minMax(c, kind, text);
            case BOOLEAN -> List.of("(bool_and(" + col(c) + ") = bool_or(" + col(c) + "))", "bool_and(" + col(c) + ")::text");
            default -> List.of("(count(distinct " + col(c) + ") = 1)");
        };
    }

    /** {@code min(col) = max(col)} and the (least) value as text, a timestamptz printed in UTC. */
    private static List<String> minMax(CheckSpec c, FieldType.Kind kind, TextColumns text) {
        String v = text.bytewise().contains(c.columns().get(0)) ? col(c) + " collate \"C\"" : col(c);
        return List.of("(min(" + v + ") = max(" + v + "))", asText("min(" + v + ")", kind));
    }

    /** Whether the check's (first) column has a NOT NULL constraint, which the catalog says. */
    private static boolean notNullColumn(CheckSpec c, Schema schema) {
        return schema != null && schema.field(c.columns().get(0)).map(f -> !f.nullable()).orElse(false);
    }

    /**
     * The age of the newest value in seconds, at the start of the statement that checks it. {@code now() - max(col)}
     * would read a {@code timestamp} or {@code date} in the session's TimeZone (pgjdbc sets it from the JVM's), so the
     * age of one row would depend on the machine that checks it: those are read as UTC. {@code statement_timestamp()},
     * not {@code now()}: in a caller's transaction ({@code run(connection)}, write-audit-publish) {@code now()} is when
     * that transaction began, maybe hours of loading before the audit, and data that stale passed.
     */
    private static String ageSeconds(CheckSpec c, Schema schema) {
        FieldType.Kind kind = schema == null ? null : schema.field(c.columns().get(0)).map(f -> f.type().kind()).orElse(null);
        // a difference of epochs (numeric, exact, with ±Infinity), not of timestamps: before PostgreSQL 17 an interval
        // has no infinity, so now() - 'infinity' fails, and with it the table's whole scan
        if (kind == FieldType.Kind.TIMESTAMP) {
            return "extract(epoch from statement_timestamp() at time zone 'UTC') - extract(epoch from max(" + col(c) + "))";
        }
        if (kind == FieldType.Kind.DATE) {
            return "extract(epoch from statement_timestamp() at time zone 'UTC') - extract(epoch from max(" + col(c) + ")::timestamp)";
        }
        return "extract(epoch from statement_timestamp()) - extract(epoch from max(" + col(c) + "))";
    }

    /**
     * The condition true for a failing row of a row-level check (never true for a NULL the check ignores). Accepted values on a {@link TextColumns#bytewise() bytewise} column
     * compare under {@code COLLATE "C"}: under a deterministic collation two strings are equal only when their
     * bytes are, so the result is the same, and PostgreSQL skips the collation lookup in every hash and equality
     * call (measured about 10% less for the check). Nondeterministic collations (case-insensitive ICU…) keep their
     * own.
     */
    public static String failing(CheckSpec c, Schema schema, TextColumns text) {
        String q = c.columns().isEmpty() ? "" : col(c);
        return switch (c.kind()) {
            // not "is null", which is also true for a row value whose fields are all NULL: the scan's count(col), like
            // a NOT NULL constraint, counts only SQL NULLs (for other types the two are the same test)
            case NOT_NULL -> q + " is not distinct from null";
            case ACCEPTED_VALUES -> valueList(c, q, text, schema, true);
            case NOT_ACCEPTED_VALUES -> valueList(c, q, text, schema, false);
            case LENGTH -> {
                StringJoiner or = new StringJoiner(" or ");
                if (c.min() != null) {
                    or.add("char_length(" + q + ") < " + c.min());
                }
                if (c.max() != null) {
                    or.add("char_length(" + q + ") > " + c.max());
                }
                yield or.toString();
            }
            case RANGE -> {
                StringJoiner or = new StringJoiner(" or ");
                if (c.min() != null) {
                    or.add(q + below(c) + bound(c, c.min(), schema, text));
                }
                if (c.max() != null) {
                    or.add(q + above(c) + bound(c, c.max(), schema, text));
                }
                yield or.toString();
            }
            case MATCHES -> isText(c.columns().get(0), schema)
                    ? notMatching(q, c.text(), schema == null || text.literalPatterns(c.columns().get(0)))
                    : notMatching(asText(q, kind(c, schema)), c.text(), true);
            case EXPRESSION -> "not " + user(c.text());
            case UNIQUE, RELATIONSHIPS, SEQUENTIAL_VALUES, MUTUALLY_EXCLUSIVE_RANGES, EQUALITY, CARDINALITY_EQUALITY ->
                    throw new IllegalArgumentException(c.kind() + " has its own query");
            case ROW_COUNT, FRESHNESS, ROW_COUNT_ANOMALY, STATISTIC, NOT_CONSTANT, AT_LEAST_ONE, EQUAL_ROW_COUNT,
                    FEWER_ROWS_THAN, COLUMNS, COLUMN_TYPE, UNIQUE_VALUE_COUNT, PROPORTION_OF_UNIQUE_VALUES ->
                    throw new IllegalArgumentException(c.kind() + " is not row-level");
        };
    }

    /**
     * The unique check: one grouping by the key; returns {@code n} (rows), {@code keys} (duplicated keys) and
     * {@code failing} (rows whose key is duplicated); groups of keys the check does not compare ({@link #skippedKey})
     * are not duplicates (GROUP BY groups NULLs together).
     */
    public static String unique(TableName table, Optional<String> where, CheckSpec c) {
        String cols = Identifiers.quoteAll(c.columns());
        String partial = skippedKey(c);
        return "select coalesce(sum(c), 0) as n, count(*) filter (where c > 1 and not partial) as keys,"
                + " coalesce(sum(c) filter (where c > 1 and not partial), 0) as failing"
                + (c.countsNonNull() ? ", coalesce(sum(c) filter (where not partial), 0) as non_null" : "")
                + (c.countValues() ? ", count(*) filter (where not partial) as distinct_keys" : "") + "\nfrom (select count(*) as c, ("
                + partial + ") as partial from " + table.quoted() + whereClause(where) + " group by " + cols + ") g";
    }

    /**
     * {@code value !~ regex}, or a cheaper equivalent when the pattern is a plain literal: a substring test for
     * {@code abc}, a prefix test for {@code ^abc}, a suffix test for {@code abc$}, equality for {@code ^abc$}. A
     * regular expression costs a match per row; these cost a memory comparison. Only for a value whose equality is
     * its bytes' ({@link TextColumns#literalPatterns}): on {@code char(n)} equality ignores the blank padding the
     * regular expression sees, and {@code citext} matches ignoring case.
     */
    static String notMatching(String value, String regex, boolean literalShortcut) {
        if (!literalShortcut) {
            return value + " !~ " + Identifiers.literal(regex);
        }
        boolean start = regex.startsWith("^");
        boolean end = regex.endsWith("$") && !regex.endsWith("\\$") && regex.length() > (start ? 1 : 0);
        String body = regex.substring(start ? 1 : 0, end ? regex.length() - 1 : regex.length());
        if (body.isEmpty() || !isLiteral(body)) {
            return value + " !~ " + Identifiers.literal(regex);
        }
        String lit = Identifiers.literal(body);
        if (start && end) {
            return value + " <> " + lit;
        }
        if (start) {
            return "not starts_with(" + value + ", " + lit + ")";
        }
        if (end) {
            return "right(" + value + ", " + body.length() + ") <> " + lit;
        }
        return "strpos(" + value + ", " + lit + ") = 0";
    }

    private static boolean isLiteral(String body) {
        for (int i = 0; i < body.length(); i++) {
            char ch = body.charAt(i);
            if ("\\^$.|?*+()[]{}".indexOf(ch) >= 0 || Character.isSurrogate(ch)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The fast first pass of a unique check: {@code n} (rows), {@code complete} (rows with no NULL in the key) and
     * {@code distinct_fp} (distinct key fingerprints). A fingerprint is the value itself for a single fixed-width
     * column, else a 64-bit hash of the key (equal keys have equal hashes, under the column's collation). When
     * {@code distinct_fp = complete} there is no duplicate; otherwise {@link #unique} counts them exactly. A
     * count(distinct) of 8-byte values is a datum sort, several times cheaper than grouping by a text key.
     */
    public static String uniqueFingerprints(TableName table, Optional<String> where, CheckSpec c, Schema schema,
            TextColumns text) {
        String fp = fingerprint(c, schema, text);
        return "select count(*) as n, count(fp) as complete, count(distinct fp) as distinct_fp\nfrom (select " + fp
                + " as fp from " + table.quoted() + whereClause(where) + ") s";
    }

    /** Whether {@link #uniqueFingerprints} compares the values themselves (no hash, so no second pass needed). */
    public static boolean exactFingerprint(CheckSpec c, Schema schema) {
        if (c.columns().size() != 1 || schema == null || c.nullKeys() == NullKeys.COMPARED) {
            return false;
        }
        return schema.field(c.columns().get(0)).map(f -> switch (f.type().kind()) {
            case INT, LONG, DATE, TIMESTAMP, TIMESTAMPTZ, BOOLEAN, UUID -> true;
            default -> false;
        }).orElse(false);
    }

    private static String fingerprint(CheckSpec c, Schema schema, TextColumns text) {
        if (exactFingerprint(c, schema)) {
            return col(c);
        }
        if (c.nullKeys() != NullKeys.SKIPPED_IF_ANY_NULL) {
            // NULLs are values: the hash of the whole key (a record's NULL fields hash too), NULL for a skipped key only
            String hash = "hash_record_extended(row(" + Identifiers.quoteAll(c.columns()) + "), 0)";
            return c.nullKeys() == NullKeys.COMPARED ? hash : "case when " + skippedKey(c) + " then null else " + hash + " end";
        }
        // text's own hash, under the column's collation; other types (citext, name…) hash with their own function
        if (c.columns().size() == 1 && text.textTyped().contains(c.columns().get(0))) {
            return "hashtextextended(" + col(c) + ", 0)";
        }
        return "case when " + partialKey(c.columns()) + " then null else hash_record_extended(row(" + Identifiers.quoteAll(c.columns())
                + "), 0) end";
    }

    /**
     * True for a row whose key the unique check does not compare ({@link CheckSpec#nullKeys}): one with a NULL column
     * ({@link #partialKey}), one of NULLs alone, or none.
     */
    static String skippedKey(CheckSpec c) {
        return switch (c.nullKeys()) {
            case SKIPPED_IF_ANY_NULL -> partialKey(c.columns());
            case SKIPPED_IF_ALL_NULL -> {
                StringJoiner all = new StringJoiner(" and ");
                c.columns().forEach(col -> all.add(Identifiers.quote(col) + " is not distinct from null"));
                yield all.toString();
            }
            case COMPARED -> "false";
        };
    }

    /** True for a row whose key the unique check compares: the negation of {@link #skippedKey}. */
    static String comparedKey(CheckSpec c) {
        return switch (c.nullKeys()) {
            case SKIPPED_IF_ANY_NULL -> completeKey(c.columns());
            case SKIPPED_IF_ALL_NULL -> {
                StringJoiner any = new StringJoiner(" or ", "(", ")");
                c.columns().forEach(col -> any.add(Identifiers.quote(col) + " is distinct from null"));
                yield any.toString();
            }
            case COMPARED -> "true";
        };
    }

    /**
     * True for a row whose key has a NULL column: such a key is not compared, as a unique constraint ignores it.
     * {@code is not distinct from null}, not {@code is null}: for a composite-typed column, {@code is null} is also
     * true for a value whose fields are all NULL, which is a value (a unique index compares it), not a NULL.
     */
    static String partialKey(List<String> columns) {
        StringJoiner partial = new StringJoiner(" or ");
        for (String col : columns) {
            partial.add(Identifiers.quote(col) + " is not distinct from null");
        }
        return partial.toString();
    }

    /**
     * True for a row whose key has no NULL column; {@code is distinct from null}, not {@code is not null}, which is
     * false for a composite value with any NULL field (see {@link #partialKey}).
     */
    static String completeKey(List<String> columns) {
        StringJoiner complete = new StringJoiner(" and ");
        for (String col : columns) {
            complete.add(Identifiers.quote(col) + " is distinct from null");
        }
        return complete.toString();
    }

    /**
     * The relationships check: one anti-join; returns {@code n} (rows) and {@code failing} (orphans). When the two
     * columns' types differ ({@code sameType} false), the comparison may cast the parent's keys to a coarser type
     * (numeric to float8, bigint to float8), so parent keys distinct in their own type can meet one child row
     * several times, and the join counted that row as many times in {@code n}: the child's rows are then read once
     * into a materialized CTE, counted, and anti-joined (as the failing rows are found for samples and
     * storeFailures).
     */
    public static String relationships(TableName table, Optional<String> where, CheckSpec c, boolean sameType) {
        String q = col(c);
        if (!sameType) {
            return "with c as materialized (select " + q + " as v from " + table.quoted() + whereClause(where) + ")\nselect"
                    + " (select count(*) from c) as n, (select count(*) from c where c.v is distinct from null and not exists"
                    + " (select 1 from " + parent(c) + " p where p." + Identifiers.quote(c.refColumn()) + " = c.v))"
                    + " as failing" + (c.countsNonNull() ? ", (select count(c.v) from c) as non_null" : "");
        }
        // "is [not] distinct from null", not "is [not] null": for a composite-typed key, "is null" is true for a value
        // whose fields are all NULL and "is not null" false for one with any NULL field, so such a key was skipped (or,
        // matched by a parent key of all-NULL fields, counted as an orphan)
        return "select count(*) as n, count(*) filter (where c.v is distinct from null and p.k is not distinct from null)"
                + " as failing" + (c.countsNonNull() ? ", count(c.v) as non_null" : "") + "\nfrom (select "
                + q + " as v from " + table.quoted() + whereClause(where) + ") c\nleft join (select distinct "
                + Identifiers.quote(c.refColumn()) + " as k from " + parent(c) + (c.parentWhere().isPresent() ? " r" : "")
                + ") p on p.k = c.v";
    }

    /**
     * The query of a check that runs its own window over the table's rows (sequential values, mutually exclusive
     * ranges): {@code n} (rows), {@code failing} and, when its threshold needs them, {@code non_null}. The table's
     * {@code where} applies before the window, as a dbt test's {@code where} config applies to the model.
     */
    public static String windowed(TableName table, Optional<String> where, CheckSpec c, Schema schema) {
        String nonNull = c.kind() == Kind.SEQUENTIAL_VALUES && c.countsNonNull() ? ", count(" + col(c) + ") as non_null" : "";
        String groups = c.groupBy().isEmpty() ? "" : ", count(distinct row(" + Identifiers.quoteAll(c.groupBy())
                + ")) filter (where " + windowFailing(c, schema) + ") as failing_groups";
        return "select count(*) as n, count(*) filter (where " + windowFailing(c, schema) + ") as failing" + nonNull + groups
                + "\nfrom (" + window(table, where, c, schema, Identifiers.quoteAll(c.allColumns())) + ") w";
    }

    /**
     * {@code select <columns>, <window value> as <label> from table where ...}: the previous value (sequential values) or
     * the next range's lower bound (mutually exclusive ranges) next to the row's {@code columns}.
     */
    private static String window(TableName table, Optional<String> where, CheckSpec c, Schema schema, String columns) {
        String value;
        if (c.kind() == Kind.SEQUENTIAL_VALUES) {
            value = "lag(" + col(c) + ") over (" + (c.groupBy().isEmpty() ? "" : "partition by "
                    + Identifiers.quoteAll(c.groupBy()) + " ") + "order by " + col(c) + ")";
        } else {
            List<String> partition = c.columns().subList(2, c.columns().size());
            value = "lead(" + col(c) + ") over (" + (partition.isEmpty() ? "" : "partition by " + Identifiers.quoteAll(partition)
                    + " ") + "order by " + col(c) + ", " + Identifiers.quote(c.columns().get(1)) + ")";
        }
        return "select " + columns + ", " + value + " as " + Identifiers.quote(windowLabel(c, schema)) + " from "
                + table.quoted() + whereClause(where);
    }

    /**
     * The name of the window's value in samples and stored failures: {@code previous_<column>} or
     * {@code next_<lower>}, with {@code _} added while the table has a column of that name.
     */
    public static String windowLabel(CheckSpec c, Schema schema) {
        return freeName((c.kind() == Kind.SEQUENTIAL_VALUES ? "previous_" : "next_") + c.columns().get(0),
                n -> c.columns().contains(n) || schema != null && schema.contains(n));
    }

    /** The failing condition of a windowed check, over the row's columns and its window value. */
    private static String windowFailing(CheckSpec c, Schema schema) {
        String v = col(c);
        String w = Identifiers.quote(windowLabel(c, schema));
        if (c.kind() == Kind.SEQUENTIAL_VALUES) {
            // NULL (so passing) for the first value, for a NULL and for the first NULL's previous value, as in dbt-utils
            return v + " <> " + stepped(c, w, schema);
        }
        String upper = Identifiers.quote(c.columns().get(1));
        // a NULL bound fails the row (dbt-utils' coalesce(..., false)); no next range (or only ones with a NULL lower
        // bound, which sort last) passes it
        boolean zeroLength = c.zeroLengthRangeAllowed();
        String gaps = switch (c.gaps()) {
            case NOT_ALLOWED -> " = ";
            case REQUIRED -> " < ";
            case ALLOWED -> " <= ";
        };
        return "not (coalesce(" + v + (zeroLength ? " <= " : " < ") + upper + ", false) and coalesce(" + upper + gaps + w
                + ", true))";
    }

    /**
     * {@code previous} plus the check's step: a number as a numeric literal, a Period or Duration as an ISO 8601
     * interval ({@code interval 'P1D'}), added to a {@code timestamptz} in UTC so that a day is the same in every session.
     */
    private static String stepped(CheckSpec c, String previous, Schema schema) {
        Object step = c.min();
        if (step instanceof Number n) {
            return previous + " + " + value(n, null);
        }
        String interval = "interval " + Identifiers.literal(step.toString());
        if (kind(c, schema) == FieldType.Kind.TIMESTAMPTZ) {
            return "((" + previous + " at time zone 'UTC') + " + interval + ") at time zone 'UTC'";
        }
        return previous + " + " + interval;
    }

    /**
     * A row count comparison: {@code n} (this table's rows, after its {@code where}) and {@code other_n} (all rows of
     * the other table).
     */
    public static String rowCounts(TableName table, Optional<String> where, CheckSpec c) {
        return "select (select count(*) from " + table.quoted() + whereClause(where) + ") as n, (select count(*) from "
                + c.refTable().quoted() + ") as other_n";
    }

    /**
     * Which grouped checks may share one grouped query ({@link GroupedScan}): equal keys share it. At least one and not
     * constant (and freshness) group this table's rows alone, so those grouped by the same columns (in any order: the same groups)
     * share one. A row count comparison groups a {@code union all} of this table's and the other table's grouping
     * columns, whose types and collations PostgreSQL resolves across both (text and citext give text, so 'a' and 'A'
     * become two groups; float8 and numeric give numeric): its groups can differ from this table's own, so it shares a
     * query only with row count comparisons against the same other table, never with the checks of this table alone
     * (whose groups would change) nor with those against another table (whose union differs).
     */
    public static List<Object> groupedKey(CheckSpec c) {
        boolean compared = c.kind() == Kind.EQUAL_ROW_COUNT || c.kind() == Kind.FEWER_ROWS_THAN;
        return List.of(compared ? c.refTable() : "", new TreeSet<>(c.groupBy()));
    }

    /**
     * One query for grouped checks of one table that share a {@link #groupedKey} (dbt-utils' {@code group_by_columns}
     * of at_least_one, not_constant, recency, equal_rowcount, fewer_rows_than): one grouping of the table's rows after its
     * {@code where} (for row count comparisons, of the union with the other table's rows), then over the groups
     * {@code n} (groups) and, per check, its failing groups ({@link #failing(CheckSpec)}) and the first five of them as
     * text in its own group order ({@link #failingGroups(CheckSpec)}); for row count comparisons also {@code rows_here}
     * and {@code rows_there}. NULL is a group of its own. The same results as each check's query alone: the groups are
     * the same, each check's aggregate is its own.
     */
    public static final class GroupedScan {
        private final Map<String, String> aggregates = new LinkedHashMap<>();
        private final Map<String, String> failingByCheck = new LinkedHashMap<>();
        private final Map<String, Integer> indexByCheck = new LinkedHashMap<>();
        private final String countsRows;
        private final String sql;

        /**
         * @param schema the table's columns, or null when not known (a plan): a not constant check then counts distinct values
         * @param text what the catalog says about the table's text columns (see {@link TextColumns})
         */
        public GroupedScan(TableName table, Optional<String> where, List<CheckSpec> checks, Schema schema, TextColumns text) {
            List<String> g = checks.get(0).groupBy();
            for (CheckSpec c : checks) {
                if (!groupedKey(c).equals(groupedKey(checks.get(0)))) {
                    throw new IllegalArgumentException("check " + c.id() + " cannot share the grouped query of "
                            + checks.get(0).id());
                }
            }
            String cols = Identifiers.quoteAll(g);
            Predicate<String> taken = g::contains;
            String inner;
            if (!groupedKey(checks.get(0)).get(0).equals("")) {
                CheckSpec c0 = checks.get(0);
                String side = Identifiers.quote(freeName("here_side", taken));
                String here = Identifiers.quote(freeName("here", taken));
                String there = Identifiers.quote(freeName("there", taken));
                inner = "select " + cols + ", count(*) filter (where " + side + ") as " + here
                        + ", count(*) filter (where not " + side + ") as " + there
                        + " from (select " + cols + ", true as " + side + " from " + table.quoted() + whereClause(where)
                        + " union all select " + cols + ", false from " + c0.refTable().quoted() + ") u group by " + cols;
                for (CheckSpec c : checks) {
                    failingByCheck.put(c.id(), c.kind() == Kind.EQUAL_ROW_COUNT ? here + " <> " + there : here + " >= " + there);
                }
                this.countsRows = ", coalesce(sum(" + here + "), 0) as rows_here, coalesce(sum(" + there + "), 0) as rows_there";
            } else {
                for (CheckSpec c : checks) {
                    String expr = switch (c.kind()) {
                        case AT_LEAST_ONE -> "count(" + col(c) + ")";
                        case NOT_CONSTANT -> constant(c, schema, text).get(0);
                        case FRESHNESS -> "(" + ageSeconds(c, schema) + ")";
                        default -> throw new IllegalArgumentException(c.kind() + " is not grouped this way");
                    };
                    String alias = aggregates.computeIfAbsent(expr, e -> freeName("v" + (aggregates.size() + 1), taken));
                    // not constant's aggregate is true for a group of one distinct non-NULL value (NULL for one of none)
                    failingByCheck.put(c.id(), switch (c.kind()) {
                        case AT_LEAST_ONE -> Identifiers.quote(alias) + " = 0";
                        case FRESHNESS -> stale(c, Identifiers.quote(alias));
                        default -> Identifiers.quote(alias);
                    });
                }
                StringBuilder s = new StringBuilder("select " + cols);
                aggregates.forEach((expr, alias) -> s.append(", ").append(expr).append(" as ").append(Identifiers.quote(alias)));
                inner = s.append(" from ").append(table.quoted()).append(whereClause(where)).append(" group by ").append(cols)
                        .toString();
                this.countsRows = "";
            }
            StringBuilder s = new StringBuilder("select count(*) as n").append(countsRows);
            for (CheckSpec c : checks) {
                int k = indexByCheck.size() + 1;
                indexByCheck.put(c.id(), k);
                List<String> own = c.groupBy();
                String groupText = own.size() == 1 ? "coalesce(" + Identifiers.quote(own.get(0)) + "::text, 'NULL')"
                        : "row(" + Identifiers.quoteAll(own) + ")::text";
                String failing = failingByCheck.get(c.id());
                s.append(",\n  count(*) filter (where ").append(failing).append(") as failing_").append(k)
                        .append(", array_to_string((array_agg(").append(groupText).append(" order by ")
                        .append(Identifiers.quoteAll(own)).append(") filter (where ").append(failing)
                        .append("))[1:5], ', ') as failing_groups_").append(k);
            }
            this.sql = s.append("\nfrom (").append(inner).append(") g").toString();
        }


        public String sql() {
            return sql;
        }

        /** The label of the check's count of failing groups in the query's row. */
        public String failing(CheckSpec c) {
            return "failing_" + indexByCheck.get(c.id());
        }

        /** The label of the check's first failing groups (text) in the query's row. */
        public String failingGroups(CheckSpec c) {
            return "failing_groups_" + indexByCheck.get(c.id());
        }
    }

    /**
     * One row per group of a grouped check: the grouping columns and what the check compares ({@code all}) or what its
     * samples show: the group's rows (and, for not constant, its one value; for a row count comparison, the other
     * table's rows).
     */
    private static String groups(TableName table, Optional<String> where, CheckSpec c, Schema schema, TextColumns text) {
        String g = Identifiers.quoteAll(c.groupBy());
        return switch (c.kind()) {
            case AT_LEAST_ONE -> "select " + g + ", count(*) as " + Identifiers.quote(label(c, "rows")) + ", count(" + col(c)
                    + ") as " + Identifiers.quote(label(c, "values")) + " from " + table.quoted() + whereClause(where)
                    + " group by " + g;
            case NOT_CONSTANT -> "select " + g + ", count(*) as " + Identifiers.quote(label(c, "rows")) + ", "
                    + constant(c, schema, text).get(0) + " as " + Identifiers.quote(label(c, "values")) + ", (array_agg("
                    + col(c) + ") filter (where " + col(c) + " is distinct from null))[1] as " + col(c)
                    + " from " + table.quoted() + whereClause(where) + " group by " + g;
            case FRESHNESS -> "select " + g + ", count(*) as " + Identifiers.quote(label(c, "rows")) + ", max(" + col(c)
                    + ") as " + col(c) + ", (" + ageSeconds(c, schema) + ") as " + Identifiers.quote(label(c, "age_seconds"))
                    + " from " + table.quoted() + whereClause(where) + " group by " + g;
            case EQUAL_ROW_COUNT, FEWER_ROWS_THAN -> {
                String side = Identifiers.quote(label(c, "here_side"));
                yield "select " + g + ", count(*) filter (where " + side + ") as " + Identifiers.quote(label(c, "here"))
                        + ", count(*) filter (where not " + side + ") as " + Identifiers.quote(label(c, "there"))
                        + " from (select " + g + ", true as " + side + " from " + table.quoted() + whereClause(where)
                        + " union all select " + g + ", false from " + c.refTable().quoted() + ") u group by " + g;
            }
            default -> throw new IllegalArgumentException(c.kind() + " is not grouped this way");
        };
    }

    /**
     * True for a group of a grouped freshness check whose newest value, {@code age} seconds old (numeric, ±Infinity
     * for infinite timestamps), is older than the check's maximum age, or that has none (only NULLs); a value in the
     * future (a negative age) is fresh, as the ungrouped check judges it.
     */
    private static String stale(CheckSpec c, String age) {
        BigDecimal maxAge = BigDecimal.valueOf(c.maxAge().getSeconds()).add(BigDecimal.valueOf(c.maxAge().getNano(), 9));
        return "coalesce(" + age + " > " + maxAge.stripTrailingZeros().toPlainString() + ", true)";
    }

    /** The condition true for a failing group, over the columns of {@link #groups}. */
    private static String groupFailing(CheckSpec c) {
        return switch (c.kind()) {
            case AT_LEAST_ONE -> Identifiers.quote(label(c, "values")) + " = 0";
            case NOT_CONSTANT -> Identifiers.quote(label(c, "values"));
            case FRESHNESS -> stale(c, Identifiers.quote(label(c, "age_seconds")));
            case EQUAL_ROW_COUNT -> Identifiers.quote(label(c, "here")) + " <> " + Identifiers.quote(label(c, "there"));
            case FEWER_ROWS_THAN -> Identifiers.quote(label(c, "here")) + " >= " + Identifiers.quote(label(c, "there"));
            default -> throw new IllegalArgumentException(c.kind() + " is not grouped this way");
        };
    }

    /**
     * The failing groups of a grouped check, as its samples and stored failures show them: the grouping columns, the
     * group's {@code rows} and, for not constant, its one value (under the column's name); for a row count comparison
     * {@code rows} here and {@code other_rows} in the other table. {@code _} is added to a label while a grouping
     * column has that name.
     */
    public static String failingGroups(TableName table, Optional<String> where, CheckSpec c, Schema schema,
            TextColumns text, int limit) {
        List<String> shown = new ArrayList<>(c.groupBy());
        List<String> select = new ArrayList<>();
        c.groupBy().forEach(x -> select.add(Identifiers.quote(x)));
        switch (c.kind()) {
            case AT_LEAST_ONE -> select.add(Identifiers.quote(label(c, "rows")));
            case NOT_CONSTANT, FRESHNESS -> {
                select.add(Identifiers.quote(label(c, "rows")));
                select.add(col(c));
            }
            default -> {
                select.add(Identifiers.quote(label(c, "here")) + " as " + Identifiers.quote(label(c, "rows")));
                select.add(Identifiers.quote(label(c, "there")) + " as " + Identifiers.quote(label(c, "other_rows")));
            }
        }
        return "select " + String.join(", ", select) + " from (" + groups(table, where, c, schema, text) + ") g where "
                + groupFailing(c) + " order by " + Identifiers.quoteAll(shown) + (limit > 0 ? " limit " + limit : "");
    }

    /** {@code base}, with {@code _} added while a grouping column (or the checked column) has that name. */
    private static String label(CheckSpec c, String base) {
        return freeName(base, n -> c.groupBy().contains(n) || c.columns().contains(n));
    }

    /** {@code base}, with {@code _} added while {@code taken} says a column has that name. */
    private static String freeName(String base, Predicate<String> taken) {
        String name = base;
        while (taken.test(name)) {
            name += "_";
        }
        return name;
    }

    /**
     * The equality check (dbt-utils' equality, as multisets): {@code n} (this table's rows after its {@code where}),
     * {@code other_n} (the other table's rows), {@code only_here} and {@code only_there} (the rows of each side that the
     * other lacks, {@code except all} both ways, so a row held twice here and once there is one row only here).
     */
    public static String equality(TableName table, Optional<String> where, CheckSpec c, Schema schema) {
        return "with a as (" + compared(table, where, c, schema) + "),\nb as (" + compared(c.refTable(), Optional.empty(), c,
                schema) + ")\nselect (select count(*) from a) as n, (select count(*) from b) as other_n, (select count(*) from"
                + " (select * from a except all select * from b) x) as only_here, (select count(*) from (select * from b"
                + " except all select * from a) y) as only_there";
    }

    /**
     * The rows of either side the other lacks, each with {@code only_in} (the table it is found in; {@code _} added while
     * a compared column has that name) first; both sides interleaved, so that samples show each, up to {@code limit}
     * rows ({@code 0}: all).
     */
    public static String equalityRows(TableName table, Optional<String> where, CheckSpec c, Schema schema, int limit) {
        String label = Identifiers.quote(freeName("only_in", equalityColumns(c, schema)::contains));
        String here = compared(table, where, c, schema);
        String there = compared(c.refTable(), Optional.empty(), c, schema);
        String rows = "select " + Identifiers.literal(table.toString()) + " as " + label + ", x.* from (" + here
                + " except all " + there + ") x union all select " + Identifiers.literal(c.refTable().toString()) + " as "
                + label + ", y.* from (" + there + " except all " + here + ") y";
        if (limit <= 0) {
            return rows;
        }
        List<String> cols = equalityColumns(c, schema);
        String order = cols.isEmpty() ? "" : " order by " + Identifiers.quoteAll(cols);
        return "select * from (" + rows + ") d order by row_number() over (partition by " + label + order + "), " + label
                + " limit " + limit;
    }

    /**
     * The distinct values of a column (unique value count, proportion of unique values): {@code n} (rows),
     * {@code distinct_values} (distinct non-NULL values, as the column's type compares them) and {@code non_null}
     * (non-NULL rows), from one grouping of the column. Not in the table's scan: a {@code count(distinct …)} there sorts
     * every row of the scan and makes its aggregation serial (DISTINCT aggregates have no partial, parallel form), for all
     * of the table's checks; a grouping hashes, in parallel, and only the column. Text under a deterministic collation is
     * grouped under {@code "C"}: two values are equal under it exactly when their bytes are, so the groups are the same
     * without the collation's cost where they are sorted.
     */
    public static String distinctValues(TableName table, Optional<String> where, CheckSpec c, TextColumns text) {
        String v = col(c) + (text.bytewise().contains(c.columns().get(0)) ? " collate \"C\"" : "");
        return "select coalesce(sum(c), 0) as n, count(*) filter (where v is distinct from null) as distinct_values,"
                + " coalesce(sum(c) filter (where v is distinct from null), 0) as non_null\nfrom (select " + v
                + " as v, count(*) as c from " + table.quoted() + whereClause(where) + " group by 1) g";
    }

    /**
     * The values of a cardinality equality check (dbt-utils' cardinality_equality) with their rows here ({@code here}, after
     * this table's {@code where}) and in the other table ({@code there}): one grouping of a {@code union all} of both
     * columns, so a value missing on one side has 0 rows there and NULL is a value of its own (as dbt-utils' {@code group
     * by} and {@code except} take it). PostgreSQL resolves the two columns' types and collations across the union.
     */
    private static String cardinalityCounts(TableName table, Optional<String> where, CheckSpec c) {
        return "select v, count(*) filter (where side) as here, count(*) filter (where not side) as there from (select "
                + col(c) + " as v, true as side from " + table.quoted() + whereClause(where) + " union all select "
                + Identifiers.quote(c.refColumn()) + ", false from " + c.refTable().quoted() + ") u group by v";
    }

    /**
     * The cardinality equality check: {@code n} (the distinct values of both sides), {@code failing} (the values whose
     * rows here and there differ), {@code rows_here}, {@code rows_there} and {@code failing_values} (the first five, as
     * text, in the values' order).
     */
    public static String cardinality(TableName table, Optional<String> where, CheckSpec c) {
        return "select count(*) as n, count(*) filter (where here <> there) as failing, coalesce(sum(here), 0) as rows_here,"
                + " coalesce(sum(there), 0) as rows_there, array_to_string((array_agg(coalesce(v::text, 'NULL') order by v)"
                + " filter (where here <> there))[1:5], ', ') as failing_values\nfrom (" + cardinalityCounts(table, where, c)
                + ") g";
    }

    /**
     * The values of a cardinality equality check whose rows differ, as samples and stored failures show them: the value
     * under the column's name, its {@code rows} here and {@code other_rows} in the other table ({@code _} added to a
     * label while the column has that name), in the values' order, up to {@code limit} ({@code 0}: all).
     */
    public static String cardinalityRows(TableName table, Optional<String> where, CheckSpec c, int limit) {
        return "select v as " + col(c) + ", here as " + Identifiers.quote(label(c, "rows")) + ", there as "
                + Identifiers.quote(label(c, "other_rows")) + " from (" + cardinalityCounts(table, where, c)
                + ") g where here <> there order by v" + (limit > 0 ? " limit " + limit : "");
    }

    /** {@code select <compared columns> from <table> [where ...]}: {@code *} when the columns are not known (a plan). */
    private static String compared(TableName from, Optional<String> where, CheckSpec c, Schema schema) {
        List<String> cols = equalityColumns(c, schema);
        return "select " + (cols.isEmpty() ? "*" : Identifiers.quoteAll(cols)) + " from " + from.quoted() + whereClause(where);
    }

    /** The compared columns: those given, else all of this table's (empty when its schema is not known). */
    public static List<String> equalityColumns(CheckSpec c, Schema schema) {
        return !c.columns().isEmpty() || schema == null ? c.columns() : schema.names();
    }

    /**
     * Every failing row of a row-level check, all columns ({@code select *}), for {@code storeFailures}: the rows the
     * check counted as failing, so as many as its {@code failingRows}. For unique, the rows whose complete key is
     * shared with another row; for relationships, the rows whose value has no parent.
     */
    public static String failingRows(TableName table, Optional<String> where, CheckSpec c, Schema schema, TextColumns text) {
        if (c.grouped()) {
            return failingGroups(table, where, c, schema, text, 0);
        }
        if (c.kind() == Kind.EQUALITY) {
            return equalityRows(table, where, c, schema, 0);
        }
        if (c.kind() == Kind.CARDINALITY_EQUALITY) {
            return cardinalityRows(table, where, c, 0);
        }
        String from = "select * from " + table.quoted() + " where " + where.map(w -> user(w) + " and ").orElse("");
        return switch (c.kind()) {
            case UNIQUE -> {
                String cols = Identifiers.quoteAll(c.columns());
                if (c.nullKeys() != NullKeys.SKIPPED_IF_ANY_NULL) {
                    // IN never meets a NULL: the duplicated keys are matched column by column, NULL meeting NULL
                    StringJoiner same = new StringJoiner(" and ");
                    for (String col : c.columns()) {
                        same.add("d." + Identifiers.quote(col) + " is not distinct from " + table.quoted() + "." + Identifiers.quote(col));
                    }
                    yield from + "exists (select 1 from (select " + cols + " from " + table.quoted() + " where "
                            + where.map(w -> user(w) + " and ").orElse("") + comparedKey(c) + " group by " + cols
                            + " having count(*) > 1) d where " + same + ")";
                }
                String key = c.columns().size() == 1 ? cols : "(" + cols + ")";
                yield from + key + " in (select " + cols + " from " + table.quoted() + " where "
                        + where.map(w -> user(w) + " and ").orElse("") + completeKey(c.columns()) + " group by " + cols
                        + " having count(*) > 1)";
            }
            case RELATIONSHIPS -> from + col(c) + " is distinct from null and not exists (select 1 from "
                    + parent(c) + " p where p." + Identifiers.quote(c.refColumn()) + " = " + table.quoted() + "."
                    + col(c) + ")";
            // every column of the row and the window's value (previous_<column>, next_<lower>)
            case SEQUENTIAL_VALUES, MUTUALLY_EXCLUSIVE_RANGES -> "select * from (" + window(table, where, c, schema,
                    table.quoted() + ".*") + ") w where " + windowFailing(c, schema);
            default -> from + "(" + failing(c, schema, text) + ")";
        };
    }

    /** Failing rows of a check: key columns and the offending values. */
    public static String samples(TableName table, Optional<String> where, CheckSpec c, List<String> keys, Schema schema,
            TextColumns text, int limit) {
        if (c.grouped()) {
            return failingGroups(table, where, c, schema, text, limit);
        }
        if (c.kind() == Kind.EQUALITY) {
            return equalityRows(table, where, c, schema, limit);
        }
        if (c.kind() == Kind.CARDINALITY_EQUALITY) {
            return cardinalityRows(table, where, c, limit);
        }
        List<String> shown = new ArrayList<>(keys);
        for (String col : c.allColumns()) {
            if (!shown.contains(col)) {
                shown.add(col);
            }
        }
        String order = keys.isEmpty() ? "" : " order by " + Identifiers.quoteAll(keys);
        if (c.kind() == Kind.UNIQUE) {
            String cols = Identifiers.quoteAll(c.columns());
            String notNull = comparedKey(c);
            // the count is labelled "duplicates", or "duplicates_"… when a key column has that name: the same label
            // twice would make the ORDER BY ambiguous (and one sample value hide the other)
            String label = freeName("duplicates", c.columns()::contains);
            return "select " + cols + ", count(*) as " + Identifiers.quote(label) + " from " + table.quoted() + " where " + notNull
                    + where.map(w -> " and " + user(w)).orElse("") + " group by " + cols
                    + " having count(*) > 1 order by count(*) desc, " + cols + " limit " + limit;
        }
        if (c.kind() == Kind.SEQUENTIAL_VALUES || c.kind() == Kind.MUTUALLY_EXCLUSIVE_RANGES) {
            List<String> all = new ArrayList<>(shown);
            all.add(windowLabel(c, schema));
            return "select " + Identifiers.quoteAll(all) + " from (" + window(table, where, c, schema,
                    Identifiers.quoteAll(shown)) + ") w where " + windowFailing(c, schema) + order + " limit " + limit;
        }
        // the table under its own name, as in the scan: an expression or where(...) may qualify columns with it
        String condition = c.kind() != Kind.RELATIONSHIPS ? failing(c, schema, text)
                : col(c) + " is distinct from null and not exists (select 1 from " + parent(c) + " p where p."
                        + Identifiers.quote(c.refColumn()) + " = " + table.quoted() + "." + col(c) + ")";
        String select = shown.isEmpty() ? "*" : Identifiers.quoteAll(shown);
        return "select " + select + " from " + table.quoted() + " where " + where.map(w -> user(w) + " and ").orElse("")
                + "(" + condition + ")" + order + " limit " + limit;
    }

    /**
     * A non-text value as the text {@code matches} reads and freshness shows: as PostgreSQL prints it, except that a
     * {@code timestamptz} is printed in UTC ({@code 2024-01-03 02:00:00+00}), as a UTC session prints it: in the
     * session's TimeZone, which pgjdbc takes from the JVM, whether a row matched {@code ^2024-01-03} would depend on
     * the machine running the check.
     */
    private static String asText(String q, FieldType.Kind kind) {
        if (kind != FieldType.Kind.TIMESTAMPTZ) {
            return q + "::text";
        }
        String utc = "(" + q + " AT TIME ZONE 'UTC')::text";
        return "(CASE WHEN NOT isfinite(" + q + ") THEN " + q + "::text WHEN " + q + " < '0001-01-01 00:00:00+00'::timestamptz"
                + " THEN replace(" + utc + ", ' BC', '+00 BC') ELSE " + utc + " || '+00' END)";
    }

    /**
     * A user's condition ({@code where(...)} or an expression) in parentheses, as written. The closing parenthesis
     * goes on a line of its own so that a condition ending in a {@code --} comment does not swallow it.
     */
    private static String user(String condition) {
        return "(" + condition + "\n)";
    }

    /**
     * The parent rows of a relationships check: its table, or only those meeting its {@link CheckSpec#parentWhere}
     * (a derived table, so that the condition reads the parent's columns unqualified).
     */
    private static String parent(CheckSpec c) {
        return c.parentWhere().map(w -> "(select * from " + c.refTable().quoted() + " where " + user(w) + ")")
                .orElse(c.refTable().quoted());
    }

    private static String whereClause(Optional<String> where) {
        return where.map(w -> " where " + user(w)).orElse("");
    }

    private static String col(CheckSpec c) {
        return Identifiers.quote(c.columns().get(0));
    }

    private static boolean isText(String column, Schema schema) {
        return schema == null || schema.field(column).map(f -> f.type().equals(FieldType.STRING)).orElse(true);
    }

    /**
     * Whether {@code min <= max} is certain whatever the column's type: both numbers, or both the same kind of
     * java.time value. Strings are read in the column's type, whose order Java cannot know.
     */
    /** The operator of a value outside a range's lower bound: {@code <}, or {@code <=} when the bounds are exclusive. */
    private static String below(CheckSpec c) {
        return c.exclusive() ? " <= " : " < ";
    }

    /** The operator of a value outside a range's upper bound: {@code >}, or {@code >=} when the bounds are exclusive. */
    private static String above(CheckSpec c) {
        return c.exclusive() ? " >= " : " > ";
    }

    static boolean ordered(Object min, Object max) {
        if (min instanceof Number a && max instanceof Number b) {
            return new BigDecimal(value(a, null)).compareTo(new BigDecimal(value(b, null))) <= 0;
        }
        if (min instanceof java.time.LocalDate a && max instanceof java.time.LocalDate b) {
            return !a.isAfter(b);
        }
        if (min instanceof java.time.LocalDateTime a && max instanceof java.time.LocalDateTime b) {
            return !a.isAfter(b);
        }
        if (min instanceof java.time.Instant a && max instanceof java.time.Instant b) {
            return !a.isAfter(b);
        }
        return false;
    }

    /** The kind of the check's (first) column, or null when the schema is not known. */
    private static FieldType.Kind kind(CheckSpec c, Schema schema) {
        return schema == null ? null : schema.field(c.columns().get(0)).map(f -> f.type().kind()).orElse(null);
    }

    /** A range bound: {@link #value}, a string literal cast to the column's type where it must be named. */
    private static String bound(CheckSpec c, Object v, Schema schema, TextColumns text) {
        String literal = value(v, kind(c, schema));
        return literal.endsWith("'") ? literal + typeCast(c, text, "") : literal;
    }

    /**
     * {@code ::"s"."pair"} (with {@code suffix}, {@code []} for an array) when the check's column is of a composite type:
     * PostgreSQL compares composite values with the operators of {@code record}, so an untyped literal met there is
     * read as an anonymous record, which it cannot ({@code input of anonymous composite types is not implemented},
     * SQLSTATE 0A000: the check was an ERROR, and a pool such as HikariCP closed the run's connection). Empty otherwise:
     * an untyped literal takes the column's type.
     */
    private static String typeCast(CheckSpec c, TextColumns text, String suffix) {
        String type = text.compositeTypes().get(c.columns().get(0));
        return type == null ? "" : "::" + type + suffix;
    }

    /**
     * A number as a numeric literal, anything else as a string literal PostgreSQL reads in the column's type (see
     * {@link #text}).
     */
    static String value(Object v, FieldType.Kind kind) {
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            return v.toString();
        }
        if (v instanceof Double || v instanceof Float) {
            return new BigDecimal(v.toString()).toPlainString();
        }
        return Identifiers.literal(text(v, kind));
    }

    /**
     * A value as the text PostgreSQL reads in a column of {@code kind} (null: not known), with a meaning that does not
     * depend on the session. A java.time value without a zone is UTC where it meets a {@code timestamptz} column
     * (a {@code LocalDate} is its midnight UTC): as {@code '2024-01-03'} PostgreSQL would read it in the session's
     * TimeZone, which pgjdbc takes from the JVM. A value with an offset is its UTC wall clock where it meets a
     * {@code timestamp} or {@code date} column, which PostgreSQL would read dropping the offset (a timestamp column is
     * read as UTC, as {@code freshness} reads it). A {@code ZonedDateTime} is its offset date-time, a form PostgreSQL
     * reads.
     */
    static String text(Object v, FieldType.Kind kind) {
        Object t = v instanceof java.time.ZonedDateTime z ? z.toOffsetDateTime() : v;
        if (kind == FieldType.Kind.TIMESTAMPTZ) {
            if (t instanceof java.time.LocalDate d) {
                t = d.atStartOfDay().atOffset(java.time.ZoneOffset.UTC);
            } else if (t instanceof java.time.LocalDateTime d) {
                t = d.atOffset(java.time.ZoneOffset.UTC);
            }
        } else if (kind == FieldType.Kind.TIMESTAMP || kind == FieldType.Kind.DATE) {
            if (t instanceof java.time.OffsetDateTime o) {
                t = o.withOffsetSameInstant(java.time.ZoneOffset.UTC).toLocalDateTime();
            } else if (t instanceof java.time.Instant i) {
                t = java.time.LocalDateTime.ofInstant(i, java.time.ZoneOffset.UTC);
            }
        }
        return t instanceof BigDecimal d ? d.toPlainString() : String.valueOf(t);
    }

    /**
     * PostgreSQL (14+) evaluates {@code x <> all(array)} with a hash table only from 9 elements on; below that it
     * compares each element in turn. Repeating the last value up to 9 elements makes it one hash probe per row,
     * measured about 40% cheaper than four text comparisons on a 1M-row table. The result is the same.
     */
    static List<Object> padded(List<Object> values) {
        if (values.size() >= HASHED_ARRAY_SIZE) {
            return values;
        }
        List<Object> out = new ArrayList<>(values);
        while (out.size() < HASHED_ARRAY_SIZE) {
            out.add(values.get(values.size() - 1));
        }
        return out;
    }

    /** PostgreSQL's MIN_ARRAY_SIZE_FOR_HASHED_SAOP. */
    private static final int HASHED_ARRAY_SIZE = 9;

    /** {@code '{"EUR","USD"}'}: an untyped array literal, elements double-quoted and escaped. */
    static String arrayLiteral(List<Object> values, FieldType.Kind kind) {
        StringJoiner a = new StringJoiner(",", "{", "}");
        for (Object v : values) {
            String s = text(v, kind);
            a.add('"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
        }
        return Identifiers.literal(a.toString());
    }

    /**
     * The failing-row condition of accepted values ({@code accepted}: the value is not in the list) or of not accepted
     * values (it is). For an array column, the arrays cannot be an array of arrays (PostgreSQL has none), but an IN list
     * of untyped literals takes the column's type ({@code NOT IN} is {@code <>} for each, NULL for a NULL). Otherwise
     * {@code <> all(array)} / {@code = any(array)}: NULL for a NULL value, so NULLs are not counted; the untyped array
     * literal takes the column's type, so one hashed comparison per row, no per-row casts.
     */
    private static String valueList(CheckSpec c, String q, TextColumns text, Schema schema, boolean accepted) {
        if (text.arrays().contains(c.columns().get(0))) {
            StringJoiner in = new StringJoiner(", ", q + (accepted ? " not in (" : " in ("), ")");
            c.values().forEach(x -> in.add(Identifiers.literal(text(x, kind(c, schema)))));
            return in.toString();
        }
        String v = text.bytewise().contains(c.columns().get(0)) ? q + " collate \"C\"" : q;
        return c.values().size() == 1
                ? v + (accepted ? " <> " : " = ") + Identifiers.literal(text(c.values().get(0), kind(c, schema))) + typeCast(c, text, "")
                : v + (accepted ? " <> all(" : " = any(") + arrayLiteral(padded(c.values()), kind(c, schema))
                        + typeCast(c, text, "[]") + ")";
    }
}
