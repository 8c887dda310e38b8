package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import java.time.OffsetDateTime;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** What failures show: values as the column holds them, readable, and the row a missing row stands for. */
@MdsPostgres
class FailureMessagesTest {
    @Test
    void aColumnFailureShowsValuesAsFoundNotInTheirComparedForm(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table amounts (n numeric(10,2), at timestamptz)");
            Sql.execute(c, "insert into amounts values (500.00, '2024-01-01 00:00+00'), (500.00, '2024-01-01 00:00+00'),"
                    + " (1.50, '2024-06-01 12:00+02')");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "public.amounts").column("n").containsOnly(1.5))
                .isInstanceOf(AssertionError.class).hasMessageContaining("but has unexpected values [500.00]");
        assertThatThrownBy(() -> assertThatTable(ds, "public.amounts").column("at")
                .containsOnly(OffsetDateTime.parse("2024-01-01T00:00Z")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("but has unexpected values [2024-06-01T10:00Z]");
        assertThatThrownBy(() -> assertThatQuery(ds, "select n from amounts").column("n").hasNoDuplicates())
                .isInstanceOf(AssertionError.class).hasMessageEndingWith("should have no duplicates but repeats [500.00] (1 value, in 2 rows)");
    }

    @Test
    void aListGivenForAnArrayColumnIsShownWithItsElementsAsAnArrayIs(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table lists (id int primary key, names text[], ips inet[])");
            Sql.execute(c, "insert into lists values (1, '{\"x, y\"}', '{10.0.0.1}')");
        }
        // the one string x', 'y is not shown as [x', 'y], two strings to the eye, beside the found ['x, y']
        assertThatThrownBy(() -> assertThatTable(ds, "public.lists").containsExactlyInAnyOrder(
                MdsAssertions.row(1, java.util.List.of("x', 'y"), java.util.List.of("no address"))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("(1, ['x'', ''y'], ['no address']) has the key (id) of found (1, ['x, y'], ['10.0.0.1'])")
                .hasMessageContaining("column names: expected ['x'', ''y'] (List), found ['x, y'] (String[]);"
                        + " column ips: expected ['no address'] (List), found ['10.0.0.1'] (Object[])");
        assertThatThrownBy(() -> assertThatTable(ds, "public.lists").column("names").containsOnly(java.util.List.of("x", "y")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("should contain only [['x', 'y']]")
                .hasMessageContaining("lacks [['x', 'y']]");
    }

    @Test
    void aFoundValueOfATypeReadAsTextIsQuotedAsItsExpectedStringAndItsArraysElementsAre(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table nets (id int primary key, ip inet, ports int4range, ips inet[])");
            Sql.execute(c, "insert into nets values (1, '10.0.0.1', '[1,4]', '{10.0.0.1}')");
        }
        // before, the found inet showed as 10.0.0.1 beside the expected '10.0.0.2' and the inet[]'s ['10.0.0.1']
        assertThatThrownBy(() -> assertThatTable(ds, "public.nets").containsExactlyInAnyOrder(
                MdsAssertions.row(1, "10.0.0.2/32", "[1,3)", java.util.List.of("10.0.0.2"))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("(1, '10.0.0.2', '[1,3)', ['10.0.0.2']) has the key (id) of found (1, '10.0.0.1', '[1,5)', ['10.0.0.1'])")
                .hasMessageContaining("column ip: expected '10.0.0.2' (String), found '10.0.0.1' (PGobject);"
                        + " column ports: expected '[1,3)' (String), found '[1,5)' (PGobject)");
        assertThatThrownBy(() -> assertThatTable(ds, "public.nets").column("ip").containsOnly("10.0.0.2"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("but has unexpected values ['10.0.0.1']");
    }

    @Test
    void arraysShownAlikeNameTheFirstElementThatDiffersWithItsType(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table docs (id int primary key, d jsonb[], n numeric[])");
            Sql.execute(c, "insert into docs values (1, '{1,NULL}', '{1,2}')");
        }
        // a jsonb null and a NULL element, a jsonb 1 and an Integer 1: arrays that read alike
        assertThatThrownBy(() -> assertThatTable(ds, "public.docs").containsExactlyInAnyOrder(
                MdsAssertions.row(1, java.util.List.of("1", "null"), java.util.List.of("1", 2))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("column d: expected [1, null] (Object[]), found [1, null] (Object[]),"
                        + " element 2 of which: expected null (Jsonb), found null;"
                        + " column n: expected ['1', 2] (List), found [1, 2] (BigDecimal[])");
    }

    @Test
    void infinityIsShownAsPostgresqlPrintsIt(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table spans (id int, d date, ts timestamp, tz timestamptz)");
            Sql.execute(c, "insert into spans values (1, 'infinity', '-infinity', 'infinity'), (2, '-infinity', 'infinity', '-infinity')");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "public.spans").isEmpty()).isInstanceOf(AssertionError.class)
                .hasMessageContaining("(1, infinity, -infinity, infinity)")
                .hasMessageContaining("(2, -infinity, infinity, -infinity)");
        assertThatThrownBy(() -> assertThatTable(ds, "public.spans").column("tz").containsOnly(java.time.Instant.MAX))
                .isInstanceOf(AssertionError.class).hasMessageContaining("but has unexpected values [-infinity]");
    }

    @Test
    void aQuoteInAStringIsDoubledSoThatOneValueDoesNotLookLikeTwo(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table notes (id int, s text)");
            Sql.execute(c, "insert into notes values (1, 'it''s'), (2, 'a'', ''b')");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "public.notes").containsExactlyInAnyOrder(
                MdsAssertions.row(1, "its"), MdsAssertions.row(2, "a', 'b")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Missing (expected, not found) 1:" + System.lineSeparator() + "  (1, 'its')")
                .hasMessageContaining("Unexpected (found, not expected) 1:" + System.lineSeparator() + "  (1, 'it''s')");
        assertThatThrownBy(() -> assertThatTable(ds, "public.notes").columns("s").contains(MdsAssertions.row("a', 'c")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("  ('a'', ''c')");
    }

    @Test
    void aMissingRowIsShownBesideTheFoundRowOfItsPrimaryKey(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table users (id int primary key, name text, note text)");
            Sql.execute(c, "insert into users values (1, '', 'x'), (2, null, 'x'), (3, 'a ', 'x')");
        }
        String n = System.lineSeparator();
        // (2, '') differs from (1, '') in the id alone, but the row of key 2 is the one it stands for
        assertThatThrownBy(() -> assertThatTable(ds, "public.users").containsExactlyInAnyOrder(
                MdsAssertions.row(1, "", "x"), MdsAssertions.row(2, "", "x"), MdsAssertions.row(3, "a", "x")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Nearest found rows:" + n
                        + "  (2, '', 'x') has the key (id) of found (2, null, 'x'), which differs in column name: expected ''"
                        + " (String), found null" + n
                        + "  (3, 'a', 'x') has the key (id) of found (3, 'a ', 'x'), which differs in column name: expected 'a'"
                        + " (String), found 'a ' (String)");
        assertThatThrownBy(() -> assertThatTable(ds, "public.users").columns("id", "name").contains(MdsAssertions.row(2, "")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("  (2, '') has the key (id) of found (2, null), which differs in column name");
        // a key no row has: the nearest row as before; the key not among the columns read: as before
        assertThatThrownBy(() -> assertThatTable(ds, "public.users").columns("id", "name").contains(MdsAssertions.row(4, "")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("  (4, '') is nearest to found (1, ''), which differs in column id");
        assertThatThrownBy(() -> assertThatTable(ds, "public.users").columns("name").contains(MdsAssertions.row("b")))
                .isInstanceOf(AssertionError.class).hasMessageNotContaining("has the key");
    }

    @Test
    void aLocalDateTimeAgainstATimestamptzOrAnInstantAgainstATimestampSaysWhatToExpect(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table events (id int primary key, at timestamptz, local timestamp)");
            Sql.execute(c, "insert into events values (1, '2024-01-01 00:00+00', '2024-01-01 00:00')");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "public.events").contains(MdsAssertions.row(1,
                java.time.LocalDateTime.of(2024, 1, 1, 0, 0), java.time.Instant.parse("2024-01-01T00:00:00Z"))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("column at: expected 2024-01-01T00:00 (LocalDateTime), found 2024-01-01T00:00Z"
                        + " (OffsetDateTime) (a timestamptz holds an instant: expect an OffsetDateTime, an Instant or a"
                        + " ZonedDateTime); column local: expected 2024-01-01T00:00:00Z (Instant), found 2024-01-01T00:00"
                        + " (LocalDateTime) (a timestamp without time zone holds no instant: expect a LocalDateTime)");
    }

    @Test
    void aFoundInstantIsAlsoShownInTheOffsetOfTheExpectedOne(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table stamps (id int primary key, at timestamptz)");
            Sql.execute(c, "insert into stamps values (1, '2024-06-01 12:00:00.123456+02')");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "public.stamps").contains(MdsAssertions.row(1,
                OffsetDateTime.parse("2024-06-01T12:00:00.123+02:00"))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("column at: expected 2024-06-01T12:00:00.123+02:00 (OffsetDateTime), found"
                        + " 2024-06-01T10:00:00.123456Z (OffsetDateTime) = 2024-06-01T12:00:00.123456+02:00 in the expected offset");
    }
}
