package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A type off the search path, which pgjdbc names "schema"."name" (an extension installed in a schema of its own), is
 * read as a type on it is (its own class: CitextComparisonTest's extension is in public).
 */
@MdsPostgres
class TypesOffTheSearchPathTest {
    @Test
    void aCitextOfAnExtensionOffTheSearchPathComparesWithoutRegardToCaseToo(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create schema ext");   // as an extensions schema, not on the search path
            Sql.execute(c, "create extension if not exists citext schema ext");
            Sql.execute(c, "create type ext.net as enum ('lan', 'wan')");
            Sql.execute(c, "create table users (id int primary key, email ext.citext, aliases ext.citext[], nets ext.net[])");
            Sql.execute(c, "insert into users values (1, 'John@Example.com', '{ABC,Def}', '{lan,wan}')");
        }
        // pgjdbc names these types "ext"."citext", "ext"."_citext", "ext"."_net"
        assertThatTable(ds, "public.users").containsExactlyInAnyOrder(
                row(1, "john@example.com", java.util.List.of("abc", "DEF"), "{lan,wan}"));
        assertThatTable(ds, "public.users").column("email").containsOnly("JOHN@example.com");
        assertThatThrownBy(() -> assertThatTable(ds, "public.users").columns("aliases").contains(row("{abc,deg}")))
                .isInstanceOf(AssertionError.class);
    }
}
