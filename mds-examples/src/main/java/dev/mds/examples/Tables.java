package dev.mds.examples;

import dev.mds.core.TableName;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Prints a table or a query as an aligned text table, and step headings, for the examples' output. A timestamptz is
 * shown as its instant in UTC ({@code 2022-11-29T00:35:07.441Z}), the same on every machine.
 */
public final class Tables {
    private Tables() {
    }

    /** Prints a blank line and {@code == title}: the heading of one step of an example. */
    public static void step(String title, PrintStream out) {
        out.println();
        out.println("== " + title);
    }

    /** Prints every row of {@code table}, ordered by its first column. */
    public static void print(DataSource ds, String table, PrintStream out) {
        TableName t = TableName.parse(table);
        query(ds, t.toString(), "select * from " + t.quoted() + " order by 1", out);
    }

    /** Prints the rows of a query under a title. */
    public static void query(DataSource ds, String title, String sql, PrintStream out) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            int n = md.getColumnCount();
            List<String[]> rows = new ArrayList<>();
            String[] header = new String[n];
            int[] width = new int[n];
            for (int i = 0; i < n; i++) {
                header[i] = md.getColumnLabel(i + 1);
                width[i] = header[i].length();
            }
            while (rs.next()) {
                String[] row = new String[n];
                for (int i = 0; i < n; i++) {
                    // a timestamptz as its instant in UTC (the JDBC default, a Timestamp, shows this JVM's local time
                    // with no offset, so another machine would print another time for the same value)
                    Object v = "timestamptz".equals(md.getColumnTypeName(i + 1))
                            ? rs.getObject(i + 1, OffsetDateTime.class) : rs.getObject(i + 1);
                    row[i] = v == null ? "NULL" : v instanceof byte[] b ? hex(b) : v.toString();
                    width[i] = Math.max(width[i], row[i].length());
                }
                rows.add(row);
            }
            out.println();
            out.println(title + " (" + rows.size() + " rows)");
            line(out, header, width);
            StringBuilder sep = new StringBuilder();
            for (int w : width) {
                sep.append("-".repeat(w)).append("-+-");
            }
            out.println(sep.substring(0, sep.length() - 3));
            for (String[] row : rows) {
                line(out, row, width);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot print " + title + ": " + e.getMessage(), e);
        }
    }

    private static void line(PrintStream out, String[] cells, int[] width) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            s.append(i == 0 ? "" : " | ").append(String.format("%-" + width[i] + "s", cells[i]));
        }
        out.println(s.toString().stripTrailing());
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder("\\x");
        for (byte x : b) {
            s.append(String.format("%02x", x));
        }
        return s.toString();
    }
}
