package dev.mds.testing;

import javax.sql.DataSource;

/**
 * Static entry points for mds test assertions: {@code import static dev.mds.testing.MdsAssertions.*;}
 *
 * <pre>{@code
 * assertThatTable(ds, "raw.users").columns("user_id", "name").containsExactlyInAnyOrder(row(1, "John Doe"));
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

    /** An expected row: its values in column order. */
    public static Row row(Object... values) {
        return Row.row(values);
    }
}
