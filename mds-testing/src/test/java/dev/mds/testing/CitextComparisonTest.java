package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A citext value compares as PostgreSQL compares citext: without regard to case ('ABC' = 'abc'). */
@MdsPostgres
class CitextComparisonTest {
    @Test
    void aCitextValueComparesWithoutRegardToCaseAsPostgresqlDoes(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create extension if not exists citext");
            Sql.execute(c, "create table emails (id int primary key, email citext, note text)");
            Sql.execute(c, "insert into emails values (1, 'John@Example.com', 'Hi'), (2, 'ABC', 'x')");
        }
        assertThatQuery(ds, "select email = 'john@example.COM', note = 'hi' from emails where id = 1")
                .containsExactly(row(true, false));   // what PostgreSQL says
        assertThatTable(ds, "public.emails").containsExactlyInAnyOrder(row(1, "john@example.com", "Hi"), row(2, "abc", "x"));
        assertThatTable(ds, "public.emails").columns("email").contains(row("JOHN@EXAMPLE.COM"));
        assertThatQuery(ds, "select email from emails order by id").containsExactly(row("john@EXAMPLE.com"), row("aBc"));
        assertThatTable(ds, "public.emails").column("email").containsOnly("abc", "JOHN@example.com");
        assertThatTable(ds, "public.emails").column("email").hasNoDuplicates();
        // text beside it keeps its case; a citext differing in more than case still differs
        assertThatThrownBy(() -> assertThatTable(ds, "public.emails").containsExactlyInAnyOrder(
                row(1, "john@example.com", "hi"), row(2, "abc", "x"))).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertThatTable(ds, "public.emails").columns("email").contains(row("abd")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("'abd'");
    }

    @Test
    void citextValuesDifferingOnlyInCaseAreDuplicatesAndNoChange(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create extension if not exists citext");
            Sql.execute(c, "create table tags (id int primary key, tag citext)");
            Sql.execute(c, "insert into tags values (1, 'Red'), (2, 'RED')");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "public.tags").column("tag").hasNoDuplicates())
                .isInstanceOf(AssertionError.class).hasMessageContaining("repeats");
        TableChanges changes = TableChanges.of(ds, "public.tags");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "update tags set tag = 'red' where id = 1");
        }
        assertThatChanges(changes.end()).hasNumberOfChanges(0);
    }
}
