package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Findings of a review as a demanding user of dbt tests and Great Expectations, each fixed. */
@MdsPostgres
class DemandingUserReviewTest {

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + table + " " + id));
    }

    /**
     * Write-audit-publish: the caller's transaction began, the load ran on, and only then does the audit run. Freshness
     * measured the age from {@code now()}, the start of the caller's transaction, so a feed whose newest row is older
     * than the maximum age at the time of the check passed, by as long as the load had taken.
     */
    @Test
    void freshnessInACallersTransactionMeasuresTheAgeAtTheCheckNotAtTheTransactionsStart(DataSource ds) throws Exception {
        sql(ds, "create table feed (id int, loaded_at timestamptz, loaded_ts timestamp, loaded_on date)");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                // the newest row is as old as the transaction; the load then goes on for 1.5 s
                st.execute("insert into feed values (1, now(), now() at time zone 'UTC', null)");
                st.execute("select pg_sleep(1.5)");
            }
            QualityReport r = QualitySuite.on(ds).table("feed", t -> t
                    .freshness("loaded_at", Duration.ofSeconds(1))
                    .freshness("loaded_ts", Duration.ofSeconds(1))
                    .freshness("loaded_at", Duration.ofSeconds(1)).groupBy("id").id("grouped"))
                    .run(c);
            assertThat(check(r, "public.feed", "freshness_loaded_at").status()).isEqualTo(Status.FAIL);
            assertThat(check(r, "public.feed", "freshness_loaded_at").message()).contains("more than 1s");
            assertThat(check(r, "public.feed", "freshness_loaded_ts").status()).isEqualTo(Status.FAIL);
            CheckResult grouped = check(r, "public.feed", "grouped");
            assertThat(grouped.status()).isEqualTo(Status.FAIL);
            assertThat(grouped.failingRows()).isEqualTo(1);
            assertThat(grouped.samples()).singleElement().satisfies(s -> assertThat(s).containsEntry("id", 1));
            c.rollback();
        }
    }
}
