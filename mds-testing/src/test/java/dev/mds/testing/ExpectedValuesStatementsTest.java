package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Expected strings for columns of types read as text (inet, ranges, enums, jsonb, citext ...) are read by PostgreSQL
 * in one statement per column of a comparison, whatever the number of rows, as FaultInjection counts statements.
 */
@MdsPostgres
class ExpectedValuesStatementsTest {
    private static final int N = 200;

    @Test
    void expectedStringsOfTypesReadAsTextAreReadInOneStatementPerColumn(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create type mood as enum ('sad', 'happy')");
            Sql.execute(c, "create table hosts (id int, ip inet, ports int4range, m mood, doc jsonb)");
            Sql.execute(c, "insert into hosts select i, ('10.0.' || (i / 256) || '.' || (i % 256))::inet, int4range(i, i, '[]'),"
                    + " case when i % 2 = 0 then 'happy' else 'sad' end::mood, jsonb_build_object('i', i)"
                    + " from generate_series(1, " + N + ") i");
        }
        Row[] expected = new Row[N];
        Object[] ips = new Object[N];
        for (int i = 1; i <= N; i++) {
            String ip = "10.0." + (i / 256) + "." + (i % 256) + "/32";
            expected[N - i] = row(i, ip, "[" + i + "," + i + "]", i % 2 == 0 ? "happy" : "sad", "{\"i\": " + i + ".0}");
            ips[N - i] = ip;
        }
        FaultInjection faults = FaultInjection.on(ds);
        DataSource counted = faults.dataSource();

        faults.countOnly();
        assertThatTable(counted, "public.hosts").containsExactlyInAnyOrder(expected);
        // the table's rows, then one read of each of the 4 columns read as text
        assertThat(faults.count()).as("statements: %s", faults.statements()).isEqualTo(1 + 4);

        faults.countOnly();
        assertThatQuery(counted, "select * from hosts").contains(expected);
        assertThat(faults.count()).as("statements: %s", faults.statements()).isEqualTo(1 + 4);

        faults.countOnly();
        assertThatTable(counted, "public.hosts").column("ip").containsOnly(ips);
        assertThat(faults.count()).as("statements: %s", faults.statements()).isEqualTo(1 + 1);

        TableChanges changes = TableChanges.of(counted, "public.hosts");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "delete from hosts");
        }
        TableChanges ended = changes.end();
        faults.countOnly();
        assertThatChanges(ended).containsDeletions(expected);
        assertThat(faults.count()).as("statements: %s", faults.statements()).isEqualTo(4);
    }

    @Test
    void aStringThatIsNoValueOfItsColumnsTypeStillMatchesNothingBesideOthersThatAre(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table nets (id int, ip inet)");
            Sql.execute(c, "insert into nets values (1, '10.0.0.1'), (2, '10.0.0.2')");
        }
        assertThatTable(ds, "public.nets").containsExactlyInAnyOrder(row(1, "10.0.0.1/32"), row(2, "10.0.0.2"));
        assertThatThrownBy(() -> assertThatTable(ds, "public.nets").containsExactlyInAnyOrder(row(1, "10.0.0.1/32"),
                row(2, "no address"))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Missing (expected, not found) 1:" + System.lineSeparator() + "  (2, 'no address')");
        assertThatThrownBy(() -> assertThatTable(ds, "public.nets").column("ip").containsOnly("10.0.0.1", "10.0.0.300"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("and lacks ['10.0.0.300']");
    }

    @Test
    void whenTheOneStatementIsRefusedEachValueIsReadAlone(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table ips (id int, ip inet)");
            Sql.execute(c, "insert into ips values (1, '10.0.0.1'), (2, '10.0.0.2')");
        }
        FaultInjection faults = FaultInjection.on(ds);
        // a NUL character PostgreSQL refuses in any text: the column's one statement fails, so each string is read alone
        assertThatThrownBy(() -> assertThatTable(faults.dataSource(), "public.ips")
                .containsExactlyInAnyOrder(row(1, "10.0.0.1/32"), row(2, "10.0.0.2\u0000")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Missing (expected, not found) 1:" + System.lineSeparator() + "  (2, E'10.0.0.2\\u0000')");
        // the refused statement, then one per string (and, the comparison failing, the rows and the table's key)
        assertThat(faults.statements()).filteredOn(sql -> sql.contains("pg_input_is_valid")).hasSize(1);
        assertThat(faults.statements()).filteredOn(sql -> sql.contains("cast(cast(? as text) as \"inet\")")).hasSize(2);
    }
}
