package dev.mds.testing;

import javax.sql.DataSource;

/**
 * Static entry points for mds test assertions: {@code import static dev.mds.testing.MdsAssertions.*;}
 *
 * <pre>{@code
 * assertThatTable(ds, "raw.users").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "John Doe"));
 * assertThatQuery(ds, "select name from raw.users where user_id = ?", 1).containsExactly(row("John Doe"));
 * TableChanges changes = TableChanges.of(ds, "raw.users");
 * // ... the code under test ...
 * assertThat(changes.end()).hasModification(row(1), "name", "John Doe", "John Roe");
 * }</pre>
 */
public final class MdsAssertions {
    private MdsAssertions() {
    }

    /** Assertions on the rows of {@code table} ({@code schema.table} or a bare name), read through {@code dataSource}. */
    public static TableAssert assertThatTable(DataSource dataSource, String table) {
        return TableAssert.assertThatTable(dataSource, table);
    }

    /** Assertions on the rows of {@code table}, read through {@code dataSource}. */
    public static TableAssert assertThatTable(DataSource dataSource, dev.mds.core.TableName table) {
        return TableAssert.assertThatTable(dataSource, table);
    }

    /**
     * Assertions on the rows {@code sql} returns with these parameters (bound by {@code setObject}), run through
     * {@code dataSource} by each assertion.
     */
    public static QueryAssert assertThatQuery(DataSource dataSource, String sql, Object... params) {
        return new QueryAssert(dataSource, sql, params);
    }

    /**
     * Assertions on the changes between the snapshots of {@code changes}.
     *
     * @throws IllegalStateException when {@link TableChanges#end()} has not been called
     */
    public static ChangesAssert assertThatChanges(TableChanges changes) {
        return new ChangesAssert(changes);
    }

    /** As {@link #assertThatChanges}, for {@code import static} next to AssertJ's {@code assertThat}. */
    public static ChangesAssert assertThat(TableChanges changes) {
        return new ChangesAssert(changes);
    }

    /** An expected row: its values in column order. */
    public static Row row(Object... values) {
        return Row.row(values);
    }
}
