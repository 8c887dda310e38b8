package dev.mds.testing;

import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.TableName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * Creates a table and fills it in one call, for test set-up.
 *
 * <pre>{@code
 * TableFixture.on(ds, "product.users").columns("user_id int primary key", "name text")
 *     .rows(row(1, "John Doe"), row(2, "Jane Doe"));
 * TableFixture.on(ds, "raw.transactions").csv(Path.of("customer_transactions.csv"));   // text columns from the header
 * TableFixture.on(ds, "raw.users").columns("id int", "name text").csvResource("/users.csv");
 * }</pre>
 *
 * Column definitions are SQL written by the test ({@code name type constraints}), used as given. The table is
 * dropped and created anew; its schema is created when missing.
 */
public final class TableFixture {
    private final DataSource dataSource;
    private final TableName table;
    private final List<String> columns;

    private TableFixture(DataSource dataSource, TableName table, List<String> columns) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.table = table;
        this.columns = List.copyOf(columns);
    }

    /** A fixture for {@code table} (read as {@link TableName#parse(String)}). */
    public static TableFixture on(DataSource dataSource, String table) {
        return new TableFixture(dataSource, TableName.parse(table), List.of());
    }

    /** The column definitions, SQL as in {@code CREATE TABLE}: {@code "id bigint primary key"}. */
    public TableFixture columns(String... definitions) {
        return new TableFixture(dataSource, table, Arrays.asList(definitions));
    }

    /**
     * Creates the table and inserts these rows (values by column position, each row as many as the first:
     * {@code null} for NULL); returns the table.
     *
     * @throws IllegalArgumentException when a row has more or fewer values than the first, naming both
     */
    public TableName rows(Row... rows) {
        requireColumns();
        for (int i = 1; i < rows.length; i++) {
            if (rows[i].size() != rows[0].size()) {
                // a batch keeps the values of the row before for the parameters a shorter row does not set
                throw new IllegalArgumentException("fixture " + table + ": row " + (i + 1) + " " + rows[i] + " has "
                        + rows[i].size() + " values, row 1 " + rows[0] + " has " + rows[0].size()
                        + "; give every row the same number of values (null for NULL)");
            }
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            create(c, columns);
            if (rows.length > 0) {
                String marks = String.join(", ", java.util.Collections.nCopies(rows[0].size(), "?"));
                try (PreparedStatement ps = c.prepareStatement("insert into " + table.quoted() + " values (" + marks + ")")) {
                    for (Row r : rows) {
                        for (int i = 0; i < r.size(); i++) {
                            ps.setObject(i + 1, r.get(i));
                        }
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            c.commit();
            return table;
        } catch (SQLException e) {
            throw new MdsException("fixture " + table + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates the table and loads a CSV file with a header line into it with {@code COPY}. Without
     * {@link #columns(String...)}, the columns are the header's names, all of type text.
     */
    public TableName csv(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return csv(in, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("fixture " + table + ": cannot read " + file, e);
        }
    }

    /** As {@link #csv(Path)}, from a class-path resource. */
    public TableName csvResource(String resource) {
        InputStream in = TableFixture.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalArgumentException("no class-path resource " + resource);
        }
        try (in) {
            return csv(in, resource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TableName csv(InputStream in, String name) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        reader.mark(1 << 16);
        String header = reader.readLine();
        if (header == null) {
            throw new IllegalArgumentException("fixture " + table + ": " + name + " is empty, expected a header line");
        }
        reader.reset();
        List<String> defs = columns;
        if (defs.isEmpty()) {
            defs = new ArrayList<>();
            for (String h : header.replace("\uFEFF", "").split(",", -1)) {
                defs.add(Identifiers.quote(h.strip().replaceAll("^\"|\"$", "")) + " text");
            }
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            create(c, defs);
            copy(c, reader);
            c.commit();
            return table;
        } catch (SQLException e) {
            throw new MdsException("fixture " + table + " from " + name + ": " + e.getMessage(), e);
        }
    }

    private void copy(Connection c, Reader reader) throws SQLException, IOException {
        c.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("copy " + table.quoted() + " from stdin (format csv, header true)", reader);
    }

    private void create(Connection c, List<String> defs) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("create schema if not exists " + Identifiers.quote(table.schema()));
            st.execute("drop table if exists " + table.quoted());
            st.execute("create table " + table.quoted() + " (" + String.join(", ", defs) + ")");
        }
    }

    private void requireColumns() {
        if (columns.isEmpty()) {
            throw new IllegalStateException("fixture " + table + ": call columns(...) before rows(...)");
        }
    }
}
