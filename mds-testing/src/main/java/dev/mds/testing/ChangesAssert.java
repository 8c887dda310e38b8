package dev.mds.testing;

import dev.mds.core.TableName;
import dev.mds.testing.TableChanges.Change;
import dev.mds.testing.TableChanges.Kind;
import dev.mds.testing.internal.Values;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions on the {@link TableChanges} between two snapshots; a failure lists the changes found.
 *
 * <pre>{@code
 * assertThat(changes.end()).hasNumberOfChanges(3).hasCreations(1).hasDeletions(1)
 *     .containsCreations(row(3, "new", 2.5))
 *     .hasModification(row(1), "status", "new", "paid")
 *     .hasModifiedColumns(row(1), "status");
 * }</pre>
 *
 * Rows and keys are given as {@link Row}s of all columns (of the key's columns, in key order) and compare by meaning, as
 * {@link TableAssert}'s do. {@link #onTable} narrows the assertions that follow to one of the tables.
 */
public final class ChangesAssert extends AbstractAssert<ChangesAssert, TableChanges> {
    private final List<Change> changes;
    private final List<TableName> tables;
    private final String scope;

    ChangesAssert(TableChanges changes) {
        this(changes, changes.changes(), changes.tables());
    }

    private ChangesAssert(TableChanges changes, List<Change> scoped, List<TableName> tables) {
        super(changes, ChangesAssert.class);
        this.changes = scoped;
        this.tables = tables;
        this.scope = tables.toString();
    }

    /** The assertions that follow look at the changes of this table only. */
    public ChangesAssert onTable(String table) {
        TableName name = TableName.parse(table);
        if (!actual.tables().contains(name)) {
            throw new IllegalArgumentException("changes of " + actual.tables() + " do not track " + name);
        }
        return new ChangesAssert(actual, changes.stream().filter(c -> c.table().equals(name)).toList(), List.of(name));
    }

    /** Fails unless there are exactly this many changes. */
    public ChangesAssert hasNumberOfChanges(int expected) {
        if (changes.size() != expected) {
            failWithMessage("Expected %s changes in %s but found %s.%n%s", expected, scope, changes.size(), found());
        }
        return this;
    }

    /** Fails unless nothing changed. */
    public ChangesAssert isUnchanged() {
        if (!changes.isEmpty()) {
            failWithMessage("Expected no change in %s but found %s.%n%s", scope, changes.size(), found());
        }
        return this;
    }

    /** Fails unless exactly this many rows were created. */
    public ChangesAssert hasCreations(int expected) {
        return hasCount(Kind.CREATION, expected);
    }

    /** Fails unless exactly this many rows were modified. */
    public ChangesAssert hasModifications(int expected) {
        return hasCount(Kind.MODIFICATION, expected);
    }

    /** Fails unless exactly this many rows were deleted. */
    public ChangesAssert hasDeletions(int expected) {
        return hasCount(Kind.DELETION, expected);
    }

    /**
     * Fails unless each of these rows (all columns) was created (and maybe others; a row given twice needs to be created
     * once, as in AssertJ's {@code contains}). With no row given it fails unless no row was created.
     */
    public ChangesAssert containsCreations(Row... rows) {
        return containsRows(Kind.CREATION, rows);
    }

    /**
     * Fails unless each of these rows (all columns, as they were) was deleted (and maybe others; a row given twice needs
     * to be deleted once). With no row given it fails unless no row was deleted.
     */
    public ChangesAssert containsDeletions(Row... rows) {
        return containsRows(Kind.DELETION, rows);
    }

    /**
     * Fails unless the row of this key was modified, its {@code column} from {@code before} to {@code after} (other
     * columns may change too); a column the modification kept fails, even when {@code before} and {@code after} are
     * both its value.
     */
    public ChangesAssert hasModification(Row key, String column, Object before, Object after) {
        Change change = modification(key);
        int i = change.columns().indexOf(column);
        if (i < 0) {
            failWithMessage("Table %s has no column %s; its columns: %s", change.table(), column, change.columns());
        }
        Row was = change.before().orElseThrow();
        Row is = change.after().orElseThrow();
        Object expectedBefore = expected(change, i, before);
        Object expectedAfter = expected(change, i, after);
        if (!Values.same(was.get(i), expectedBefore) || !Values.same(is.get(i), expectedAfter)
                || Values.same(was.get(i), is.get(i))) {
            // values that differ but are shown alike (a jsonb 1 and an Integer 1), or a local date-time against an
            // instant, told apart by their types as assertThatTable's failures tell them
            List<String> why = new ArrayList<>();
            String whyBefore = Rows.whyDiffer(expectedBefore, was.get(i));
            String whyAfter = Rows.whyDiffer(expectedAfter, is.get(i));
            if (!whyBefore.isEmpty()) {
                why.add("before: " + whyBefore);
            }
            if (!whyAfter.isEmpty()) {
                why.add("after: " + whyAfter);
            }
            failWithMessage("Expected %s key %s to change %s %s → %s, but it %s%s.%n%s", change.table(), key, column,
                    Row.show(expectedBefore), Row.show(expectedAfter),
                    Values.same(was.get(i), is.get(i)) ? "kept " + Row.show(was.get(i))
                            : "changed it " + Row.show(was.get(i)) + " → " + Row.show(is.get(i)),
                    why.isEmpty() ? "" : " (" + String.join("; ", why) + ")", found());
        }
        return this;
    }

    /** Fails unless the row of this key was modified in exactly these columns (in any order; a column named twice counts once). */
    public ChangesAssert hasModifiedColumns(Row key, String... columns) {
        Change change = modification(key);
        List<String> changed = change.changedColumns();
        // as sets: by sizes and containsAll, a column named twice ("s", "s") hid a changed one ([s, x])
        if (!new java.util.HashSet<>(changed).equals(new java.util.HashSet<>(List.of(columns)))) {
            failWithMessage("Expected %s key %s to change columns %s, but it changed %s.%n%s", change.table(), key,
                    List.of(columns), changed, found());
        }
        return this;
    }

    private ChangesAssert hasCount(Kind kind, int expected) {
        long count = changes.stream().filter(c -> c.kind() == kind).count();
        if (count != expected) {
            failWithMessage("Expected %s %s%s in %s but found %s.%n%s", expected, kind, expected == 1 ? "" : "s", scope,
                    count, found());
        }
        return this;
    }

    private ChangesAssert containsRows(Kind kind, Row[] given) {
        if (given.length == 0 && changes.stream().anyMatch(c -> c.kind() == kind)) {
            failWithMessage("Expected %ss in %s to include the given rows, but no row was given and there are %ss.%n%s",
                    kind, scope, kind, found());
        }
        // the given rows as each table with changes of this kind compares them, read once per table
        java.util.Map<TableName, Row[]> expected = new java.util.HashMap<>();
        for (Change c : changes) {
            if (c.kind() == kind) {
                expected.computeIfAbsent(c.table(), t -> Rows.expected(actual.dataSource(), typesOf(t), given, t));
            }
        }
        // a given row is missing when it is missing from the changes of every table, looked up as Rows.missing does
        boolean[] present = new boolean[given.length];
        java.util.Map<TableName, List<Row>> rowsOf = new java.util.HashMap<>();
        for (java.util.Map.Entry<TableName, Row[]> table : expected.entrySet()) {
            List<Row> rows = changes.stream().filter(c -> c.kind() == kind && c.table().equals(table.getKey()))
                    .map(c -> c.before().or(c::after).orElseThrow()).toList();
            rowsOf.put(table.getKey(), rows);
            java.util.Set<Row> missingHere = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            missingHere.addAll(Rows.missing(rows, table.getValue()));
            for (int e = 0; e < given.length; e++) {
                present[e] |= !missingHere.contains(table.getValue()[e]);
            }
        }
        List<Row> missing = new ArrayList<>();
        List<Integer> missingAt = new ArrayList<>();
        for (int e = 0; e < given.length; e++) {
            if (!present[e]) {
                missing.add(given[e]);
                missingAt.add(e);
            }
        }
        if (!missing.isEmpty()) {
            // with the changes of one table: each missing row beside its nearest one, as assertThatTable shows it
            String nearest = "";
            if (expected.size() == 1) {
                TableName t = expected.keySet().iterator().next();
                List<String> columns = changes.stream().filter(c -> c.table().equals(t)).findFirst().orElseThrow().columns();
                List<Integer> key = actual.keyColumns(t).stream().map(columns::indexOf).toList();
                nearest = Rows.differences(columns, key, missingAt.stream().map(e -> expected.get(t)[e]).toList(), rowsOf.get(t));
            }
            failWithMessage("Expected %ss in %s to include%n%s%nbut no %s matches.%s%n%s", kind, scope, Rows.render(missing),
                    kind, nearest, found());
        }
        return this;
    }

    /**
     * The one modification of the row of this key in scope (of a key of as many columns), the key read as each table's
     * key columns are, as {@link TableAssert} reads an expected row (an inet key given as {@code 10.0.0.1/32} is the
     * row's {@code 10.0.0.1}, a citext one matches in any case); fails when tables in scope modified rows of this key in
     * more than one table, naming them, as which one the assertion means is unclear.
     */
    private Change modification(Row key) {
        java.util.Map<TableName, Row> keys = new java.util.HashMap<>();
        for (Change c : changes) {
            if (c.kind() == Kind.MODIFICATION) {
                keys.computeIfAbsent(c.table(), t -> Rows.expected(actual.dataSource(), actual.keyTypes(t), new Row[] {key}, t)[0]);
            }
        }
        List<Change> found = changes.stream()
                .filter(c -> c.kind() == Kind.MODIFICATION && Rows.sameRow(c.key(), keys.get(c.table()))).toList();
        if (found.isEmpty()) {
            failWithMessage("Expected a modification of the row of key %s in %s, but there is none%s.%n%s", key, scope,
                    whyNone(key), found());
        }
        if (found.size() > 1) {
            failWithMessage("Rows of key %s were modified in %s tables, %s: name one with onTable(...) first.%n%s", key,
                    found.size(), found.stream().map(c -> c.table().toString()).toList(), found());
        }
        return found.get(0);
    }

    /**
     * Why no row of {@code key} can be modified in the tables in scope, when that is so for each: a table without a
     * primary key has no modifications, and a key of another number of values than the table's primary key has columns
     * matches no row of it. Empty otherwise (some table might have had such a modification).
     */
    private String whyNone(Row key) {
        List<String> why = new ArrayList<>();
        for (TableName t : tables) {
            List<String> columns = actual.keyColumns(t);
            if (columns.isEmpty()) {
                why.add(t + " has no primary key, so a changed row there is a deletion and a creation");
            } else if (columns.size() != key.size()) {
                why.add("the primary key of " + t + " is (" + String.join(", ", columns) + "), " + columns.size()
                        + (columns.size() == 1 ? " column" : " columns"));
            } else {
                return "";
            }
        }
        return why.isEmpty() ? "" : ": " + String.join("; ", why);
    }

    /** A value expected in column {@code i} of the change's table: JSON text for a jsonb column read as jsonb. */
    private Object expected(Change change, int i, Object value) {
        List<String> types = typesOf(change.table());
        return Rows.expected(actual.dataSource(), List.of(types.get(i)), new Row[] {Row.row(value)}, change.table())[0].get(0);
    }

    private List<String> typesOf(TableName table) {
        return actual.types(table);
    }

    /** The changes in scope, one a line (the first {@value Rows#SHOWN}, then how many more), as a failure ends. */
    private String found() {
        StringBuilder s = new StringBuilder("Changes found (").append(changes.size()).append("):");
        for (Change c : changes.subList(0, Math.min(Rows.SHOWN, changes.size()))) {
            s.append(System.lineSeparator()).append("  ").append(c);
        }
        if (changes.size() > Rows.SHOWN) {
            s.append(System.lineSeparator()).append("  ... ").append(changes.size() - Rows.SHOWN).append(" more");
        }
        return changes.isEmpty() ? "No change found." : s.toString();
    }
}
