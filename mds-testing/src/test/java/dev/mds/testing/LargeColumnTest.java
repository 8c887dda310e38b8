package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.math.BigDecimal;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** containsOnly over a column of many distinct values ends, with the values it finds missing and unexpected. */
@MdsPostgres
class LargeColumnTest {
    @Test
    void containsOnlyOverFiftyThousandDistinctValuesGivenInAnotherOrderPassesAndFailsByValue(DataSource ds) throws Exception {
        int n = 50_000;
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table big (amount numeric(10,2), name text)");
            Sql.execute(c, "insert into big select i / 100.0, 'name ' || i from generate_series(1, " + n + ") i");
        }
        Object[] amounts = new Object[n];
        Object[] names = new Object[n];
        for (int i = 1; i <= n; i++) {
            // in reverse order, numbers in another form (0.01 for 0.01, 5 for 5.00)
            amounts[n - i] = new BigDecimal(i).movePointLeft(2).stripTrailingZeros();
            names[n - i] = "name " + i;
        }
        assertThatTable(ds, "public.big").column("amount").containsOnly(amounts);
        assertThatTable(ds, "public.big").column("name").containsOnly(names);
        amounts[0] = new BigDecimal("0.001");
        names[n - 1] = "name 0";
        assertThatThrownBy(() -> assertThatTable(ds, "public.big").column("amount").containsOnly(amounts))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("and lacks [0.001]");
        assertThatThrownBy(() -> assertThatTable(ds, "public.big").column("name").containsOnly(names))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("but has unexpected values ['name 1']")
                .hasMessageContaining("and lacks ['name 0']");
    }
}
