package dev.mds.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Plain SQL for a test's set-up and look-ups, on a connection of its own: statements run one by one, each committed
 * on its own; a failure is an {@link AssertionError} carrying the server's message.
 *
 * <pre>{@code
 * sql(ds, "create schema raw", "create table raw.t (id int primary key, v text)");
 * assertThat(strings(ds, "select v from raw.t order by id")).containsExactly("a", "b");
 * }</pre>
 */
public final class TestSql {
    private TestSql() {
    }

    /** Runs the statements in order, each in its own transaction (auto-commit). */
    public static void sql(DataSource ds, String... statements) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** The first column of every row of {@code query}, as text (NULL as null). */
    public static List<String> strings(DataSource ds, String query) {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new AssertionError(query + ": " + e.getMessage(), e);
        }
        return out;
    }
}
