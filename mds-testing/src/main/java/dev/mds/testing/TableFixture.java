package dev.mds.testing;

import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
 * dropped and created anew; its schema is created when missing. {@link #rows(Row...)} gives values to the columns that
 * take one, in order: a generated column ({@code generated always as (...) stored}) is skipped, an identity column
 * takes the row's value.
 */
public final class TableFixture {
    /** The longest header {@link #csv(Path)} reads (it reads the header, then hands the whole text to COPY). */
    private static final int MAX_HEADER_CHARS = 1 << 20;

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
     * {@code null} for NULL); returns the table. A string gives any column its value as a SQL literal does
     * ({@code "2024-01-01"} a date, JSON text a jsonb), an {@code Instant} a timestamptz its instant; other values are
     * bound as pgjdbc binds them.
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
                String insert = insert(c, rows[0]);
                try (PreparedStatement ps = c.prepareStatement(insert)) {
                    for (Row r : rows) {
                        for (int i = 0; i < r.size(); i++) {
                            bind(ps, i + 1, r.get(i));
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
     * Binds a row's value: a string of unspecified type, which the server reads as a literal of the column's type
     * ({@code '2024-01-01'} for a date, JSON text for jsonb), not as varchar, which only text columns take; an
     * {@code Instant} as its {@code OffsetDateTime} in UTC; a {@code Duration} or {@code Period} as its ISO 8601 text
     * ({@code PT1H30M}, {@code P1M}), which an {@code interval} column reads.
     */
    private static void bind(PreparedStatement ps, int index, Object value) throws SQLException {
        if (value instanceof String s) {
            ps.setObject(index, s, java.sql.Types.OTHER);
        } else if (value instanceof java.time.Instant instant) {
            ps.setObject(index, instant.atOffset(java.time.ZoneOffset.UTC));   // pgjdbc takes no Instant
        } else if (value instanceof java.time.Duration || value instanceof java.time.Period) {
            ps.setObject(index, value.toString(), java.sql.Types.OTHER);   // pgjdbc takes neither; PostgreSQL reads ISO 8601
        } else {
            ps.setObject(index, value);
        }
    }

    /**
     * The insert of one row into the columns that take a value, in table order: a generated column
     * ({@code generated always as (...) stored}) takes none and is skipped, an identity column
     * ({@code generated always as identity}) takes the row's value ({@code overriding system value}).
     */
    private String insert(Connection c, Row first) throws SQLException {
        List<String> writable = new ArrayList<>();
        List<String> generated = new ArrayList<>();
        boolean identityAlways = false;
        String sql = "select a.attname, a.attgenerated <> '', a.attidentity = 'a' from pg_catalog.pg_attribute a"
                + " where a.attrelid = " + PostgresDialect.INSTANCE.relationOid(table)
                + " and a.attnum > 0 and not a.attisdropped order by a.attnum";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                if (rs.getBoolean(2)) {
                    generated.add(rs.getString(1));
                } else {
                    writable.add(rs.getString(1));
                    identityAlways |= rs.getBoolean(3) && writable.size() <= first.size();
                }
            }
        }
        if (first.size() > writable.size()) {
            throw new IllegalArgumentException("fixture " + table + ": row 1 " + first + " has " + first.size()
                    + " values, but the table has " + writable.size() + " columns that take one: " + writable
                    + (generated.isEmpty() ? "" : " (generated, so given no value: " + generated + ")"));
        }
        String marks = String.join(", ", Collections.nCopies(first.size(), "?"));
        return "insert into " + table.quoted() + " (" + Identifiers.quoteAll(writable.subList(0, first.size())) + ")"
                + (identityAlways ? " overriding system value" : "") + " values (" + marks + ")";
    }

    /**
     * Creates the table and loads a CSV file with a header line into it with {@code COPY}. Without
     * {@link #columns(String...)}, the columns are the header's names, all of type text. Header and rows are read as
     * CSV: a field in double quotes may hold commas, line breaks and doubled quotes ({@code "say ""hi"""}); spaces
     * around a header name, outside its quotes, are dropped.
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
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        reader.mark(MAX_HEADER_CHARS + 16);   // the header, a byte order mark and a look-ahead
        List<String> header = header(reader, name);
        reader.reset();
        List<String> defs = columns;
        if (defs.isEmpty()) {
            defs = new ArrayList<>();
            for (int i = 0; i < header.size(); i++) {
                if (header.get(i).isEmpty()) {
                    throw new IllegalArgumentException("fixture " + table + ": " + name + ": header column " + (i + 1)
                            + " of " + header.size() + " has no name; name it or give columns(...)");
                }
                defs.add(Identifiers.quote(header.get(i)) + " text");
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

    /**
     * The names of the CSV header record, split as PostgreSQL's {@code COPY ... (format csv)} splits a record: at
     * commas outside double quotes, where quotes may hold commas and line breaks and {@code ""} is a quote; a byte
     * order mark before it is dropped, and so are spaces around a name (outside its quotes), as before.
     */
    private List<String> header(Reader reader, String name) throws IOException {
        List<String> names = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean inQuotes = false;
        boolean hadQuotes = false;
        int closed = 0;   // the field's length at its last closing quote
        int ch = reader.read();
        if (ch == '\uFEFF') {
            ch = reader.read();
        }
        if (ch < 0) {
            throw new IllegalArgumentException("fixture " + table + ": " + name + " is empty, expected a header line");
        }
        for (int read = 1; ; read++) {
            if (read > MAX_HEADER_CHARS) {
                throw new IllegalArgumentException("fixture " + table + ": " + name + ": the header is longer than "
                        + MAX_HEADER_CHARS + " characters (a quote never closed?)");
            }
            if (inQuotes) {
                if (ch < 0) {
                    throw new IllegalArgumentException("fixture " + table + ": " + name + ": in the header, the quote"
                            + " opening field " + (names.size() + 1) + " (\"" + field + ") is never closed");
                }
                if (ch == '"') {
                    ch = reader.read();
                    read++;
                    if (ch == '"') {
                        field.append('"');   // a doubled quote stands for one
                        ch = reader.read();
                    } else {
                        inQuotes = false;    // the character after the closing quote is read as any other
                        closed = field.length();
                    }
                    continue;
                }
                field.append((char) ch);
            } else if (ch == '"') {
                if (!hadQuotes && field.toString().isBlank()) {
                    field.setLength(0);      // spaces before a quoted name
                }
                inQuotes = true;
                hadQuotes = true;
            } else if (ch == ',' || ch == '\n' || ch == '\r' || ch < 0) {
                if (hadQuotes && field.substring(closed).isBlank()) {
                    field.setLength(closed); // spaces after a quoted name
                }
                names.add(hadQuotes ? field.toString() : field.toString().strip());
                field.setLength(0);
                hadQuotes = false;
                closed = 0;
                if (ch != ',') {
                    return names;
                }
            } else {
                field.append((char) ch);
            }
            ch = reader.read();
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
