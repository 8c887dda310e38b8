package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An array of a type whose values compare as PostgreSQL reads them (inet, citext, numrange, jsonb, an enum ...)
 * compares element by element as its element type compares.
 */
@MdsPostgres
class ArraysOfTypesReadAsTextTest {
    private static void create(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create extension if not exists citext");
            Sql.execute(c, "drop table if exists hosts");
            Sql.execute(c, "drop type if exists mood");
            Sql.execute(c, "create type mood as enum ('sad', 'ok', 'happy')");
            Sql.execute(c, "create table hosts (id int primary key, ips inet[], tags citext[], bands numrange[],"
                    + " docs jsonb[], moods mood[])");
            Sql.execute(c, "insert into hosts values (1, '{10.0.0.1,192.168.0.0/16}', '{ABC,Def}', '{\"[1.50,2)\",empty}',"
                    + " array['{\"a\": 1, \"b\": [2.50]}']::jsonb[], '{ok,happy}'),"
                    + " (2, '{}', '{NULL,x}', null, '{null}', '{}')");
        }
    }

    @Test
    void anArrayOfATypeReadAsTextComparesElementWiseAsItsElementType(DataSource ds) throws Exception {
        create(ds);
        assertThatQuery(ds, "select ips = '{10.0.0.1/32,192.168.0.0/16}', tags = '{abc,DEF}', bands = '{\"[1.5,2)\",empty}'"
                + " from hosts where id = 1").containsExactly(row(true, true, true));   // what PostgreSQL says
        // as lists, Java arrays and array literals
        assertThatTable(ds, "public.hosts").containsExactlyInAnyOrder(
                row(1, List.of("10.0.0.1/32", "192.168.0.0/16"), List.of("abc", "DEF"), List.of("[1.5,2)", "empty"),
                        List.of("{\"b\": [2.5], \"a\": 1}"), List.of("ok", "happy")),
                row(2, List.of(), Arrays.asList(null, "X"), null, Arrays.asList((String) null), List.of()));   // {null}: a NULL element
        assertThatTable(ds, "public.hosts").containsExactlyInAnyOrder(
                row(1, new String[] {"10.0.0.1/32", "192.168.0.0/16"}, new String[] {"aBc", "dEf"},
                        new String[] {"[1.500,2.0)", "empty"}, new String[] {"{\"a\":1.0,\"b\":[2.5]}"}, new String[] {"ok", "happy"}),
                row(2, "{}", "{NULL,X}", null, "{null}", "{}"));
        assertThatTable(ds, "public.hosts").containsExactlyInAnyOrder(
                row(1, "{10.0.0.1/32,192.168.0.0/16}", "{abc,DEF}", "{\"[1.5,2)\",empty}",
                        "{\"{\\\"b\\\": [2.5], \\\"a\\\": 1}\"}", "{ok,happy}"),
                row(2, "{}", "{NULL,X}", null, "{null}", "{}"));
        assertThatTable(ds, "public.hosts").columns("ips", "tags").contains(row("{10.0.0.1/32,192.168.0.0/16}", "{ABC,def}"));
        assertThatQuery(ds, "select ips, bands from hosts order by id").containsExactly(
                row(List.of("10.0.0.1/32", "192.168.0.0/16"), List.of("[1.5,2)", "empty")), row(List.of(), null));
        assertThatQuery(ds, "select tags from hosts order by id")
                .containsExactlyInAnyOrder(row(List.of("abc", "def")), row("{NULL,x}"));
        assertThatTable(ds, "public.hosts").column("ips").containsOnly("{10.0.0.1/32,192.168.0.0/16}", List.of());
        assertThatTable(ds, "public.hosts").column("tags").containsOnly(List.of("abc", "def"), Arrays.asList(null, "X"));
        // an element that differs still differs; text beside it keeps its meaning
        assertThatThrownBy(() -> assertThatTable(ds, "public.hosts").columns("ips").contains(row(List.of("10.0.0.2", "192.168.0.0/16"))))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "public.hosts").columns("tags").contains(row("{abd,def}")))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "public.hosts").columns("bands").contains(row(List.of("[15,2)", "empty"))))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "public.hosts").columns("moods").contains(row(List.of("happy", "ok"))))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void expectedArraysAreReadInOneStatementPerColumnAndOneThatIsNoArrayOfTheTypeMatchesNothing(DataSource ds) throws Exception {
        int n = 200;
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create extension if not exists citext");
            Sql.execute(c, "create table many (id int, ips inet[], tags citext[], bands numrange[])");
            Sql.execute(c, "insert into many select i, array[('10.0.' || (i / 256) || '.' || (i % 256))::inet],"
                    + " array['Tag' || i]::citext[], array[numrange(i, i + 0.50)] from generate_series(1, " + n + ") i");
        }
        Row[] expected = new Row[n];
        for (int i = 1; i <= n; i++) {
            expected[n - i] = row(i, List.of("10.0." + (i / 256) + "." + (i % 256) + "/32"), "{TAG" + i + "}",
                    List.of("[" + i + "," + i + ".5)"));
        }
        FaultInjection faults = FaultInjection.on(ds);
        faults.countOnly();
        assertThatTable(faults.dataSource(), "public.many").containsExactlyInAnyOrder(expected);
        // the table's rows, the found citext elements lowered, then one read of each of the 3 array columns
        org.assertj.core.api.Assertions.assertThat(faults.count()).as("statements: %s", faults.statements()).isEqualTo(1 + 1 + 3);
        // an element no inet, a text no array: as given, matching nothing, beside others that match
        assertThatThrownBy(() -> assertThatTable(ds, "public.many").columns("ips").contains(
                row(List.of("10.0.0.1")), row(List.of("no address")), row("{10.0.0.2")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("lacks 2 expected rows").hasMessageContaining("no address")
                .hasMessageContaining("('{10.0.0.2')");
    }

    @Test
    void elementsWithQuotesCommasBracesAndBackslashesAreReadAsGivenAndAModificationOfSuchAnArrayIsFound(DataSource ds)
            throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create extension if not exists citext");
            Sql.execute(c, "create table odd (id int primary key, tags citext[])");
            Sql.execute(c, "insert into odd values (1, array['A\"B\\C', 'x,Y', '{}', 'NULL', ' s ']::citext[])");
        }
        assertThatTable(ds, "public.odd").containsExactlyInAnyOrder(
                row(1, List.of("a\"b\\c", "X,y", "{}", "null", " S ")));
        assertThatThrownBy(() -> assertThatTable(ds, "public.odd").containsExactlyInAnyOrder(
                row(1, Arrays.asList("a\"b\\c", "X,y", "{}", null, " S "))))   // the string NULL is not NULL
                .isInstanceOf(AssertionError.class);
        TableChanges changes = TableChanges.of(ds, "public.odd");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "update odd set tags = '{a,B}' where id = 1");
        }
        assertThatChanges(changes.end()).hasModification(row(1), "tags",
                List.of("a\"b\\c", "X,y", "{}", "null", " S "), "{A,b}");
    }

    @Test
    void whenTheColumnsOneStatementIsRefusedEachArrayIsReadAlone(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table nets (id int, ips inet[])");
            Sql.execute(c, "insert into nets values (1, '{10.0.0.1}'), (2, '{10.0.0.2}')");
        }
        FaultInjection faults = FaultInjection.on(ds);
        // a NUL character PostgreSQL refuses in any text: the column's one statement fails, so each array is read alone
        assertThatThrownBy(() -> assertThatTable(faults.dataSource(), "public.nets")
                .containsExactlyInAnyOrder(row(1, List.of("10.0.0.1/32")), row(2, List.of("10.0.0.2\u0000"))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Missing (expected, not found) 1:" + System.lineSeparator() + "  (2, [E'10.0.0.2\\u0000'])");
        org.assertj.core.api.Assertions.assertThat(faults.statements())
                .filteredOn(sql -> sql.contains("unnest(u.a)") && sql.contains("pg_input_is_valid")).hasSize(1);
        org.assertj.core.api.Assertions.assertThat(faults.statements())
                .filteredOn(sql -> sql.contains("unnest(u.a)") && !sql.contains("pg_input_is_valid")).hasSize(2);
    }

    @Test
    void changesAndDuplicatesOfSuchArraysAreTakenAsPostgresqlTakesThem(DataSource ds) throws Exception {
        create(ds);
        TableChanges changes = TableChanges.of(ds, "public.hosts");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "update hosts set ips = '{10.0.0.1/32,192.168.0.0/16}', tags = '{abc,DEF}',"
                    + " bands = '{\"[1.5,2.0)\",empty}' where id = 1");
        }
        assertThatChanges(changes.end()).hasNumberOfChanges(0);
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "update hosts set tags = '{Abc,dEF}' where id = 2");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "public.hosts").column("tags").hasNoDuplicates())
                .isInstanceOf(AssertionError.class).hasMessageContaining("repeats");
        TableChanges deleted = TableChanges.of(ds, "public.hosts");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "delete from hosts where id = 1");
        }
        assertThatChanges(deleted.end()).containsDeletions(row(1, List.of("10.0.0.1/32", "192.168.0.0/16"), "{abc,def}",
                List.of("[1.5,2)", "empty"), "{\"{\\\"b\\\": [2.5], \\\"a\\\": 1}\"}", List.of("ok", "happy")));
    }
}
