package dev.mds.transform;

import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;

/** The transform tests' catalog look-up (plain SQL is {@link TestSql}). */
final class Db {
    private Db() {
    }

    /** The columns of a table or view, in order. */
    static List<String> columns(DataSource ds, String schema, String table) {
        return TestSql.strings(ds, "select column_name from information_schema.columns where table_schema = '" + schema
                + "' and table_name = '" + table + "' order by ordinal_position");
    }
}
