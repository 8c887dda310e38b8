package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** dbt-utils' mutually_exclusive_ranges with its {@code gaps} and {@code zero_length_range_allowed} arguments. */
@MdsPostgres
class RangeGapsTest {

    private static final String ROWS = "insert into gap.t values"
            + " (1, 1, 1, 3), (2, 1, 3, 5), (3, 1, 6, 8),"   // 1..3 touches 3..5; a gap of 1 before 6..8
            + " (4, 2, 2, 2), (5, 2, 2, 4),"                 // a zero-length range touching the next
            + " (6, 3, 1, null),"                            // a NULL bound fails whatever the options
            + " (7, 4, 5, 1)";                               // a reversed range fails whatever the options

    private static List<Object> failingIds(DataSource ds, Gaps gaps, boolean zeroLength) {
        QualityReport r = QualitySuite.on(ds).table("gap.t", t -> t.key("id")
                .mutuallyExclusiveRanges("lo", "hi", gaps, zeroLength, "cust")).run();
        CheckResult c = r.checks().get(0);
        assertThat(c.failingRows()).as(gaps + " " + zeroLength).isEqualTo(c.samples().size());
        return c.samples().stream().map(m -> m.get("id")).toList();
    }

    @Test
    void gapsAndZeroLengthRangesAreJudgedAsDbtUtilsJudgesThem(DataSource ds) throws Exception {
        sql(ds, "create schema gap", "create table gap.t (id int primary key, cust int, lo int, hi int)", ROWS);
        assertThat(failingIds(ds, Gaps.ALLOWED, false)).containsExactly(4, 6, 7);
        assertThat(failingIds(ds, Gaps.NOT_ALLOWED, false)).containsExactly(2, 4, 6, 7);
        assertThat(failingIds(ds, Gaps.REQUIRED, false)).containsExactly(1, 4, 6, 7);
        assertThat(failingIds(ds, Gaps.ALLOWED, true)).containsExactly(6, 7);
        assertThat(failingIds(ds, Gaps.NOT_ALLOWED, true)).containsExactly(2, 6, 7);
        assertThat(failingIds(ds, Gaps.REQUIRED, true)).containsExactly(1, 4, 6, 7);

        // the call without options is dbt-utils' defaults, the same statement as ALLOWED without zero-length ranges
        QualityReport defaults = QualitySuite.on(ds).table("gap.t", t -> t.mutuallyExclusiveRanges("lo", "hi", "cust")).run();
        QualityReport explicit = QualitySuite.on(ds).table("gap.t", t -> t
                .mutuallyExclusiveRanges("lo", "hi", Gaps.ALLOWED, false, "cust")).run();
        assertThat(defaults.checks().get(0).sql()).isEqualTo(explicit.checks().get(0).sql());
        assertThat(defaults.checks().get(0).observed()).isEqualTo(
                "3 of 7 rows have an empty range, a NULL bound or one overlapping the next range");

        QualityReport tiled = QualitySuite.on(ds).table("gap.t", t -> t
                .mutuallyExclusiveRanges("lo", "hi", Gaps.NOT_ALLOWED, true, "cust")).run();
        CheckResult c = tiled.checks().get(0);
        assertThat(c.status()).isEqualTo(Status.FAIL);
        assertThat(c.observed()).isEqualTo(
                "3 of 7 rows have a reversed range, a NULL bound or one not ending where the next range begins");
        assertThat(c.samples().get(0)).containsEntry("id", 2).containsEntry("hi", 5).containsEntry("next_lo", 6);
        assertThat(c.sql()).contains("\"lo\" <= \"hi\"", "\"hi\" = \"next_lo\"");
        assertThat(tiled.queries()).isEqualTo(2); // the window and its samples
        try (Connection conn = ds.getConnection()) {
            assertThat(QualitySuite.create().table("gap.t", t -> t
                    .mutuallyExclusiveRanges("lo", "hi", Gaps.NOT_ALLOWED, true, "cust")).sql(conn)).containsExactly(c.sql());
        }
        // a threshold counts the failing rows; severity WARN warns
        assertThat(QualitySuite.on(ds).table("gap.t", t -> t.mutuallyExclusiveRanges("lo", "hi", Gaps.REQUIRED, false, "cust")
                .threshold(Threshold.rows(4))).run().checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(QualitySuite.on(ds).table("gap.t", t -> t.mutuallyExclusiveRanges("lo", "hi", Gaps.REQUIRED, false, "cust")
                .warn()).run().checks().get(0).status()).isEqualTo(Status.WARN);
    }

    @Test
    void aMissingPartitionColumnIsAnErrorNamingItAndStoredFailuresHoldTheRows(DataSource ds) throws Exception {
        sql(ds, "create schema gap2", "create schema gap_audit", "create table gap2.t (id int primary key, cust int, lo int, hi int)",
                ROWS.replace("gap.t", "gap2.t"));
        QualityReport r = QualitySuite.on(ds).storeFailures("gap_audit").table("gap2.t", t -> t
                .mutuallyExclusiveRanges("lo", "hi", Gaps.REQUIRED, false, "customer")
                .mutuallyExclusiveRanges("lo", "hi", Gaps.REQUIRED, false, "cust").id("required")).run();
        assertThat(r.checks().get(0).status()).isEqualTo(Status.ERROR);
        assertThat(r.checks().get(0).message()).contains("\"customer\"", "does not exist in gap2.t");
        CheckResult required = r.checks().get(1);
        assertThat(required.failingRows()).isEqualTo(4);
        assertThat(required.failuresTable()).isEqualTo("gap_audit.t__required");
        try (Connection c = ds.getConnection(); var st = c.createStatement();
                var rs = st.executeQuery("select count(*), count(*) filter (where id = 1 and next_lo = 3) from gap_audit.t__required")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(4);
            assertThat(rs.getInt(2)).isEqualTo(1);
        }
        assertThat(r.toJson()).contains("not ending before the next range begins");
        assertThatThrownBy(() -> QualitySuite.on(ds).table("gap2.t", t -> t.mutuallyExclusiveRanges("lo", "hi", null, false)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("gaps");
    }
}
