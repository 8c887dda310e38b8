package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An expected string for a column of a type pgjdbc reads as PostgreSQL's text (inet, ranges, macaddr, enums ...)
 * compares as a value of that type, as PostgreSQL would compare the literal.
 */
@MdsPostgres
class TextTypesAsPostgresqlPrintsThemTest {
    @Test
    void anExpectedStringForAnInetRangeOrMacaddrColumnComparesAsTheTypesValue(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create type mood as enum ('sad', 'happy')");
            Sql.execute(c, "create table hosts (id int, ip inet, net cidr, ports int4range, mac macaddr, m mood, name text)");
            Sql.execute(c, "insert into hosts values (1, '10.0.0.1/32', '10.1.0.0/16', '[80,443]', '08:00:2b:01:02:03', 'happy',"
                    + " ' x ')");
        }
        assertThatQuery(ds, "select ip = '10.0.0.1/32' and ports = '[80,443]' and mac = '08002b010203' from hosts")
                .containsExactly(row(true));   // what PostgreSQL says
        assertThatTable(ds, "public.hosts").columns("ip", "net", "ports", "mac", "m", "name")
                .containsExactlyInAnyOrder(row("10.0.0.1/32", "10.1/16", "[80,443]", "08002b010203", "happy", " x "));
        assertThatTable(ds, "public.hosts").columns("ports").contains(row("[80,444)"));
        assertThatTable(ds, "public.hosts").column("ip").containsOnly("10.0.0.1/32");
        // text keeps its white space; a string that is no value of the type matches nothing
        assertThatThrownBy(() -> assertThatTable(ds, "public.hosts").columns("ip", "name").containsExactlyInAnyOrder(
                row("10.0.0.1", "x"))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "public.hosts").columns("ip").containsExactlyInAnyOrder(
                row("no address"))).isInstanceOf(AssertionError.class).hasMessageContaining("('no address')");
    }
}
