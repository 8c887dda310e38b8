package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@MdsPostgres
class QueryAssertTest {
    @BeforeAll
    static void items(DataSource ds) {
        TableFixture.on(ds, "q.items").columns("id int primary key", "name text", "price numeric(5,2)", "tags jsonb").rows(
                row(1, "apple", new BigDecimal("1.50"), "{\"a\": 1}"),
                row(2, "pear", null, null),
                row(3, "plum", new BigDecimal("3"), "[]"));
    }

    @Test
    void passesOnTheRowsAQueryWithParametersReturnsComparingByMeaning(DataSource ds) {
        String sql = "select id, name, price from q.items where id >= ? and name <> ? order by id desc";
        // numeric 1.50 equals 1.5; NULL matches null; 3.00 equals the int 3
        assertThatQuery(ds, sql, 1, "none").hasRowCount(3)
                .containsExactly(row(3, "plum", 3), row(2L, "pear", null), row(1, "apple", 1.5))
                .containsExactlyInAnyOrder(row(1, "apple", new BigDecimal("1.5")), row(3, "plum", 3), row(2, "pear", null))
                .contains(row(2, "pear", null));
        assertThatQuery(ds, sql, 2, "pear").containsExactly(row(3, "plum", new BigDecimal("3.000")));
        assertThatQuery(ds, "select * from q.items where name = ?", "kiwi").isEmpty().hasRowCount(0).containsExactly();
        assertThatQuery(ds, "select price as p, tags from q.items where id < ?", 3).column("p").containsOnly(1.5, null);
        assertThatQuery(ds, "select tags from q.items where id = 1").contains(row("{\"a\":1}"))
                .column("tags").containsOnly("{ \"a\" : 1.0 }");
        assertThatQuery(ds, "select name from q.items").column("name").hasNoNulls().hasNoDuplicates();
    }

    @Test
    void failureNamesTheQueryItsParametersAndTheRowsThatDiffer(DataSource ds) {
        String sql = "select id, name from q.items where id <= ? order by id";
        assertThatThrownBy(() -> assertThatQuery(ds, sql, 2).containsExactlyInAnyOrder(row(1, "apple"), row(2, "peach")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Query \"" + sql + "\" with parameters [2] does not return exactly the expected 2 rows (it returns 2).")
                .hasMessageContaining("Missing (expected, not found) 1:" + System.lineSeparator() + "  (2, 'peach')")
                .hasMessageContaining("Unexpected (found, not expected) 1:" + System.lineSeparator() + "  (2, 'pear')")
                .hasMessageContaining("(2, 'peach') is nearest to found (2, 'pear'), which differs in column name");
        assertThatThrownBy(() -> assertThatQuery(ds, sql, 2).containsExactly(row(2, "pear"), row(1, "apple")))
                .hasMessageContaining("does not return exactly the expected 2 rows in order (it returns 2)")
                .hasMessageContaining("First difference at row 1: expected (2, 'pear'), found (1, 'apple')")
                .hasMessageContaining("It returns the expected rows in another order:");
        assertThatThrownBy(() -> assertThatQuery(ds, sql, 3).containsExactly(row(1, "apple"), row(2, "pear")))
                .hasMessageContaining("First difference at row 3: expected no row, found (3, 'plum')")
                .hasMessageContaining("Unexpected (found, not expected) 1:" + System.lineSeparator() + "  (3, 'plum')");
        assertThatThrownBy(() -> assertThatQuery(ds, sql, 3).contains(row(4, "kiwi")))
                .hasMessageContaining("Query \"" + sql + "\" with parameters [3] lacks 1 expected rows:")
                .hasMessageContaining("It returns 3 rows:");
        assertThatThrownBy(() -> assertThatQuery(ds, sql, 3).hasRowCount(2))
                .hasMessage("Expected query \"" + sql + "\" with parameters [3] to return 2 rows but it returns 3");
        assertThatThrownBy(() -> assertThatQuery(ds, "select name from q.items where price is null").isEmpty())
                .hasMessageContaining("Expected query \"select name from q.items where price is null\" to return no row but it returns 1:")
                .hasMessageContaining("('pear')");
        assertThatThrownBy(() -> assertThatQuery(ds, "select price from q.items").column("price").hasNoNulls())
                .hasMessage("Column price of query \"select price from q.items\" should have no NULLs but has 1");
        assertThatThrownBy(() -> assertThatQuery(ds, sql, 1).column("nope"))
                .hasMessageContaining("returns no column nope; its columns: [id, name]");
    }

    @Test
    void aQueryPostgresqlRefusesFailsWithTheQueryAndPostgresqlsMessage(DataSource ds) {
        assertThatThrownBy(() -> assertThatQuery(ds, "select * from q.nope where id = ?", "x").hasRowCount(0))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("cannot run query \"select * from q.nope where id = ?\" with parameters ['x']: ")
                .hasMessageContaining("relation \"q.nope\" does not exist");
    }
}
