package dev.mds.testing;

import dev.mds.core.Identifiers;
import dev.mds.core.PostgresDialect;
import dev.mds.core.TableName;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions on the contents of a database table, read when an assertion runs.
 *
 * <pre>{@code
 * assertThatTable(ds, "raw.users").hasRowCount(3);
 * assertThatTable(ds, "raw.users").columns("user_id", "name")
 *     .containsExactlyInAnyOrder(row(1, "John Doe"), row(2, "Jane Doe"), row(3, "Jonathan Foo"));
 * assertThatTable(ds, "raw.subscriptions").column("subscription").containsOnly("starter", "medium", "enterprise");
 * }</pre>
 *
 * A failed row comparison shows the rows that are missing and the rows that are unexpected (or, for
 * {@link #contains}, the table's first rows), and for each missing row the nearest found row with the columns that
 * differ and the Java types of their values. An expected value for a {@code jsonb} column may be its JSON text, compared
 * by meaning as PostgreSQL compares jsonb (key order, white space and a number's trailing zeros do not matter).
 */
public final class TableAssert extends AbstractAssert<TableAssert, TableName> {
    private final DataSource dataSource;
    private final List<String> columns;

    TableAssert(DataSource dataSource, TableName table, List<String> columns) {
        super(table, TableAssert.class);
        this.dataSource = dataSource;
        this.columns = List.copyOf(columns);
    }

    /** Assertions on {@code table} ({@code schema.name}, read as {@link TableName#parse(String)} does). */
    public static TableAssert assertThatTable(DataSource dataSource, String table) {
        return new TableAssert(dataSource, TableName.parse(table), List.of());
    }

    /** Assertions on the rows of {@code table}, read through {@code dataSource}. */
    public static TableAssert assertThatTable(DataSource dataSource, TableName table) {
        return new TableAssert(dataSource, table, List.of());
    }

    /** Restricts row comparisons to these columns, in this order (all columns in table order otherwise). */
    public TableAssert columns(String... names) {
        return new TableAssert(dataSource, actual, Arrays.asList(names));
    }

    /**
     * Fails unless the table exists: a table (partitioned or not), a view, a materialized view or a foreign table of
     * that name; an index, a sequence or a composite type of that name is no table.
     */
    public TableAssert exists() {
        String kind = relationKind();
        if (kind == null || !TABLE_KINDS.containsKey(kind)) {
            failWithMessage("Expected table %s to exist, but %s", actual,
                    kind == null ? "it does not" : "it is " + OTHER_KINDS.getOrDefault(kind, "a relation of kind " + kind));
        }
        return this;
    }

    /** Fails if the table exists (as {@link #exists()} takes it). */
    public TableAssert doesNotExist() {
        String kind = relationKind();
        if (kind != null && TABLE_KINDS.containsKey(kind)) {
            failWithMessage("Expected table %s not to exist, but it does (%s)", actual, TABLE_KINDS.get(kind));
        }
        return this;
    }

    /** {@code pg_class.relkind}s of what {@link #exists()} takes for a table. */
    private static final Map<String, String> TABLE_KINDS = Map.of("r", "a table", "p", "a partitioned table", "v", "a view",
            "m", "a materialized view", "f", "a foreign table");
    private static final Map<String, String> OTHER_KINDS = Map.of("i", "an index", "I", "a partitioned index",
            "S", "a sequence", "c", "a composite type", "t", "a TOAST table");

    /** Asserts the table holds exactly {@code expected} rows. */
    public TableAssert hasRowCount(long expected) {
        long count = count();
        if (count != expected) {
            failWithMessage("Expected table %s to have %s rows but it has %s", actual, expected, count);
        }
        return this;
    }

    /** Asserts the table holds no row. */
    public TableAssert isEmpty() {
        long count = count();
        if (count != 0) {
            // the first rows, then how many more, as Rows.render shows a list it has whole
            failWithMessage("Expected table %s to be empty but it has %s rows:%n%s%s", actual, count,
                    Rows.render(rows(Rows.SHOWN)), count > Rows.SHOWN
                            ? System.lineSeparator() + "  ... " + (count - Rows.SHOWN) + " more" : "");
        }
        return this;
    }

    /** Fails unless the table's rows (in the chosen columns) are exactly these, in any order, duplicates counted. */
    public TableAssert containsExactlyInAnyOrder(Row... given) {
        Rows.Read read = read(Integer.MAX_VALUE);
        Row[] expected = Rows.expected(dataSource, read.types(), given, actual);
        Rows.Mismatch mismatch = Rows.inAnyOrder(read.rows(), expected);
        if (!mismatch.none()) {
            failWithMessage("Table %s%s does not hold exactly the expected %s rows (it holds %s).%n%s", actual,
                    columns.isEmpty() ? "" : " " + columns, expected.length, read.rows().size(),
                    Rows.missingAndUnexpected(read.names(), keyColumns(read.names()), mismatch));
        }
        return this;
    }

    /**
     * Fails unless each of these rows is in the table (a row given twice needs to be there once, as in AssertJ's
     * {@code contains}). With no row given it fails unless the table is empty, as AssertJ's {@code contains} does: an
     * empty expectation (a computed list that came out empty) would pass for any table.
     */
    public TableAssert contains(Row... given) {
        Rows.Read read = read(Integer.MAX_VALUE);
        List<Row> actualRows = read.rows();
        if (given.length == 0 && !actualRows.isEmpty()) {
            failWithMessage("Table %s%s is not empty while no row to look for was given; it holds %s rows:%n%s", actual,
                    columns.isEmpty() ? "" : " " + columns, actualRows.size(),
                    Rows.render(actualRows.subList(0, Math.min(Rows.SHOWN, actualRows.size()))));
        }
        List<Row> missing = Rows.missing(actualRows, Rows.expected(dataSource, read.types(), given, actual));
        if (!missing.isEmpty()) {
            List<Row> shown = actualRows.subList(0, Math.min(Rows.SHOWN, actualRows.size()));
            failWithMessage("Table %s%s lacks %s expected rows:%n%s%nIt holds %s rows%s:%n%s%s", actual,
                    columns.isEmpty() ? "" : " " + columns, missing.size(), Rows.render(missing), actualRows.size(),
                    shown.size() < actualRows.size() ? ", the first " + Rows.SHOWN : "", Rows.render(shown),
                    Rows.differences(read.names(), keyColumns(read.names()), missing, actualRows));
        }
        return this;
    }

    /** Assertions on the values of one column. */
    public ColumnAssert column(String name) {
        return ColumnAssert.of(actual + "." + name, dataSource, columns(name).read(Integer.MAX_VALUE), 0);
    }

    /**
     * The positions in {@code names} (the columns read) of the table's primary key columns, for a failure to show the
     * found row of a missing row's key; empty when the table has no primary key or a key column is not read.
     */
    private List<Integer> keyColumns(List<String> names) {
        List<String> key = connected("primary key of " + actual, c -> PostgresDialect.INSTANCE.primaryKey(c, actual));
        List<Integer> at = new java.util.ArrayList<>();
        for (String column : key) {
            if (!names.contains(column)) {
                return List.of();
            }
            at.add(names.indexOf(column));
        }
        return at;
    }

    /** The {@code pg_class.relkind} of the relation of this name, null when there is none. */
    private String relationKind() {
        return query("select (select c.relkind from pg_catalog.pg_class c where c.oid = "
                + PostgresDialect.INSTANCE.anyRelationOid(actual) + ")::text", rs -> {
            rs.next();
            return rs.getString(1);
        });
    }

    private long count() {
        return query("select count(*) from " + actual.quoted(), rs -> {
            rs.next();
            return rs.getLong(1);
        });
    }

    List<Row> rows(int limit) {
        return read(limit).rows();
    }

    private Rows.Read read(int limit) {
        String select = columns.isEmpty() ? "*" : Identifiers.quoteAll(columns);
        String sql = "select " + select + " from " + actual.quoted() + (limit == Integer.MAX_VALUE ? "" : " limit " + limit);
        return connected(sql, c -> Rows.read(c, sql, List.of()));
    }

    private interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T query(String sql, Reader<T> reader) {
        return connected(sql, c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                return reader.read(rs);
            }
        });
    }

    private <T> T connected(String sql, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new AssertionError("cannot read table " + actual + ": " + e.getMessage() + " (in: " + sql + ")", e);
        }
    }
}
