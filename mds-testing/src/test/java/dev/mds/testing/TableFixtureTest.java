package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.core.TableName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@MdsPostgres
class TableFixtureTest {
    @Test
    void createsTheProductSchemaFromTheSeedCsv(DataSource ds) {
        TableName users = TableFixture.on(ds, "product.users").columns("user_id int", "name varchar")
                .csv(SeedData.file("000-saas-product/users.csv"));
        assertThat(users).isEqualTo(TableName.of("product", "users"));
        assertThatTable(ds, users).containsExactlyInAnyOrder(row(1, "John Doe"), row(2, "Jane Doe"), row(3, "Jonathan Foo"));

        TableFixture.on(ds, "product.subscriptions")
                .columns("id int", "start_date date", "end_date date", "user_id int", "subscription varchar", "paid boolean")
                .csv(SeedData.file("000-saas-product/subscriptions.csv"));
        assertThatTable(ds, "product.subscriptions").hasRowCount(15);
        assertThatTable(ds, "product.subscriptions").columns("user_id", "start_date", "subscription", "paid")
                .contains(row(2, LocalDate.of(2023, 5, 1), "enterprise", false), row(3, LocalDate.of(2023, 1, 1), "medium", true));
    }

    @Test
    void withoutColumnsTheHeaderGivesTextColumns(DataSource ds) {
        TableFixture.on(ds, "raw.transactions").csv(SeedData.file("002-forex-transactions/customer_transactions.csv"));
        assertThatTable(ds, "raw.transactions").hasRowCount(100);
        // the file holds UTF-8 city names
        assertThat(assertThatTable(ds, "raw.transactions").column("customer_city").values()).contains("Zürich", "Bogotá");
    }

    @Test
    void recreatesTheTableOnEachCall(DataSource ds) {
        TableFixture.on(ds, "t.again").columns("v int").rows(row(1), row(2));
        TableFixture.on(ds, "t.again").columns("v int").rows(row(3));
        assertThatTable(ds, "t.again").containsExactlyInAnyOrder(row(3));
    }

    @Test
    void aRowWithFewerOrMoreValuesThanTheFirstIsRefusedNotFilledFromTheRowBefore(DataSource ds) {
        // before, the short row was inserted as (2, 'x'): the batch kept the row before's value of b
        assertThatThrownBy(() -> TableFixture.on(ds, "t.uneven").columns("a int", "b text").rows(row(1, "x"), row(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fixture t.uneven: row 2 (2) has 1 values, row 1 (1, 'x') has 2");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.uneven").columns("a int", "b text").rows(row(1), row(2, "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 2 (2, 'x') has 2 values");
        TableFixture.on(ds, "t.uneven").columns("a int", "b text").rows(row(1, "x"), row(2, null));
        assertThatTable(ds, "t.uneven").containsExactlyInAnyOrder(row(1, "x"), row(2, null));
    }

    @Test
    void badFixturesFailClearly(DataSource ds) {
        assertThatThrownBy(() -> TableFixture.on(ds, "t.x").rows(row(1))).hasMessageContaining("call columns(...)");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.x").columns("v int").rows(row("not a number")))
                .isInstanceOf(MdsException.class).hasMessageContaining("fixture t.x");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.x").csvResource("/nope.csv")).hasMessageContaining("/nope.csv");
    }

    @Test
    void csvHeaderAndRowsAreReadAsCsvWithQuotedCommasLineBreaksAndDoubledQuotes(DataSource ds, @TempDir Path dir)
            throws Exception {
        // before, the header was split at every comma: "name, full" made two columns, and COPY refused the rows
        Path file = dir.resolve("odd.csv");
        Files.writeString(file, "\uFEFFid, \"name, full\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
                + "1,\"Doe, John\",\"he said \"\"hi\"\"\",\"a\nb\"\n"
                + "2,plain,,\"\"\n");
        TableFixture.on(ds, "t.odd").csv(file);
        try (Connection c = ds.getConnection(); ResultSet rs = c.getMetaData().getColumns(null, "t", "odd", null)) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString("COLUMN_NAME"));
            }
            assertThat(names).containsExactly("id", "name, full", "say \"hi\"", "two\nlines");
        }
        assertThatTable(ds, "t.odd").containsExactlyInAnyOrder(row("1", "Doe, John", "he said \"hi\"", "a\nb"),
                row("2", "plain", null, ""));
        // with columns(...), the rows are read the same way
        TableFixture.on(ds, "t.typed").columns("id int", "name text", "said text", "lines text").csv(file);
        assertThatTable(ds, "t.typed").columns("id", "name").containsExactlyInAnyOrder(row(1, "Doe, John"), row(2, "plain"));
    }

    @Test
    void aCsvHeaderThatCannotBeReadIsRefusedNamingTheFile(DataSource ds, @TempDir Path dir) throws Exception {
        Path open = dir.resolve("open.csv");
        Files.writeString(open, "id,\"name\n1,x\n");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.bad").csv(open)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("open.csv").hasMessageContaining("quote opening field 2");
        Path unnamed = dir.resolve("unnamed.csv");
        Files.writeString(unnamed, "id,,v\n1,2,3\n");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.bad").csv(unnamed)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unnamed.csv: header column 2 of 3 has no name");
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.bad").csv(empty)).hasMessageContaining("is empty");
    }

    @Test
    void rowsSkipGeneratedColumnsAndFillIdentityColumnsWithTheValuesGiven(DataSource ds) {
        // before, values went to every column by position: the generated column was given one and the insert failed
        TableFixture.on(ds, "t.gen").columns("id int generated always as identity", "qty int",
                        "twice int generated always as (qty * 2) stored", "name text")
                .rows(row(7, 2, "a"), row(8, 5, "b"));
        assertThatTable(ds, "t.gen").containsExactlyInAnyOrder(row(7, 2, 4, "a"), row(8, 5, 10, "b"));
        // fewer values than columns leave the last ones to their defaults, as before
        TableFixture.on(ds, "t.gen").columns("qty int", "twice int generated always as (qty * 2) stored",
                "note text default 'n/a'").rows(row(3));
        assertThatTable(ds, "t.gen").containsExactlyInAnyOrder(row(3, 6, "n/a"));
        assertThatThrownBy(() -> TableFixture.on(ds, "t.gen").columns("qty int",
                        "twice int generated always as (qty * 2) stored").rows(row(1, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fixture t.gen: row 1 (1, 2) has 2 values, but the table has 1 columns that take"
                        + " one: [qty] (generated, so given no value: [twice])");
    }

    @Test
    void seedDataErrorsSayWhereTheyLooked(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nowhere");
        assertThatThrownBy(() -> SeedData.locate(null, missing.toString(), dir)).isInstanceOf(IllegalStateException.class)
                .hasMessage("seed data directory missing: " + missing + " (named by the environment variable"
                        + " MDS_SEED_DATA=" + missing + ", does not exist)");
        assertThatThrownBy(() -> SeedData.locate(missing.toString(), "/elsewhere", dir))
                .hasMessageContaining("named by the system property mds.seed.data=" + missing);
        Path seeds = Files.createDirectory(dir.resolve("seeds"));
        SeedData.Located located = SeedData.locate(null, seeds.toString(), dir);
        assertThat(located.path()).isEqualTo(seeds);
        assertThatThrownBy(() -> SeedData.file(located, "000-x/users.csv")).isInstanceOf(IllegalStateException.class)
                .hasMessage("seed data file missing: " + seeds.resolve("000-x/users.csv") + " (000-x/users.csv in the"
                        + " seed-data directory " + seeds + ", named by the environment variable MDS_SEED_DATA=" + seeds + ")");
        // nothing set: the search beside a checkout (a directory holding mvnw) says what it tried
        Path checkout = Files.createDirectories(dir.resolve("work/main/mds-testing"));
        Files.writeString(dir.resolve("work/main/mvnw"), "");
        assertThatThrownBy(() -> SeedData.locate(null, " ", checkout)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("neither the system property mds.seed.data nor the environment variable"
                        + " MDS_SEED_DATA is set")
                .hasMessageContaining("looked for [" + dir.resolve("work/shared/seed-data") + "]");
        Files.createDirectories(dir.resolve("work/shared/seed-data"));
        assertThat(SeedData.locate(null, null, checkout).path()).isEqualTo(dir.resolve("work/shared/seed-data"));
        Path bare = Files.createDirectory(dir.resolve("bare"));
        assertThatThrownBy(() -> SeedData.locate("", null, bare)).hasMessageContaining("no directory from " + bare
                + " up holds mvnw");
    }

    /**
     * A string gives a value to a column of any type, as a SQL literal does ({@code '2024-01-01'} to a date). Before,
     * it was sent as varchar, and every column of another type than text refused it: "column "j" is of type jsonb but
     * expression is of type character varying".
     */
    @Test
    void aStringGivesAValueToAColumnOfAnyTypeAsASqlLiteralDoes(DataSource ds) {
        TableFixture.on(ds, "t.literals").columns("id int", "j jsonb", "u uuid", "d date", "n numeric(5,2)", "i inet",
                "iv interval", "v varchar(5)", "t text").rows(
                row(1, "{\"b\":1,\"a\":2}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "2024-01-01", "1.5", "10.0.0.1", "1 day",
                        "abc", "x"),
                row(2, null, null, null, null, null, null, null, null));
        assertThatTable(ds, "t.literals").columns("id", "j", "u", "d", "n", "v", "t").containsExactlyInAnyOrder(
                row(1, "{\"a\": 2, \"b\": 1}", java.util.UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                        LocalDate.of(2024, 1, 1), new java.math.BigDecimal("1.50"), "abc", "x"),
                row(2, null, null, null, null, null, null));
        assertThat(TestSql.strings(ds, "select i::text || ' ' || iv::text from t.literals where id = 1"))
                .containsExactly("10.0.0.1/32 1 day");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.literals").columns("d date").rows(row("not a date")))
                .isInstanceOf(MdsException.class).hasMessageContaining("invalid input syntax for type date: \"not a date\"");
    }

    /**
     * An {@code Instant}, which the table assertions take for a timestamptz, gives one its instant. Before, pgjdbc
     * refused it: "Can't infer the SQL type to use for an instance of java.time.Instant".
     */
    @Test
    void anInstantGivesATimestamptzItsInstant(DataSource ds) {
        java.time.Instant at = java.time.Instant.parse("2024-03-31T01:30:00.000123Z");
        TableFixture.on(ds, "t.instants").columns("at timestamptz").rows(row(at), row((Object) null));
        assertThatTable(ds, "t.instants").containsExactlyInAnyOrder(row(at), row((Object) null));
    }
}
