package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * {@code range(...).exclusive()}: dbt-utils' {@code accepted_range} with {@code inclusive: false}, Great Expectations'
 * {@code strict_min} and {@code strict_max}: a value equal to a bound fails.
 */
@MdsPostgres
class RangeExclusiveTest {

    private static long scalar(DataSource ds, String query) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aValueOnAnExclusiveBoundFailsAsDbtUtilsAcceptedRangeWithInclusiveFalse(DataSource ds) throws Exception {
        sql(ds, "create table discounts (id int primary key, v numeric)",
                "insert into discounts values (1, 0), (2, 0.5), (3, 1), (4, 1.5), (5, null), (6, -0.5)");
        // dbt-utils' accepted_range(min_value=0, max_value=1, inclusive=false): its failing rows
        long dbtUtils = scalar(ds, "select count(*) from (select * from discounts where not (v > 0 and v < 1)) errors");
        assertThat(dbtUtils).isEqualTo(4);

        QualityReport r = QualitySuite.on(ds).storeFailures("public").table("discounts", t -> t.key("id")
                .range("v", 0, 1).exclusive()
                .range("v", 0, 1).id("inclusive")
                .range("v", 1, 1).exclusive().id("empty")
                .range("v", 0, null).exclusive().id("positive")
                .range("v", 1, 0).exclusive().id("reversed"))
                .run();
        CheckResult exclusive = r.check("public.discounts", "range_v").orElseThrow();
        assertThat(exclusive.failingRows()).isEqualTo(dbtUtils);
        assertThat(exclusive.observed()).isEqualTo("4 of 6 rows outside (0, 1)");
        assertThat(exclusive.samples()).extracting(m -> m.get("id")).containsExactly(1, 3, 4, 6);
        assertThat(scalar(ds, "select count(*) from " + exclusive.failuresTable())).isEqualTo(4);
        assertThat(r.check("public.discounts", "inclusive").orElseThrow().failingRows()).isEqualTo(2);
        assertThat(r.check("public.discounts", "inclusive").orElseThrow().observed()).endsWith("outside [0, 1]");
        assertThat(r.check("public.discounts", "empty").orElseThrow().failingRows()).as("each row once").isEqualTo(5);
        assertThat(r.check("public.discounts", "positive").orElseThrow().failingRows()).isEqualTo(2);
        assertThat(r.check("public.discounts", "positive").orElseThrow().samples()).extracting(m -> m.get("v"))
                .containsExactly(new BigDecimal("0"), new BigDecimal("-0.5"));
        assertThat(r.check("public.discounts", "reversed").orElseThrow().failingRows()).isEqualTo(5);
    }

    @Test
    void exclusiveFollowsOnlyARangeCheck(DataSource ds) {
        assertThatThrownBy(() -> QualitySuite.on(ds).table("t", t -> t.length("a", 1, 2).exclusive()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length_a").hasMessageContaining("range");
    }
}
