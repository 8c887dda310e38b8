package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A row-count anomaly check's history is that of its table, check id and {@code where}: runs under another condition
 * (or none) are not its baseline, as elementary keys a volume anomaly's metrics by its {@code where_expression}.
 */
@MdsPostgres
class AnomalyHistoryByWhereTest {

    @Test
    void runsUnderAnotherWhereAreNotTheBaselineOfTheSameCheckId(DataSource ds) {
        sql(ds, "create table ev (id int, grp int)");
        QualitySuite today = QualitySuite.on(ds).history("dq.runs").table("ev", t -> t.where("grp = 1").rowCountAnomaly(3, 5));
        QualitySuite all = QualitySuite.on(ds).history("dq.runs").table("ev", t -> t.rowCountAnomaly(3, 5));
        load(ds, "ev", 10, 1000);
        for (int i = 0; i < 3; i++) {
            assertThat(today.run().checks().get(0).status()).isEqualTo(Status.PASS);
        }
        // the whole table under the same id: its own first run, not 101 times the filtered runs' mean
        CheckResult whole = all.run().checks().get(0);
        assertThat(whole.status()).as(whole.observed()).isEqualTo(Status.PASS);
        assertThat(whole.observed()).isEqualTo("1010 rows; 0 earlier runs, needs 2 to judge");
        all.run();
        CheckResult filtered = today.run().checks().get(0);
        assertThat(filtered.observed()).startsWith("10 rows; last 3 runs mean 10.0");
        CheckResult third = all.run().checks().get(0);
        assertThat(third.observed()).startsWith("1010 rows; last 2 runs mean 1010.0");
        assertThat(strings(ds, "select coalesce(where_condition, '(none)') || ' ' || count(*) from dq.runs group by where_condition order by 1"))
                .containsExactly("(none) 3", "grp = 1 4");
    }

    @Test
    void aHistoryTableOfAnEarlierVersionGainsTheWhereColumnAndItsRunsStayTheUnfilteredBaseline(DataSource ds) {
        sql(ds, "create table old_ev (id int, grp int)", "create schema dq_old",
                "create table dq_old.runs (run_id text not null, run_at timestamptz not null, table_name text not null,"
                        + " check_id text not null, kind text not null, severity text not null, status text not null,"
                        + " failing_rows bigint not null, checked_rows bigint not null, observed text not null,"
                        + " message text not null, primary key (run_id, table_name, check_id))",
                "insert into dq_old.runs select 'r' || g, now() - g * interval '1 day', 'public.old_ev', 'row_count_anomaly',"
                        + " 'row_count_anomaly', 'ERROR', 'PASS', 0, 1000 + g, '', '' from generate_series(1, 3) g");
        load(ds, "old_ev", 10, 1000);
        CheckResult whole = QualitySuite.on(ds).history("dq_old.runs").table("old_ev", t -> t.rowCountAnomaly(3, 5)).run().checks().get(0);
        assertThat(whole.observed()).startsWith("1010 rows; last 3 runs mean 1002.0");
        CheckResult filtered = QualitySuite.on(ds).history("dq_old.runs")
                .table("old_ev", t -> t.where("grp = 1").rowCountAnomaly(3, 5)).run().checks().get(0);
        assertThat(filtered.status()).as(filtered.observed()).isEqualTo(Status.PASS);
        assertThat(filtered.observed()).isEqualTo("10 rows; 0 earlier runs, needs 2 to judge");
        assertThat(strings(ds, "select count(*) from dq_old.runs where where_condition = 'grp = 1'")).containsExactly("1");
    }

    private static void load(DataSource ds, String table, int grp1, int others) {
        sql(ds, "truncate " + table, "insert into " + table + " select g, 1 from generate_series(1, " + grp1 + ") g",
                "insert into " + table + " select g, 2 from generate_series(1, " + others + ") g");
    }
}
