package dev.mds.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.sql.DataSource;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions on the rows a query returns, run again by each assertion; values compare by meaning, and
 * failures show the rows, as {@link TableAssert}'s do.
 *
 * <pre>{@code
 * assertThatQuery(ds, "select user_id, name from raw.users where joined >= ? order by user_id", LocalDate.of(2023, 1, 1))
 *     .hasRowCount(2)
 *     .containsExactly(row(1, "John Doe"), row(2, "Jane Doe"));
 * assertThatQuery(ds, "select * from raw.users where name is null").isEmpty();
 * }</pre>
 *
 * Parameters ({@code ?}) are bound with {@code setObject}. A failure names the query and its parameters; a query
 * PostgreSQL refuses fails with the query and PostgreSQL's message. {@link #containsExactly} compares in the order the
 * query returns, which only an {@code order by} makes definite.
 */
public final class QueryAssert extends AbstractAssert<QueryAssert, String> {
    private final DataSource dataSource;
    private final List<Object> params;

    QueryAssert(DataSource dataSource, String sql, Object... params) {
        super(sql, QueryAssert.class);
        this.dataSource = dataSource;
        this.params = Collections.unmodifiableList(Arrays.asList(params.clone()));
    }

    /** Asserts the query returns exactly {@code expected} rows. */
    public QueryAssert hasRowCount(long expected) {
        Rows.Read read = read();
        if (read.rows().size() != expected) {
            failWithMessage("Expected query %s to return %s rows but it returns %s", query(), expected, read.rows().size());
        }
        return this;
    }

    /** Asserts the query returns no row. */
    public QueryAssert isEmpty() {
        List<Row> rows = read().rows();
        if (!rows.isEmpty()) {
            failWithMessage("Expected query %s to return no row but it returns %s:%n%s", query(), rows.size(), Rows.render(rows));
        }
        return this;
    }

    /** Fails unless the query returns exactly these rows, in this order. */
    public QueryAssert containsExactly(Row... given) {
        Rows.Read read = read();
        Row[] expected = Rows.expected(dataSource, read.types(), given, query());
        List<Row> found = read.rows();
        int first = 0;
        while (first < expected.length && first < found.size() && Rows.sameRow(found.get(first), expected[first])) {
            first++;
        }
        if (first < expected.length || first < found.size()) {
            Rows.Mismatch mismatch = Rows.inAnyOrder(found, expected);
            failWithMessage("Query %s does not return exactly the expected %s rows in order (it returns %s).%n"
                            + "First difference at row %s: expected %s, found %s%n%s", query(), expected.length, found.size(),
                    first + 1, first < expected.length ? expected[first] : "no row", first < found.size() ? found.get(first) : "no row",
                    mismatch.none() ? "It returns the expected rows in another order:" + System.lineSeparator() + Rows.render(found)
                            : Rows.missingAndUnexpected(read.names(), mismatch));
        }
        return this;
    }

    /** Fails unless the query returns exactly these rows, in any order, duplicates counted. */
    public QueryAssert containsExactlyInAnyOrder(Row... given) {
        Rows.Read read = read();
        Row[] expected = Rows.expected(dataSource, read.types(), given, query());
        Rows.Mismatch mismatch = Rows.inAnyOrder(read.rows(), expected);
        if (!mismatch.none()) {
            failWithMessage("Query %s does not return exactly the expected %s rows (it returns %s).%n%s", query(),
                    expected.length, read.rows().size(), Rows.missingAndUnexpected(read.names(), mismatch));
        }
        return this;
    }

    /**
     * Fails unless the query returns each of these rows (and maybe others; a row given twice needs to be returned once,
     * as in AssertJ's {@code contains}). With no row given it fails unless the query returns none, as AssertJ's
     * {@code contains} does.
     */
    public QueryAssert contains(Row... given) {
        Rows.Read read = read();
        if (given.length == 0 && !read.rows().isEmpty()) {
            failWithMessage("Query %s returns rows while no row to look for was given; it returns %s:%n%s", query(),
                    read.rows().size(), Rows.render(read.rows()));
        }
        List<Row> missing = Rows.missing(read.rows(), Rows.expected(dataSource, read.types(), given, query()));
        if (!missing.isEmpty()) {
            failWithMessage("Query %s lacks %s expected rows:%n%s%nIt returns %s rows:%n%s%s", query(), missing.size(),
                    Rows.render(missing), read.rows().size(), Rows.render(read.rows()),
                    Rows.differences(read.names(), missing, read.rows()));
        }
        return this;
    }

    /** Assertions on the values of the query's column of this name (as the query names it: {@code as} gives a name). */
    public ColumnAssert column(String name) {
        Rows.Read read = read();
        int index = read.names().indexOf(name);
        if (index < 0 || read.names().lastIndexOf(name) != index) {
            failWithMessage("Query %s returns %s column %s; its columns: %s", query(), index < 0 ? "no" : "more than one",
                    name, read.names());
        }
        return ColumnAssert.of(name + " of query " + query(), dataSource, read, index);
    }

    /** The query as a failure names it: its text in quotes, then its parameters. */
    private String query() {
        return "\"" + actual + "\"" + (params.isEmpty() ? "" : " with parameters " + Row.show(params));
    }

    private Rows.Read read() {
        try (Connection c = dataSource.getConnection()) {
            return Rows.read(c, actual, params);
        } catch (SQLException e) {
            throw new AssertionError("cannot run query " + query() + ": " + e.getMessage(), e);
        }
    }
}
