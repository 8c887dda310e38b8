package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@MdsPostgres
class TableAssertTest {
    @BeforeAll
    static void users(DataSource ds) {
        TableFixture.on(ds, "product.users").columns("user_id int primary key", "name varchar", "score numeric(5,2)",
                "joined date", "seen_at timestamptz").rows(
                row(1, "John Doe", new BigDecimal("1.50"), LocalDate.of(2023, 1, 1), OffsetDateTime.parse("2023-01-01T10:00:00Z")),
                row(2, "Jane Doe", null, LocalDate.of(2023, 2, 1), null),
                row(3, "Jonathan Foo", new BigDecimal("3"), null, null));
    }

    @Test
    void passesOnMatchingContentsComparingByMeaning(DataSource ds) {
        assertThatTable(ds, "product.users").exists().hasRowCount(3);
        assertThatTable(ds, "product.users").columns("user_id", "name")
                .containsExactlyInAnyOrder(row(3L, "Jonathan Foo"), row(1, "John Doe"), row(2, "Jane Doe"));
        // 1.5 equals numeric 1.50; an OffsetDateTime in another zone equals the same instant
        assertThatTable(ds, "product.users").columns("score", "seen_at")
                .contains(row(1.5, OffsetDateTime.parse("2023-01-01T11:00:00+01:00")));
        assertThatTable(ds, "product.users").column("name").containsOnly("John Doe", "Jane Doe", "Jonathan Foo")
                .hasNoNulls().hasNoDuplicates();
        assertThatTable(ds, "product.missing").doesNotExist();
    }

    @Test
    void containsWithNoRowGivenFailsUnlessThereIsNoneAsAssertJsContainsDoes(DataSource ds) throws Exception {
        Row[] none = List.<Row>of().toArray(Row[]::new);   // an expectation computed by the test, which came out empty
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").columns("user_id").contains(none))
                .isInstanceOf(AssertionError.class)
                .hasMessage("Table product.users [user_id] is not empty while no row to look for was given; it holds 3 rows:"
                        + System.lineSeparator() + "  (1)" + System.lineSeparator() + "  (2)" + System.lineSeparator() + "  (3)");
        assertThatThrownBy(() -> MdsAssertions.assertThatQuery(ds, "select 1").contains(none))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("Query \"select 1\" returns rows while no row to look for was given; it returns 1:");
        MdsAssertions.assertThatQuery(ds, "select 1 where false").contains(none);
        TableFixture.on(ds, "product.none").columns("id int primary key").rows();
        assertThatTable(ds, "product.none").contains(none);
        TableChanges changes = TableChanges.of(ds, "product.none");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "insert into product.none values (1)");
        }
        changes.end();
        assertThatThrownBy(() -> MdsAssertions.assertThatChanges(changes).containsCreations(none))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("Expected creations in [product.none] to include the given rows, but no row was given"
                        + " and there are creations.");
        MdsAssertions.assertThatChanges(changes).containsDeletions(none);
    }

    @Test
    void failureShowsMissingAndUnexpectedRows(DataSource ds) {
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").columns("user_id", "name")
                .containsExactlyInAnyOrder(row(1, "John Doe"), row(2, "Jane Doe"), row(4, "Nobody")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Missing (expected, not found) 1:").hasMessageContaining("(4, 'Nobody')")
                .hasMessageContaining("Unexpected (found, not expected) 1:").hasMessageContaining("(3, 'Jonathan Foo')");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").hasRowCount(4))
                .hasMessageContaining("to have 4 rows but it has 3");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").isEmpty())
                .hasMessageContaining("to be empty but it has 3 rows").hasMessageContaining("John Doe");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").column("score").hasNoNulls())
                .hasMessageContaining("product.users.score should have no NULLs but has 1");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").column("name").containsOnly("John Doe", "Jane Doe"))
                .hasMessageContaining("unexpected values ['Jonathan Foo']");
        assertThatThrownBy(() -> assertThatTable(ds, "product.nope").hasRowCount(0))
                .hasMessageContaining("cannot read table product.nope");
    }

    @Test
    void timesAndTimestampsCompareToTheMicrosecond(DataSource ds) throws Exception {
        TableFixture.on(ds, "t.times").columns("t time", "ts timestamp", "tz timetz").rows();
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "insert into t.times values ('10:00:00.000500', '2024-01-01 10:00:00.000500', '10:00:00.000500+02')");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "t.times").columns("t").containsExactlyInAnyOrder(row(LocalTime.of(10, 0))))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "t.times").column("t").containsOnly(LocalTime.of(10, 0)))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "t.times").columns("ts")
                .containsExactlyInAnyOrder(row(LocalDateTime.of(2024, 1, 1, 10, 0)))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "t.times").columns("tz")
                .containsExactlyInAnyOrder(row(OffsetTime.parse("10:00:00.0005+03:00")))).isInstanceOf(AssertionError.class);
        assertThatTable(ds, "t.times").containsExactlyInAnyOrder(row(LocalTime.of(10, 0, 0, 500_000),
                LocalDateTime.of(2024, 1, 1, 10, 0, 0, 500_000), OffsetTime.parse("10:00:00.0005+02:00")));
    }

    @Test
    void arraysOfTimesAndTimestampsCompareToTheMicrosecond(DataSource ds) throws Exception {
        TableFixture.on(ds, "t.time_arrays").columns("id int", "t time[]", "tz timetz[]", "ts timestamp[]", "tstz timestamptz[]",
                "d date[]").rows();
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "insert into t.time_arrays values (1, '{10:00:00.0005,NULL}', '{10:00:00.0005+02}',"
                    + " '{\"2024-01-01 10:00:00.0005\"}', '{\"2024-01-01 10:00:00.0005+00\"}', '{2024-01-01}'),"
                    + " (2, '{}', null, '{infinity}', null, '{}')");
        }
        assertThatTable(ds, "t.time_arrays").columns("t", "tz", "ts", "tstz", "d").contains(row(
                java.util.Arrays.asList(LocalTime.of(10, 0, 0, 500_000), null), List.of(OffsetTime.parse("10:00:00.0005+02:00")),
                List.of(LocalDateTime.of(2024, 1, 1, 10, 0, 0, 500_000)), List.of(OffsetDateTime.parse("2024-01-01T11:00:00.0005+01:00")),
                List.of(LocalDate.of(2024, 1, 1))));
        assertThatThrownBy(() -> assertThatTable(ds, "t.time_arrays").columns("t")
                .contains(row(java.util.Arrays.asList(LocalTime.of(10, 0), null)))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "t.time_arrays").columns("tz")
                .contains(row(List.of(OffsetTime.parse("10:00:00+02:00"))))).isInstanceOf(AssertionError.class);
        assertThatTable(ds, "t.time_arrays").columns("id", "t").contains(row(2, List.of()));
        assertThatTable(ds, "t.time_arrays").hasRowCount(2);   // infinity is read as pgjdbc reads it
    }

    /**
     * PostgreSQL's infinity and -infinity compare equal to the MAX and MIN pgjdbc reads, in scalar columns and array
     * elements: an expected {@code LocalDate.MAX} matches a stored 'infinity', and an expected {@code Instant.MAX} or
     * {@code OffsetDateTime.MAX} a timestamptz 'infinity'. Before, a timestamptz compared as the instant of
     * OffsetDateTime.MAX (not Instant.MAX), and array elements fell back to java.sql values far in the future.
     */
    @Test
    void infinitiesCompareEqualToTheMaxAndMinPgjdbcReads(DataSource ds) throws Exception {
        TableFixture.on(ds, "t.infinities").columns("id int", "d date", "ts timestamp", "tstz timestamptz", "ds date[]",
                "tss timestamp[]", "tstzs timestamptz[]").rows();
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "insert into t.infinities values (1, 'infinity', 'infinity', 'infinity', '{infinity,NULL}',"
                    + " '{infinity,-infinity}', '{-infinity,infinity}'), (2, '-infinity', '-infinity', '-infinity', null, null, null)");
        }
        assertThatTable(ds, "t.infinities").containsExactlyInAnyOrder(
                row(1, LocalDate.MAX, LocalDateTime.MAX, java.time.Instant.MAX, java.util.Arrays.asList(LocalDate.MAX, null),
                        List.of(LocalDateTime.MAX, LocalDateTime.MIN), List.of(java.time.Instant.MIN, OffsetDateTime.MAX)),
                row(2, LocalDate.MIN, LocalDateTime.MIN, OffsetDateTime.MIN, null, null, null));
        assertThatTable(ds, "t.infinities").column("tstz").containsOnly(OffsetDateTime.MAX, java.time.Instant.MIN);
        assertThatThrownBy(() -> assertThatTable(ds, "t.infinities").columns("id", "d").contains(row(1, LocalDate.MAX.minusDays(1))))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "t.infinities").columns("id", "tstz").contains(row(2, java.time.Instant.MAX)))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void bitColumnsCompareAsBooleanOrAsTheirBits(DataSource ds) throws Exception {
        TableFixture.on(ds, "t.bits").columns("one bit", "three bit(3)", "any_bits varbit").rows();
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "insert into t.bits values (B'1', B'101', B'0110')");
        }
        assertThatTable(ds, "t.bits").containsExactlyInAnyOrder(row(true, "101", "0110"));
        assertThatThrownBy(() -> assertThatTable(ds, "t.bits").columns("three").containsExactlyInAnyOrder(row("100")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("('101')");
    }

    @Test
    void byteaValuesCompareByContent(DataSource ds) {
        TableFixture.on(ds, "t.hashes").columns("h bytea").rows(row(new byte[] {1, 2}), row(new byte[] {1, 2}), row(new byte[] {3}));
        assertThatThrownBy(() -> assertThatTable(ds, "t.hashes").column("h").hasNoDuplicates())
                .isInstanceOf(AssertionError.class).hasMessageContaining("repeats [\\x0102]");
        assertThatTable(ds, "t.hashes").column("h").containsOnly(new byte[] {1, 2}, new byte[] {3});
        assertThatThrownBy(() -> assertThatTable(ds, "t.hashes").column("h").containsOnly(new byte[] {1, 2}))
                .isInstanceOf(AssertionError.class).hasMessageContaining("unexpected values [\\x03]");
        assertThatTable(ds, "t.hashes").containsExactlyInAnyOrder(row(new byte[] {1, 2}), row(new byte[] {3}), row(new byte[] {1, 2}));
        assertThatThrownBy(() -> assertThatTable(ds, "t.hashes")
                .containsExactlyInAnyOrder(row(new byte[] {1, 2}), row(new byte[] {3}), row(new byte[] {3})))
                .isInstanceOf(AssertionError.class);
        TableFixture.on(ds, "t.hash_lists").columns("hs bytea[]").rows(row((Object) new byte[][] {{1, 2}, {3}}));
        assertThatTable(ds, "t.hash_lists").containsExactlyInAnyOrder(row(List.of(new byte[] {1, 2}, new byte[] {3})));
    }

    @Test
    void duplicatesAreCounted(DataSource ds) {
        TableFixture.on(ds, "t.dups").columns("v int").rows(row(1), row(1), row(2));
        assertThatTable(ds, "t.dups").containsExactlyInAnyOrder(row(1), row(1), row(2));
        assertThatThrownBy(() -> assertThatTable(ds, "t.dups").containsExactlyInAnyOrder(row(1), row(2)))
                .hasMessageContaining("Unexpected (found, not expected) 1:");
        assertThatThrownBy(() -> assertThatTable(ds, "t.dups").column("v").hasNoDuplicates()).hasMessageContaining("repeats [1]");
        assertThat(assertThatTable(ds, "t.dups").column("v").values()).hasSize(3);
    }

    @Test
    void aColumnFailureTellsNullTheEmptyStringAndTheStringNullApart(DataSource ds) {
        TableFixture.on(ds, "t.nullish").columns("v text").rows(row((Object) null), row(""), row("null"));
        assertThatTable(ds, "t.nullish").column("v").containsOnly(null, "", "null");
        // before, an expected null made the failure a NullPointerException, and the message showed [, null] for ['', 'null']
        assertThatThrownBy(() -> assertThatTable(ds, "t.nullish").column("v").containsOnly("", "null", "x", null))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("should contain only ['', 'null', 'x', null]").hasMessageContaining("lacks ['x']");
        assertThatThrownBy(() -> assertThatTable(ds, "t.nullish").column("v").containsOnly("", "null"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("unexpected values [null]")
                .hasMessageContaining("should contain only ['', 'null']");
        TableFixture.on(ds, "t.nullish").columns("v text").rows(row(""), row(""));
        assertThatThrownBy(() -> assertThatTable(ds, "t.nullish").column("v").hasNoDuplicates())
                .hasMessageContaining("repeats ['']");
    }

    @Test
    void arraysOfPrimitivesCompareByTheirElementsAndFailuresShowExpectedArraysElementByElement(DataSource ds) {
        TableFixture.on(ds, "t.int_arrays").columns("id int", "a int[]", "d float8[]")
                .rows(row(1, new int[] {1, 2}, new double[] {0.5}));
        // before, an int[] or double[] matched nothing (compared by identity) ...
        assertThatTable(ds, "t.int_arrays").containsExactlyInAnyOrder(row(1, new int[] {1, 2}, new double[] {0.5}));
        assertThatTable(ds, "t.int_arrays").column("a").containsOnly(new long[] {1, 2});
        assertThatThrownBy(() -> assertThatTable(ds, "t.int_arrays").columns("a").contains(row((Object) new int[] {2, 1})))
                .isInstanceOf(AssertionError.class);
        // ... and a failure showed an expected array as [I@1b6d3586
        assertThatThrownBy(() -> assertThatTable(ds, "t.int_arrays").columns("id", "a")
                .containsExactlyInAnyOrder(row(1, new Integer[] {1, null}), row(2, new int[] {3})))
                .hasMessageContaining("(1, [1, null])").hasMessageContaining("(2, [3])");
    }

    @Test
    void aFailureNamesTheColumnsInWhichAMissingRowDiffersFromTheNearestFoundRow(DataSource ds) {
        // before, contains showed only the missing rows, nothing of the table, and neither said which column differed
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").columns("user_id", "name", "joined")
                .contains(row(1, "John Doe", LocalDateTime.of(2023, 1, 1, 0, 0))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("It holds 3 rows:").hasMessageContaining("(2, 'Jane Doe', 2023-02-01)")
                .hasMessageContaining("(1, 'John Doe', 2023-01-01T00:00) has the key (user_id) of found (1, 'John Doe', 2023-01-01),"
                        + " which differs in column joined: expected 2023-01-01T00:00 (LocalDateTime), found 2023-01-01 (LocalDate)");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").columns("user_id", "name", "score")
                .containsExactlyInAnyOrder(row(1, "John Doe", 1.5), row(2, "Jane Doe", null), row("3", "Jonathan Foo", 3)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Nearest found rows:")
                .hasMessageContaining("which differs in column user_id: expected '3' (String), found 3 (Integer)");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").contains(row(1, "John Doe")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("(1, 'John Doe') has 2 values, but the rows read have 5: [user_id, name, score, joined, seen_at]");
    }

    @Test
    void anIndexOrASequenceOfTheNameIsNoTable(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists kinds", "create table kinds.t (id int primary key)",
                "create sequence kinds.seq", "create view kinds.v as select 1 as one");
        // before, exists() passed on the index kinds.t_pkey and the sequence, and doesNotExist() failed on them
        assertThatThrownBy(() -> assertThatTable(ds, "kinds.t_pkey").exists())
                .isInstanceOf(AssertionError.class).hasMessageContaining("Expected table kinds.t_pkey to exist, but it is an index");
        assertThatThrownBy(() -> assertThatTable(ds, "kinds.seq").exists())
                .isInstanceOf(AssertionError.class).hasMessageContaining("but it is a sequence");
        assertThatTable(ds, "kinds.t_pkey").doesNotExist();
        assertThatTable(ds, "kinds.t").exists();
        assertThatTable(ds, "kinds.v").exists();
        assertThatThrownBy(() -> assertThatTable(ds, "kinds.v").doesNotExist())
                .isInstanceOf(AssertionError.class).hasMessageContaining("but it does (a view)");
        assertThatThrownBy(() -> assertThatTable(ds, "kinds.none").exists()).hasMessageContaining("but it does not");
    }

    /**
     * An xml column compares with its text. Before, it was read as pgjdbc's SQLXML, which equals nothing, so no expected
     * value matched, and a failure showed it as {@code org.postgresql.jdbc.PgSQLXML@7d446ed1}.
     */
    @Test
    void xmlColumnsCompareAsTheirText(DataSource ds) {
        TestSql.sql(ds, "create table xml_docs (id int, doc xml)", "insert into xml_docs values (1, '<a>1</a>'), (2, null)");
        assertThatTable(ds, "xml_docs").containsExactlyInAnyOrder(row(1, "<a>1</a>"), row(2, null));
        assertThatTable(ds, "xml_docs").column("doc").containsOnly("<a>1</a>", null);
        assertThatThrownBy(() -> assertThatTable(ds, "xml_docs").contains(row(1, "<a>2</a>")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("differs in column doc: expected '<a>2</a>' (String), found '<a>1</a>' (String)");
    }

    /**
     * A failure shows a found array as it shows an expected one, element by element, strings quoted and NULL as null.
     * Before, a found array was shown as PostgreSQL's text ({@code {x,NULL,"y z"}}, typed PgArray) beside an expected
     * {@code ['x', 'null', 'y z']}.
     */
    @Test
    void aFailureShowsFoundArraysAsItShowsExpectedOnes(DataSource ds) {
        TestSql.sql(ds, "create table shown_arrays (id int, tags text[], amounts numeric[])",
                "insert into shown_arrays values (1, '{x,NULL,\"y z\"}', '{1.50,NULL}')");
        assertThatTable(ds, "shown_arrays").containsExactlyInAnyOrder(row(1, new String[] {"x", null, "y z"},
                java.util.Arrays.asList(new BigDecimal("1.5"), null)));
        assertThatThrownBy(() -> assertThatTable(ds, "shown_arrays").columns("id", "tags").contains(row(1, new String[] {"x", "null", "y z"})))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("It holds 1 rows:" + System.lineSeparator() + "  (1, ['x', null, 'y z'])")
                .hasMessageContaining("differs in column tags: expected ['x', 'null', 'y z'] (String[]), found ['x', null, 'y z'] (String[])");
        assertThatThrownBy(() -> assertThatTable(ds, "shown_arrays").columns("id", "amounts").contains(row(1, List.of(2))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("found [1.50, null] (BigDecimal[])");
    }

    /**
     * An expected jsonb value written as JSON text compares by what it means, as PostgreSQL's jsonb {@code =} does: key
     * order, white space and a number's trailing zeros do not matter. Before, it had to be written as PostgreSQL prints
     * jsonb ({@code {"a": 1, "b": 2}}), so {@code "{\"a\":1,\"b\":2}"} did not match, and the failure blamed the types
     * (String against PGobject).
     */
    @Test
    void expectedJsonbComparesByMeaning(DataSource ds) {
        TestSql.sql(ds, "create table docs (id int, doc jsonb, raw json)",
                "insert into docs values (1, '{\"b\": [1, 2.50, \"2.50\"], \"a\": {\"x\": null}}', '{\"b\":1}'), (2, null, null)");
        assertThatTable(ds, "docs").containsExactlyInAnyOrder(row(1, "{\"a\":{\"x\":null},\"b\":[1,2.5,\"2.50\"]}", "{\"b\":1}"),
                row(2, null, null));
        assertThatTable(ds, "docs").columns("doc").contains(row("{ \"b\" : [1.0, 2.50, \"2.50\"], \"a\" : {\"x\" : null} }"));
        assertThatTable(ds, "docs").column("doc").containsOnly("{\"a\":{\"x\":null},\"b\":[1,2.50,\"2.50\"]}", null);
        assertThat(assertThatTable(ds, "docs").column("doc").values())
                .contains("{\"a\": {\"x\": null}, \"b\": [1, 2.50, \"2.50\"]}");
        assertThatThrownBy(() -> assertThatTable(ds, "docs").columns("id", "doc").contains(row(1, "{\"a\":{\"x\":null},\"b\":[1,2.5,\"2.5\"]}")))
                .isInstanceOf(AssertionError.class)   // a string is compared as written
                .hasMessageContaining("differs in column doc: expected {\"a\": {\"x\": null}, \"b\": [1, 2.5, \"2.5\"]} (Jsonb),"
                        + " found {\"a\": {\"x\": null}, \"b\": [1, 2.50, \"2.50\"]} (Jsonb)");
        assertThatThrownBy(() -> assertThatTable(ds, "docs").column("doc").containsOnly("{\"a\":1}", null))
                .isInstanceOf(AssertionError.class).hasMessageContaining("lacks [{\"a\": 1}]");
        assertThatThrownBy(() -> assertThatTable(ds, "docs").columns("id", "doc").contains(row(1, "not json")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected 'not json' (String)");
    }
}
