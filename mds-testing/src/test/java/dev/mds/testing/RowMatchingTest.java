package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.Period;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PGInterval;

/**
 * Which rows an unordered comparison matches, missing and unexpected, pinned on values that are equal by meaning but
 * not by their Java form (each rule of {@link dev.mds.testing.internal.Values#same}), duplicates and NULLs; and that a
 * comparison of 50,000 rows ends.
 */
@MdsPostgres
class RowMatchingTest {
    private static final String NL = System.lineSeparator();

    @Test
    void equalMeaningsMatchAndTheFirstEqualExpectedRowsAreTakenInOrder() throws Exception {
        Row b1 = row(1, "a"), b2 = row(1L, "a"), b3 = row(new BigDecimal("1.00"), "a"), b4 = row(1.0, "a");
        Row other = row(2, "a");
        // found twice: the first two of the four equal expected rows are taken, the last two stay missing in their order
        Rows.Mismatch m = Rows.inAnyOrder(List.of(row(new BigDecimal("1"), "a"), row((short) 1, 'a')),
                new Row[] {b1, other, b2, b3, b4});
        assertThat(m.missing()).containsExactly(other, b3, b4);
        assertThat(m.unexpected()).isEmpty();

        // found more often than expected: the last found ones are unexpected, in found order
        Row f1 = row(0, null), f2 = row(BigDecimal.ZERO, null), f3 = row(new BigDecimal("0.000"), null), f4 = row(-0.0, null);
        m = Rows.inAnyOrder(List.of(f1, f2, f3, f4), new Row[] {row(0L, null), row(0.0, null)});
        assertThat(m.missing()).isEmpty();
        assertThat(m.unexpected()).containsExactly(f3, f4);

        // NULL equals NULL only; a row of another size matches nothing
        Row n1 = row((Object) null), n2 = row(null, null), n3 = row("null");
        m = Rows.inAnyOrder(List.of(row((Object) null), row((Object) null)), new Row[] {n1, n2, n3});
        assertThat(m.missing()).containsExactly(n2, n3);
        assertThat(m.unexpected()).hasSize(1);
    }

    @Test
    void eachEqualityRuleOfTheMatcherHolds() throws Exception {
        Instant instant = Instant.parse("2024-03-01T10:00:00Z");
        Object[][] equal = {
                {1, 1L, new BigDecimal("1.000"), 1.0f, (byte) 1, java.math.BigInteger.ONE},
                {Double.NaN, Float.NaN},
                {Double.POSITIVE_INFINITY, Float.POSITIVE_INFINITY},
                {OffsetDateTime.parse("2024-03-01T11:00:00+01:00"), OffsetDateTime.parse("2024-03-01T10:00:00Z"),
                        instant.atZone(java.time.ZoneId.of("Asia/Tokyo"))},
                {OffsetDateTime.MAX, Instant.MAX},
                {java.sql.Date.valueOf("2024-03-01"), LocalDate.of(2024, 3, 1)},
                {java.sql.Timestamp.valueOf("2024-03-01 10:00:00"), LocalDateTime.of(2024, 3, 1, 10, 0)},
                {java.sql.Time.valueOf("10:00:00"), java.time.LocalTime.of(10, 0)},
                {new PGInterval("1 day"), new PGInterval("24 hours"), Duration.ofDays(1), Period.ofDays(1)},
                {new PGInterval("1 mon"), Period.ofMonths(1), Duration.ofDays(30)},
                {new byte[] {1, 2}, new byte[] {1, 2}},
                {new int[] {1, 2}, new Integer[] {1, 2}, List.of(1L, 2L), new Object[] {new BigDecimal("1.0"), 2.0}},
                {new String[] {"a", null}, Collections.unmodifiableList(new ArrayList<>(java.util.Arrays.asList("a", null)))},
                {new dev.mds.testing.internal.Values.Jsonb("{\"a\": 2.50}"), new dev.mds.testing.internal.Values.Jsonb("{\"a\": 25e-1}")},
                {'x', "x"},
                {pg("inet", "10.0.0.1"), "10.0.0.1"},
                {java.util.UUID.fromString("00000000-0000-0000-0000-000000000001"),
                        java.util.UUID.fromString("00000000-0000-0000-0000-000000000001")},
        };
        for (Object[] values : equal) {
            for (Object a : values) {
                Row[] expected = new Row[values.length];
                for (int i = 0; i < values.length; i++) {
                    expected[i] = row(values[i], i);
                }
                // found (a, 0) ... (a, n-1): each matches the expected row of its index, whatever form a has
                List<Row> found = new ArrayList<>();
                for (int i = values.length - 1; i >= 0; i--) {
                    found.add(row(a, i));
                }
                assertThat(Rows.inAnyOrder(found, expected).none()).as("%s against %s", Row.show(a), Row.show(List.of(values))).isTrue();
            }
        }
        Object[][] unequal = {
                {1, "1"}, {1, '1'}, {1.5, 1}, {"a", "a "}, {"", null}, {"null", null},
                {LocalDateTime.of(2024, 3, 1, 10, 0), instant}, {instant, LocalDateTime.of(2024, 3, 1, 10, 0)},
                {LocalDate.of(2024, 3, 1), LocalDateTime.of(2024, 3, 1, 0, 0)},
                {Duration.ofMinutes(90).plusNanos(1), Duration.ofMinutes(90)}, {Period.ofMonths(1), Period.ofDays(31)},
                {new byte[] {1, 2}, new byte[] {1, 3}}, {new int[] {1, 2}, new int[] {2, 1}}, {new int[] {1}, 1},
                {new dev.mds.testing.internal.Values.Jsonb("1"), 1}, {new dev.mds.testing.internal.Values.Jsonb("null"), null},
                {Double.NaN, Double.POSITIVE_INFINITY}, {java.time.OffsetTime.parse("10:00+01:00"), java.time.OffsetTime.parse("09:00Z")},
        };
        for (Object[] pair : unequal) {
            Rows.Mismatch m = Rows.inAnyOrder(List.of(row(pair[0], 1)), new Row[] {row(pair[1], 1)});
            assertThat(m.missing()).as("%s against %s", Row.show(pair[0]), Row.show(pair[1])).hasSize(1);
            assertThat(m.unexpected()).hasSize(1);
        }
    }

    @Test
    void valuesOfOtherTypesStillCompareByTheirEquals() throws Exception {
        // a value of a type the matcher does not know compares by its equals, whichever way round
        Map<String, String> hstore = new HashMap<>(Map.of("a", "1"));
        Row e1 = row(2, "x"), e2 = row(Map.of("a", "1"), "x"), e3 = row(hstore, "x");
        Rows.Mismatch m = Rows.inAnyOrder(List.of(row(hstore, "x"), row(Map.of("a", "1"), "x"), row(Map.of("a", "2"), "x")),
                new Row[] {e1, e2, e3});
        assertThat(m.missing()).containsExactly(e1);
        assertThat(m.unexpected()).extracting(Row::toString).containsExactly("({a=2}, 'x')");

        // a found value whose equals takes anything matches the first expected row still missing, as it always did
        Object anything = new Object() {
            @Override
            public boolean equals(Object o) {
                return true;
            }

            @Override
            public int hashCode() {
                return 7;
            }
        };
        Row x1 = row(1), x2 = row("b"), x3 = row(1);
        m = Rows.inAnyOrder(List.of(row(1), row(anything), row(1)), new Row[] {x1, x2, x3});
        assertThat(m.missing()).isEmpty();
        assertThat(m.unexpected()).isEmpty();
        m = Rows.inAnyOrder(List.of(row(anything), row(1), row(1)), new Row[] {x1, x2, x3});
        assertThat(m.missing()).containsExactly(x2);
        assertThat(m.unexpected()).extracting(Row::toString).containsExactly("(1)");
        assertThat(Rows.missing(List.of(row(anything)), new Row[] {x1, x2})).isEmpty();
        assertThat(Rows.missing(List.of(row(2), row(hstore)), new Row[] {x1, row(Map.of("a", "1")), row(2L)}))
                .containsExactly(x1);
    }

    @Test
    void aTableOfTrickyValuesMatchesByMeaningAndFailsWithTheSameMessage(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table tricky (id int, code char(5), amount numeric(8,3), span interval, at timestamptz,"
                    + " doc jsonb, tags int[], raw bytea, codes char(3)[], addr inet)");
            Sql.execute(c, "insert into tricky values"
                    + " (1, 'ab', 1.500, '1 day', '2024-03-01 10:00:00+00', '{\"b\": 1, \"a\": [1.50]}', '{1,2}', '\\x0102', '{a,bc}', '10.0.0.1'),"
                    + " (1, 'ab', 1.500, '1 day', '2024-03-01 10:00:00+00', '{\"b\": 1, \"a\": [1.50]}', '{1,2}', '\\x0102', '{a,bc}', '10.0.0.1'),"
                    + " (2, null, null, null, null, null, null, null, null, null),"
                    + " (3, '', 0, '0', 'infinity', 'null', '{}', '\\x', '{}', '10.0.0.0/8')");
        }
        Object[] one = {1, "ab   ", new BigDecimal("1.5"), Duration.ofHours(24), OffsetDateTime.parse("2024-03-01T12:00:00+02:00"),
                "{\"a\":[1.5],\"b\":1}", new int[] {1, 2}, new byte[] {1, 2}, new String[] {"a  ", "bc"}, "10.0.0.1/32"};
        Row nulls = row(2, null, null, null, null, null, null, null, null, null);
        Row three = row(3L, "  ", 0.0, Period.ZERO, Instant.MAX, "null", new Integer[0], new byte[0], List.of(), "10.0.0.0/8");
        assertThatTable(ds, "public.tricky").containsExactlyInAnyOrder(three, row(one), nulls, row(one));
        assertThatQuery(ds, "select * from tricky order by id").containsExactlyInAnyOrder(row(one), three, row(one), nulls);
        assertThatTable(ds, "public.tricky").contains(row(one), three);

        // one of the duplicates given once, NULLs in place of the empty values: the same message as ever
        Row notThree = row(3L, null, 0.0, Period.ZERO, Instant.MAX, "null", new Integer[0], new byte[0], List.of(), "10.0.0.0/8");
        assertThatThrownBy(() -> assertThatTable(ds, "public.tricky").containsExactlyInAnyOrder(notThree, row(one), nulls))
                .isInstanceOf(AssertionError.class)
                .hasMessage("Table public.tricky does not hold exactly the expected 3 rows (it holds 4)." + NL
                        + "Missing (expected, not found) 1:" + NL
                        + "  (3, null, 0.0, P0D, infinity, null, [], \\x, [], '10.0.0.0/8')" + NL
                        + "Unexpected (found, not expected) 2:" + NL
                        + "  (1, 'ab', 1.500, 1 days, 2024-03-01T10:00Z, {\"a\": [1.50], \"b\": 1}, [1, 2], \\x0102, ['a', 'bc'], '10.0.0.1')" + NL
                        + "  (3, '', 0.000, 0 secs, infinity, null, [], \\x, [], '10.0.0.0/8')" + NL
                        + "Nearest found rows:" + NL
                        + "  (3, null, 0.0, P0D, infinity, null, [], \\x, [], '10.0.0.0/8') is nearest to found"
                        + " (3, '', 0.000, 0 secs, infinity, null, [], \\x, [], '10.0.0.0/8'),"
                        + " which differs in column code: expected null, found '' (String)");
    }

    @Test
    void fiftyThousandRowsInAnotherOrderMatch(DataSource ds) throws Exception {
        int n = 50_000;
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table big (id int, name text, amount numeric(10,2), at timestamptz)");
            Sql.execute(c, "insert into big select i, 'name ' || (i % 1000), i / 100.0, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'"
                    + " from generate_series(1, " + n + ") i");
        }
        Row[] expected = new Row[n];
        Instant start = Instant.parse("2024-01-01T00:00:00Z");
        for (int i = 1; i <= n; i++) {
            // expected in reverse order, numbers in other forms, instants in another zone
            expected[n - i] = row((long) i, "name " + (i % 1000), new BigDecimal(i).movePointLeft(2),
                    start.plusSeconds(60L * i).atOffset(java.time.ZoneOffset.ofHours(2)));
        }
        assertThatTable(ds, "public.big").containsExactlyInAnyOrder(expected);
        assertThatTable(ds, "public.big").contains(expected);
        expected[0] = row(0L, "name 0", BigDecimal.ZERO, start.atOffset(java.time.ZoneOffset.UTC));
        assertThatThrownBy(() -> assertThatTable(ds, "public.big").containsExactlyInAnyOrder(expected))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Missing (expected, not found) 1:" + NL + "  (0, 'name 0', 0, 2024-01-01T00:00Z)")
                .hasMessageContaining("Unexpected (found, not expected) 1:" + NL + "  (50000, 'name 0', 500.00, 2024-02-04T17:20Z)");
    }

    private static org.postgresql.util.PGobject pg(String type, String value) throws Exception {
        org.postgresql.util.PGobject o = new org.postgresql.util.PGobject();
        o.setType(type);
        o.setValue(value);
        return o;
    }
}
