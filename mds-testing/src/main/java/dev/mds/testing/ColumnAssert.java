package dev.mds.testing;

import dev.mds.testing.internal.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.AbstractAssert;

/** Assertions on the values of one column, from {@link TableAssert#column(String)} or {@link QueryAssert#column(String)}. */
public final class ColumnAssert extends AbstractAssert<ColumnAssert, List<Object>> {
    private final String name;
    /** What expected values are compared as (a jsonb column's JSON text as a {@link Values.Jsonb}), read together. */
    private final java.util.function.UnaryOperator<Object[]> expectedAs;

    ColumnAssert(String name, List<Object> values, java.util.function.UnaryOperator<Object[]> expectedAs) {
        super(values, ColumnAssert.class);
        this.name = name;
        this.expectedAs = expectedAs;
    }

    /** The values of column {@code index} of {@code read}, an expected value for a jsonb column read as {@link Rows#expected} reads it. */
    static ColumnAssert of(String name, javax.sql.DataSource dataSource, Rows.Read read, int index) {
        List<Object> values = new ArrayList<>();
        for (Row r : read.rows()) {
            values.add(r.get(index));
        }
        List<String> type = List.of(read.types().get(index));
        return new ColumnAssert(name, values, given -> {
            Row[] rows = new Row[given.length];
            for (int i = 0; i < given.length; i++) {
                rows[i] = Row.row(given[i]);
            }
            rows = Rows.expected(dataSource, type, rows, name);   // one statement for them all
            Object[] out = new Object[given.length];
            for (int i = 0; i < given.length; i++) {
                out[i] = rows[i].get(0);
            }
            return out;
        });
    }

    /**
     * Fails unless every value is one of these (and each of these occurs, as AssertJ's containsOnly). Values are looked
     * up by their normalized form, so that a column of many distinct values compares in time proportional to their
     * number; a value of a type {@link Rows#keyed} does not know (a {@code Map}, a class of one's own) is compared with
     * each value in turn, by its {@code equals}.
     */
    public ColumnAssert containsOnly(Object... given) {
        Object[] expected = expectedAs.apply(given.clone());
        // each distinct value (normalized) with the first value found of it, as a failure shows it (500.00, not 5E+2)
        java.util.Map<Object, Object> found = new java.util.LinkedHashMap<>();
        for (Object v : actual) {
            found.putIfAbsent(Values.normalize(v), v);
        }
        Set<Object> distinct = found.keySet();
        Set<Object> expectedKeyed = new HashSet<>();
        List<Object> expectedUnkeyed = new ArrayList<>();
        for (Object e : expected) {
            Object normalized = Values.normalize(e);
            if (Rows.keyed(normalized)) {
                expectedKeyed.add(normalized);
            } else {
                expectedUnkeyed.add(e);
            }
        }
        List<Object> distinctUnkeyed = distinct.stream().filter(v -> !Rows.keyed(v)).toList();
        List<Object> unexpected = new ArrayList<>();
        for (Object v : distinct) {
            boolean present = Rows.keyed(v) ? expectedKeyed.contains(v) || anySame(v, expectedUnkeyed) : anySame(v, Arrays.asList(expected));
            if (!present) {
                unexpected.add(found.get(v));
            }
        }
        List<Object> missing = new ArrayList<>();
        for (Object e : expected) {
            Object normalized = Values.normalize(e);
            boolean present = Rows.keyed(normalized) ? distinct.contains(normalized) || anySame(e, distinctUnkeyed)
                    : anySame(e, distinct);
            if (!present) {
                missing.add(e);
            }
        }
        if (!unexpected.isEmpty() || !missing.isEmpty()) {
            // a missing value shown as an unexpected one is (a jsonb 1 and an Integer 1): their types tell them apart
            List<String> alike = new ArrayList<>();
            for (Object e : missing.subList(0, Math.min(Rows.SHOWN, missing.size()))) {
                unexpected.stream().filter(u -> Row.show(u).equals(Row.show(e))).findFirst()
                        .ifPresent(u -> alike.add(Rows.whyDiffer(e, u)));
            }
            failWithMessage("Column %s should contain only %s%nbut has unexpected values %s%nand lacks %s%s", name,
                    first(Arrays.asList(expected)), first(unexpected), first(missing),
                    alike.isEmpty() ? "" : System.lineSeparator() + "Values shown alike: " + String.join("; ", alike));
        }
        return this;
    }

    private static boolean anySame(Object v, java.util.Collection<Object> values) {
        for (Object o : values) {
            if (Values.same(v, o)) {
                return true;
            }
        }
        return false;
    }

    /** Fails if any value is NULL. */
    public ColumnAssert hasNoNulls() {
        long nulls = actual.stream().filter(v -> v == null).count();
        if (nulls > 0) {
            failWithMessage("Column %s should have no NULLs but has %s", name, nulls);
        }
        return this;
    }

    /**
     * Fails if two rows hold the same value (two NULLs count as the same), saying how many values repeat, in how many
     * rows, and each (the first {@value Rows#SHOWN}) once, as found.
     */
    public ColumnAssert hasNoDuplicates() {
        java.util.Map<Object, Integer> rows = new java.util.HashMap<>();
        List<Object> dups = new ArrayList<>();   // each repeated value once, as found (500.00, not 5E+2)
        for (Object v : actual) {
            if (rows.merge(Values.normalize(v), 1, Integer::sum) == 2) {
                dups.add(v);
            }
        }
        if (!dups.isEmpty()) {
            long inRows = rows.values().stream().filter(n -> n > 1).mapToLong(n -> n).sum();
            failWithMessage("Column %s should have no duplicates but repeats %s (%s %s, in %s rows)", name, first(dups),
                    dups.size(), dups.size() == 1 ? "value" : "values", inRows);
        }
        return this;
    }

    /** The first {@value Rows#SHOWN} values as a failure shows them, then how many more there are. */
    private static String first(List<Object> values) {
        return values.size() <= Rows.SHOWN ? Row.show(values)
                : Row.show(values.subList(0, Rows.SHOWN)) + " and " + (values.size() - Rows.SHOWN) + " more";
    }

    /** The column's values, for AssertJ's general list assertions (a jsonb or citext value as its text). */
    public List<Object> values() {
        List<Object> out = new ArrayList<>(actual.size());
        for (Object v : actual) {
            out.add(v instanceof Values.Jsonb j ? j.text() : v instanceof Values.Citext c ? c.text() : v);
        }
        return out;
    }
}
