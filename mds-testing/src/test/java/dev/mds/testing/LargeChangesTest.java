package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.math.BigDecimal;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** containsDeletions and containsCreations over many changes end, with the rows they find missing. */
@MdsPostgres
class LargeChangesTest {
    @Test
    void containsDeletionsOfTwentyThousandRowsGivenInAnotherOrderPassesAndNamesAMissingOne(DataSource ds) throws Exception {
        int n = 20_000;
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table big (id int primary key, amount numeric(10,2))");
            Sql.execute(c, "create table other (id int primary key)");
            Sql.execute(c, "insert into big select i, i / 100.0 from generate_series(1, " + n + ") i");
            Sql.execute(c, "insert into other values (1)");
        }
        TableChanges changes = TableChanges.of(ds, "public.big", "public.other");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "delete from big");
            Sql.execute(c, "delete from other");
            Sql.execute(c, "insert into big values (" + (n + 1) + ", 1)");
        }
        TableChanges ended = changes.end();
        Row[] deleted = new Row[n];
        for (int i = 1; i <= n; i++) {
            deleted[n - i] = row((long) i, new BigDecimal(i).movePointLeft(2).stripTrailingZeros());
        }
        assertThatChanges(ended).containsDeletions(deleted).containsDeletions(row(1)).containsCreations(row(n + 1, 1.00));
        deleted[0] = row(n + 2, 1);
        assertThatThrownBy(() -> assertThatChanges(ended).containsDeletions(deleted))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("to include" + System.lineSeparator() + "  (" + (n + 2) + ", 1)" + System.lineSeparator()
                        + "but no deletion matches");
        assertThatThrownBy(() -> assertThatChanges(ended).onTable("public.big").containsDeletions(row(1)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("  (1)" + System.lineSeparator() + "but no deletion");
    }
}
