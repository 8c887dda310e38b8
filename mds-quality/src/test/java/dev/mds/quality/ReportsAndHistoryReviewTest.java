package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** An adversarial review of the reports and the history: what a dbt-tests or Great Expectations user would try. */
@MdsPostgres
class ReportsAndHistoryReviewTest {

    /**
     * Two runs (two pipelines auditing at once) find the history table missing and both create it: the second's
     * create waits for the first's transaction and then failed on pg_type's unique index, so that run threw and
     * recorded nothing.
     */
    @Test
    void twoRunsCreatingTheHistoryTableAtOnceBothRecordTheirRuns(DataSource ds) throws Exception {
        sql(ds, "create schema audit_race", "create table hrace (id int)", "insert into hrace values (1), (2)");
        QualitySuite suite = QualitySuite.on(ds).history("audit_race.runs").table("hrace", t -> t.notNull("id"));
        try (Connection first = ds.getConnection()) {
            first.setAutoCommit(false);
            assertThat(suite.run(first).passed()).isTrue();
            // the first run's transaction is still open: the second finds no history table either
            CompletableFuture<QualityReport> second = CompletableFuture.supplyAsync(suite::run);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (strings(ds, "select count(*) from pg_stat_activity where datname = current_database()"
                    + " and wait_event_type = 'Lock'").equals(List.of("0")) && !second.isDone()) {
                assertThat(System.nanoTime()).as("the second run waits for a lock").isLessThan(until);
                Thread.sleep(10);
            }
            first.commit();
            // before: MdsException "cannot create the quality history table audit_race.runs: ERROR: duplicate key
            // value violates unique constraint "pg_type_typname_nsp_index""
            assertThat(second.get(30, TimeUnit.SECONDS).passed()).isTrue();
        }
        assertThat(strings(ds, "select count(distinct run_id) from audit_race.runs")).containsExactly("2");
    }
}
