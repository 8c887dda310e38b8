package dev.mds.testing;

import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.TableName;
import dev.mds.testing.internal.Values;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import javax.sql.DataSource;

/**
 * The rows that code under test created, modified and deleted in some tables, found by comparing two snapshots
 * (AssertJ-DB's {@code Changes}): {@link #of} takes the first, {@link #end()} the second.
 *
 * <pre>{@code
 * TableChanges changes = TableChanges.of(ds, "app.orders", "app.order_lines");
 * orders.pay(1);                                         // the code under test
 * assertThat(changes.end()).hasNumberOfChanges(2)
 *     .hasModification(row(1), "status", "new", "paid")
 *     .onTable("app.order_lines").containsCreations(row(1, 2, "receipt"));
 * }</pre>
 *
 * Rows of the two snapshots are matched by the table's primary key, read from the catalog: a key only in the second is
 * a creation, one only in the first a deletion, one in both whose row differs a modification. A table without a
 * primary key is compared by whole rows (duplicates counted), so a changed row there is a deletion of the old row plus a
 * creation of the new one, never a modification. Values compare by meaning, as {@link TableAssert} compares them
 * ({@code 1.50} and {@code 1.5} are equal, so a numeric rewritten with another scale is no change). Each snapshot reads
 * all of its tables in one repeatable-read transaction, so that it is consistent across them; it reads whole tables,
 * which suits test data, not big tables.
 */
public final class TableChanges {
    /** What happened to a row. */
    public enum Kind {
        /** The row is in the second snapshot only. */
        CREATION,
        /** The row's key is in both snapshots, with other values. */
        MODIFICATION,
        /** The row is in the first snapshot only. */
        DELETION;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One changed row: its table, the table's columns, the values of its primary key (an empty row when the table has
     * none), and the row before and after (empty for a creation and a deletion).
     */
    public record Change(TableName table, Kind kind, List<String> columns, Row key, Optional<Row> before, Optional<Row> after) {
        /** Copies the columns. */
        public Change {
            columns = List.copyOf(columns);
        }

        /** The columns whose values differ between before and after; all columns for a creation or deletion. */
        public List<String> changedColumns() {
            if (kind != Kind.MODIFICATION) {
                return columns;
            }
            List<String> changed = new ArrayList<>();
            for (int i = 0; i < columns.size(); i++) {
                if (!Values.same(before.orElseThrow().get(i), after.orElseThrow().get(i))) {
                    changed.add(columns.get(i));
                }
            }
            return List.copyOf(changed);
        }

        /** As a failure lists it: {@code modification app.orders key (1): status 'new' → 'paid'}. */
        @Override
        public String toString() {
            String where = kind + " " + table + (key.size() == 0 ? " (no primary key)" : " key " + key) + ": ";
            if (kind != Kind.MODIFICATION) {
                return where + before.or(() -> after).orElseThrow();
            }
            StringJoiner s = new StringJoiner(", ");
            for (String column : changedColumns()) {
                int i = columns.indexOf(column);
                s.add(column + " " + Row.show(before.orElseThrow().get(i)) + " → " + Row.show(after.orElseThrow().get(i)));
            }
            return where + s;
        }
    }

    /** One table's rows at one time, in key order, with its columns, their types and its key's column positions. */
    private record Snapshot(TableName table, Rows.Read read, List<Integer> key) {
    }

    private final DataSource dataSource;
    private final List<TableName> tables;
    private final List<Snapshot> start;
    private volatile List<Change> changes;

    private TableChanges(DataSource dataSource, List<TableName> tables) {
        this.dataSource = dataSource;
        this.tables = tables;
        this.start = snapshot();
    }

    /**
     * Takes the first snapshot of these tables ({@code schema.name}, read as {@link TableName#parse(String)} does).
     *
     * @throws MdsException when a table cannot be read, naming it and PostgreSQL's message
     */
    public static TableChanges of(DataSource dataSource, String... tables) {
        if (tables.length == 0) {
            throw new IllegalArgumentException("TableChanges.of: name at least one table");
        }
        return new TableChanges(dataSource, java.util.Arrays.stream(tables).map(TableName::parse).toList());
    }

    /**
     * Takes the second snapshot and compares it with the first; returns this, for {@code assertThat(changes.end())}.
     *
     * @throws IllegalStateException when called twice
     * @throws MdsException when a table cannot be read or its columns changed between the snapshots
     */
    public synchronized TableChanges end() {
        if (changes != null) {
            throw new IllegalStateException("changes of " + tables + " already ended");
        }
        List<Snapshot> end = snapshot();
        List<Change> out = new ArrayList<>();
        for (int t = 0; t < tables.size(); t++) {
            out.addAll(compare(start.get(t), end.get(t)));
        }
        changes = List.copyOf(out);
        return this;
    }

    /** The tables compared. */
    public List<TableName> tables() {
        return tables;
    }

    /**
     * The changes, table by table in the order given, then creations, modifications and deletions, each in key order.
     *
     * @throws IllegalStateException before {@link #end()}
     */
    public List<Change> changes() {
        List<Change> c = changes;
        if (c == null) {
            throw new IllegalStateException("changes of " + tables + " not ended: call end() after the code under test");
        }
        return c;
    }

    DataSource dataSource() {
        return dataSource;
    }

    /** The type names of the columns of one of the tables. */
    List<String> types(TableName table) {
        return start.get(tables.indexOf(table)).read().types();
    }

    /** The primary key's columns of one of the tables, in key order (empty for none). */
    List<String> keyColumns(TableName table) {
        Snapshot s = start.get(tables.indexOf(table));
        return s.key().stream().map(s.read().names()::get).toList();
    }

    /** The type names of the primary key's columns of one of the tables, in key order (empty for none). */
    List<String> keyTypes(TableName table) {
        Snapshot s = start.get(tables.indexOf(table));
        return s.key().stream().map(s.read().types()::get).toList();
    }

    @Override
    public String toString() {
        return "changes of " + tables;
    }

    private List<Snapshot> snapshot() {
        TableName current = tables.get(0);
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            int isolation = c.getTransactionIsolation();
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                List<Snapshot> out = new ArrayList<>();
                for (TableName table : tables) {
                    current = table;
                    List<String> key = PostgresDialect.INSTANCE.primaryKey(c, table);
                    Rows.Read read = Rows.read(c, "select * from " + table.quoted()
                            + (key.isEmpty() ? "" : " order by " + Identifiers.quoteAll(key)), List.of());
                    out.add(new Snapshot(table, read, key.stream().map(read.names()::indexOf).toList()));
                }
                return out;
            } finally {
                c.rollback();
                c.setTransactionIsolation(isolation);
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new MdsException("cannot read table " + current + " for its changes: " + e.getMessage(), e);
        }
    }

    private static List<Change> compare(Snapshot before, Snapshot after) {
        TableName table = before.table();
        List<String> columns = before.read().names();
        if (!columns.equals(after.read().names()) || !before.key().equals(after.key())) {
            throw new MdsException("table " + table + " changed its columns or primary key between the snapshots: "
                    + columns + " key " + before.key() + ", then " + after.read().names() + " key " + after.key());
        }
        List<Change> created = new ArrayList<>();
        List<Change> modified = new ArrayList<>();
        List<Change> deleted = new ArrayList<>();
        Map<List<Object>, Deque<Row>> old = new LinkedHashMap<>();
        for (Row r : before.read().rows()) {
            old.computeIfAbsent(identity(r, before.key()), k -> new ArrayDeque<>()).add(r);
        }
        for (Row r : after.read().rows()) {
            Deque<Row> same = old.get(identity(r, before.key()));
            Row was = same == null ? null : same.poll();
            Row key = key(r, before.key());
            if (was == null) {
                created.add(new Change(table, Kind.CREATION, columns, key, Optional.empty(), Optional.of(r)));
            } else if (!Rows.sameRow(was, r)) {
                modified.add(new Change(table, Kind.MODIFICATION, columns, key, Optional.of(was), Optional.of(r)));
            }
        }
        for (Deque<Row> rows : old.values()) {
            for (Row r : rows) {
                deleted.add(new Change(table, Kind.DELETION, columns, key(r, before.key()), Optional.of(r), Optional.empty()));
            }
        }
        List<Change> out = new ArrayList<>(created);
        out.addAll(modified);
        out.addAll(deleted);
        return out;
    }

    /** What matches a row across the snapshots: its key's values, or all of them without a key, as compared by meaning. */
    private static List<Object> identity(Row r, List<Integer> key) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < r.size(); i++) {
            if (key.isEmpty() || key.contains(i)) {
                out.add(Values.normalize(r.get(i)));
            }
        }
        return out;
    }

    private static Row key(Row r, List<Integer> key) {
        return Row.row(key.stream().map(r::get).toArray());
    }
}
