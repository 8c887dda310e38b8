package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Arrays of more than one dimension compare element by element, as arrays of one do. */
@MdsPostgres
class MultiDimensionalArraysTest {
    private static void sql(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, sql);
        }
    }

    @Test
    void arraysOfMoreThanOneDimensionCompareElementByElementAsArraysOfOneDo(DataSource ds) throws Exception {
        sql(ds, "create extension if not exists citext");
        sql(ds, "create table grid (id int primary key, ips inet[], tags citext[], ts timestamptz[], n numeric[], d date[],"
                + " docs jsonb[])");
        sql(ds, "insert into grid values (1, '{{10.0.0.1,10.0.0.2},{10.0.0.3,NULL}}', '{{ABC,d},{e,F}}',"
                + " '{{\"2024-01-01 00:00:00+00\",infinity},{NULL,\"2024-06-01 10:00:00.123456+00\"}}', '{{1.50,2},{3,4}}',"
                + " '{{2024-01-01},{2024-02-29}}', array[['{\"a\": [2.50]}'], ['1']]::jsonb[])");
        assertThatQuery(ds, "select ips = '{{10.0.0.1/32,10.0.0.2},{10.0.0.3,NULL}}', tags = '{{abc,D},{E,f}}' from grid")
                .containsExactly(row(true, true));   // what PostgreSQL says
        List<Object> ts = List.of(Arrays.asList(OffsetDateTime.parse("2024-01-01T02:00+02:00"), OffsetDateTime.MAX),
                Arrays.asList(null, OffsetDateTime.parse("2024-06-01T10:00:00.123456Z")));
        // as nested lists, and as array literals
        assertThatTable(ds, "public.grid").containsExactlyInAnyOrder(row(1,
                List.of(List.of("10.0.0.1/32", "10.0.0.2"), Arrays.asList("10.0.0.3", null)),
                List.of(List.of("abc", "D"), List.of("E", "f")), ts,
                List.of(List.of(new BigDecimal("1.5"), 2), List.of(3, 4)),
                List.of(List.of(LocalDate.of(2024, 1, 1)), List.of(LocalDate.of(2024, 2, 29))),
                List.of(List.of("{\"a\": [2.5]}"), List.of("1.0"))));
        assertThatTable(ds, "public.grid").columns("ips", "tags", "docs").containsExactlyInAnyOrder(
                row("{{10.0.0.1/32,10.0.0.2},{10.0.0.3,NULL}}", new String[][] {{"aBc", "D"}, {"E", "f"}},
                        "{{\"{\\\"a\\\":[2.50]}\"},{1}}"));
        assertThatTable(ds, "public.grid").column("tags").containsOnly("{{ABC,D},{e,F}}");
        // an element that differs, or another shape, still differs
        assertThatThrownBy(() -> assertThatTable(ds, "public.grid").columns("ips").contains(
                row(List.of(List.of("10.0.0.1", "10.0.0.2"), List.of("10.0.0.3", "10.0.0.4")))))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "public.grid").columns("ips").contains(
                row("{10.0.0.1,10.0.0.2,10.0.0.3,NULL}")))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "public.grid").columns("tags").contains(
                row(List.of(List.of("abc"), List.of("d", "e", "f")))))   // no array PostgreSQL reads: as given
                .isInstanceOf(AssertionError.class).hasMessageContaining("([['abc'], ['d', 'e', 'f']])");
        assertThatThrownBy(() -> assertThatTable(ds, "public.grid").columns("ts").contains(
                row(List.of(List.of(OffsetDateTime.parse("2024-01-01T00:00Z")), List.of(OffsetDateTime.MAX)))))
                .isInstanceOf(AssertionError.class);
        // a rewrite PostgreSQL takes as equal is no change
        TableChanges changes = TableChanges.of(ds, "public.grid");
        sql(ds, "update grid set tags = '{{abc,D},{E,f}}', ts = '{{\"2024-01-01 01:00:00+01\",infinity},"
                + "{NULL,\"2024-06-01 12:00:00.123456+02\"}}'");
        assertThatChanges(changes.end()).hasNumberOfChanges(0);
    }
}
