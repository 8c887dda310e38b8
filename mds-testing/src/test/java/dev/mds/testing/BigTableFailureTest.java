package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A failed assertion on a big table lists the first rows of each kind and says how many more there are. */
@MdsPostgres
class BigTableFailureTest {
    @BeforeAll
    static void big(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table big as select g as id, 'name ' || g as name from generate_series(1, 2000) g");
        }
    }

    @Test
    void aFailureListsTheFirstTwentyMissingAndUnexpectedRowsAndCountsTheRest(DataSource ds) {
        Row[] expected = IntStream.rangeClosed(1, 30).mapToObj(i -> row(i, "other " + i)).toArray(Row[]::new);
        String n = System.lineSeparator();
        for (var assertion : java.util.List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                () -> assertThatTable(ds, "public.big").containsExactlyInAnyOrder(expected),
                () -> assertThatQuery(ds, "select * from big order by id").containsExactlyInAnyOrder(expected),
                () -> assertThatQuery(ds, "select * from big order by id").containsExactly(expected))) {
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(assertion);
            assertThat(failure).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("Missing (expected, not found) 30:" + n + "  (1, 'other 1')")
                    .hasMessageContaining("  (20, 'other 20')" + n + "  ... 10 more" + n + "Unexpected (found, not expected) 2000:")
                    .hasMessageContaining("  (20, 'name 20')" + n + "  ... 1980 more")
                    .hasMessageNotContaining("'other 21'")
                    .hasMessageNotContaining("'name 21'");
        }
        assertThatThrownBy(() -> assertThatTable(ds, "public.big").contains(expected)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("lacks 30 expected rows:" + n + "  (1, 'other 1')")
                .hasMessageContaining("  (20, 'other 20')" + n + "  ... 10 more" + n + "It holds 2000 rows, the first 20:")
                .hasMessageNotContaining("'other 21'");
    }

    @Test
    void isEmptyOnABigTableListsTheFirstTwentyRowsAndCountsTheRestAsTheQuerysDoes(DataSource ds) {
        String n = System.lineSeparator();
        for (var assertion : java.util.List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                () -> assertThatTable(ds, "public.big").isEmpty(),
                () -> assertThatQuery(ds, "select * from big").isEmpty())) {
            assertThatThrownBy(assertion).isInstanceOf(AssertionError.class)
                    .hasMessageContaining(" 2000")
                    .hasMessageContaining("  (20, 'name 20')" + n + "  ... 1980 more")
                    .hasMessageEndingWith(n + "  ... 1980 more")
                    .hasMessageNotContaining("'name 21'");
        }
    }

    @Test
    void aChangesFailureListsTheFirstTwentyChangesAndCountsTheRest(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table orders (id int primary key, status text)");
        }
        TableChanges changes = TableChanges.of(ds, "public.orders");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "insert into orders select g, 'new' from generate_series(1, 100) g");
        }
        String n = System.lineSeparator();
        assertThatThrownBy(() -> MdsAssertions.assertThatChanges(changes.end()).hasNumberOfChanges(1))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Changes found (100):" + n + "  creation public.orders key (1): (1, 'new')")
                .hasMessageContaining("  creation public.orders key (20): (20, 'new')" + n + "  ... 80 more")
                .hasMessageNotContaining("key (21)");
    }

    @Test
    void aColumnFailureListsTheFirstTwentyValuesAndCountsTheRest(DataSource ds) {
        assertThatThrownBy(() -> assertThatTable(ds, "public.big").column("name").containsOnly("x"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("but has unexpected values ['name 1', ")
                .hasMessageContaining("'name 20'] and 1980 more")
                .hasMessageNotContaining("'name 21'");
        assertThatThrownBy(() -> assertThatQuery(ds, "select 1 as one from big").column("one").hasNoDuplicates())
                .isInstanceOf(AssertionError.class)
                .hasMessageEndingWith("should have no duplicates but repeats [1] (1 value, in 2000 rows)");
        assertThatThrownBy(() -> assertThatQuery(ds, "select name from big union all select name from big").column("name")
                .hasNoDuplicates())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("should have no duplicates but repeats ['name 1', ")
                .hasMessageContaining("'name 20'] and 1980 more (2000 values, in 4000 rows)");
    }
}
