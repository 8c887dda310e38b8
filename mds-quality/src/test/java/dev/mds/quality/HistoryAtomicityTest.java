package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A run's history rows are written all or none, on a connection in auto-commit mode too. */
@MdsPostgres
class HistoryAtomicityTest {

    /**
     * pgjdbc sends a long batch in parts, each ended by a Sync, which in auto-commit mode commits the part: the
     * history insert of a suite with many checks was written in part when a later row failed.
     */
    @Test
    void aHistoryInsertThatFailsAtItsLastRowWritesNoneOfTheRunOnAnAutoCommitConnection(DataSource ds) throws Exception {
        sql(ds, "create schema ha", "create table ha.t (id int)", "insert into ha.t values (1)",
                "create table ha.runs (run_id text not null, run_at timestamptz not null, table_name text not null,"
                        + " check_id text not null, kind text not null, severity text not null, status text not null,"
                        + " failing_rows bigint not null, checked_rows bigint not null, observed text not null,"
                        + " message text not null, primary key (run_id, table_name, check_id), check (check_id <> 'e599'))");
        QualitySuite suite = QualitySuite.on(ds).samples(0).history("ha.runs").table("ha.t", t -> {
            for (int i = 0; i < 600; i++) {
                t.expression("e" + i, "id > 0");
            }
        });
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(true);
            assertThatThrownBy(() -> suite.run(c)).hasMessageContaining("ha.runs").hasMessageContaining("e599");
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(strings(ds, "select count(*) from ha.runs")).containsExactly("0");
    }
}
