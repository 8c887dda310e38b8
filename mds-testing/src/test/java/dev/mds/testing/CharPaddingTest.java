package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;

import dev.mds.core.Sql;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A {@code char(n)} value compares as PostgreSQL compares it: its trailing spaces (the padding) do not matter. */
@MdsPostgres
class CharPaddingTest {
    @BeforeAll
    static void codes(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table codes (id int primary key, code char(5), codes char(3)[], name varchar(5))");
            Sql.execute(c, "insert into codes values (1, 'ab', array['x', 'yz '], 'ab '), (2, null, null, null)");
        }
    }

    @Test
    void aCharColumnsValueEqualsTheStringWithOrWithoutItsPaddingAsInPostgresql(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); var st = c.createStatement(); var rs = st.executeQuery(
                "select code = 'ab', code = 'ab   ', name = 'ab', name = 'ab ' from codes where id = 1")) {
            rs.next();   // what PostgreSQL says: char(n) ignores trailing spaces, varchar keeps them
            org.assertj.core.api.Assertions.assertThat(new boolean[] {rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3),
                    rs.getBoolean(4)}).containsExactly(true, true, false, true);
        }
        assertThatTable(ds, "public.codes").columns("id", "code").containsExactlyInAnyOrder(row(1, "ab"), row(2, null));
        assertThatTable(ds, "public.codes").columns("id", "code").contains(row(1, "ab   "));
        assertThatTable(ds, "public.codes").column("code").containsOnly("ab", null);
        assertThatQuery(ds, "select code, codes from codes where id = 1").containsExactly(row("ab", new String[] {"x", "yz"}));
        assertThatQuery(ds, "select codes from codes where id = 1").containsExactly(row((Object) new String[] {"x  ", "yz "}));
        // varchar keeps its trailing spaces, as in PostgreSQL
        assertThatQuery(ds, "select name from codes where id = 1").containsExactly(row("ab "));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> assertThatQuery(ds, "select name from codes where id = 1")
                .containsExactly(row("ab"))).isInstanceOf(AssertionError.class);
    }

    @Test
    void aCharColumnsChangeComparesWithoutItsPadding(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table changed (id int primary key, code char(5))");
            Sql.execute(c, "insert into changed values (1, 'ab')");
        }
        TableChanges changes = TableChanges.of(ds, "public.changed");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "update changed set code = 'cd' where id = 1");
            Sql.execute(c, "insert into changed values (2, 'ef')");
        }
        assertThatChanges(changes.end()).hasNumberOfChanges(2).hasModification(row(1), "code", "ab", "cd   ")
                .containsCreations(row(2, "ef"));
    }
}
