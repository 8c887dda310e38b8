package dev.mds.transform;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Small SQL helpers for tests. */
final class Db {
    private Db() {
    }

    static void sql(DataSource ds, String... statements) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    /** The first column of every row, as strings. */
    static List<String> strings(DataSource ds, String query) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    /** As {@link #strings}, for lambdas. */
    static List<String> unchecked(DataSource ds, String query) {
        try {
            return strings(ds, query);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The columns of a table or view, in order. */
    static List<String> columns(DataSource ds, String schema, String table) throws Exception {
        return strings(ds, "select column_name from information_schema.columns where table_schema = '" + schema
                + "' and table_name = '" + table + "' order by ordinal_position");
    }
}
