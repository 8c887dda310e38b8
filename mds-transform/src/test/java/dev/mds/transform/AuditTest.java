package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Write-audit-publish: an {@link Audit} sees the model's new version in its transaction and can reject it. */
@MdsPostgres
class AuditTest {
    /** Rejects a relation holding a negative amount, naming how many. */
    private static final Audit NO_NEGATIVE_AMOUNTS = (connection, relation) -> {
        long bad = count(connection, "select count(*) from " + relation.quoted() + " where amount < 0");
        if (bad > 0) {
            throw new IllegalStateException(bad + " rows of " + relation + " have a negative amount");
        }
    };

    /** The test class shares one database: each test starts from no model and an empty source. */
    private static final String FRESH = "drop schema if exists au cascade; drop schema if exists ausrc cascade;"
            + " create schema ausrc; create table ausrc.payments (id int, amount numeric);";

    private static long count(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static TransformProject project(DataSource ds, Audit... audits) {
        TransformProject.Builder b = TransformProject.builder(ds)
                .model("au.totals", "{{ config(materialized='table') }}\nselect id, amount from ausrc.payments")
                .model("au.report", "select sum(amount) as total from {{ ref('au.totals') }}");
        for (Audit a : audits) {
            b.audit("au.totals", a);
        }
        return b.build();
    }

    @Test
    void anAuditSeesTheNewVersionAndARejectionKeepsTheOldOneAndSkipsTheModelsDownstream(DataSource ds) {
        TestSql.sql(ds, FRESH + " insert into ausrc.payments values (1, 10), (2, 20)");
        List<Long> seen = new ArrayList<>();
        Audit counting = (connection, relation) -> seen.add(count(connection, "select count(*) from " + relation.quoted()));
        project(ds, counting, NO_NEGATIVE_AMOUNTS).run().assertSucceeded();
        assertThat(seen).containsExactly(2L);

        TestSql.sql(ds, "insert into ausrc.payments values (3, -5), (4, 7)");
        RunResults results = project(ds, counting, NO_NEGATIVE_AMOUNTS).run();
        assertThat(seen).containsExactly(2L, 4L);                   // the audit read the new version
        assertThat(results.model("au.totals").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(results.model("au.totals").error().orElseThrow())
                .isEqualTo("au.totals: audit 2 of 2 rejected the build: 1 rows of au.totals have a negative amount;"
                        + " the model is unchanged");
        assertThat(results.model("au.report").status()).isEqualTo(ModelStatus.SKIPPED);
        assertThat(TestSql.strings(ds, "select count(*) || ' ' || sum(amount) from au.totals")).containsExactly("2 30");
    }

    @Test
    void aRejectedFirstBuildLeavesNoRelation(DataSource ds) {
        TestSql.sql(ds, FRESH + " insert into ausrc.payments values (1, -1)");
        RunResults results = project(ds, NO_NEGATIVE_AMOUNTS).run();
        assertThat(results.model("au.totals").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(TestSql.strings(ds, "select to_regclass('au.totals') is null")).containsExactly("t");
    }

    @Test
    void anAuditMayNotCommitOrCloseTheModelsTransaction(DataSource ds) {
        TestSql.sql(ds, FRESH + " insert into ausrc.payments values (1, 1)");
        for (Audit sneaky : List.<Audit>of((c, r) -> c.commit(), (c, r) -> c.close(), (c, r) -> c.setAutoCommit(true),
                (c, r) -> c.rollback())) {
            RunResults results = project(ds, sneaky).run();
            assertThat(results.model("au.totals").error().orElseThrow()).contains("may not call")
                    .contains("inside the model's transaction");
            assertThat(TestSql.strings(ds, "select to_regclass('au.totals') is null")).containsExactly("t");
        }
        // a savepoint is fine, and so is a statement that fails inside one
        Audit careful = (c, r) -> {
            var sp = c.setSavepoint();
            try (Statement st = c.createStatement()) {
                st.execute("select 1 / 0");
            } catch (java.sql.SQLException expected) {
                c.rollback(sp);
            }
        };
        project(ds, careful).run().assertSucceeded();
    }

    @Test
    void anAuditOfAnUnknownOrEphemeralModelIsRefusedAtBuild(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("au.a", "select 1 as id")
                .audit("au.b", NO_NEGATIVE_AMOUNTS).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("au.b, which is no model");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("au.a", "{{ config(materialized='ephemeral') }}\nselect 1")
                .model("au.c", "select * from {{ ref('au.a') }}").audit("au.a", NO_NEGATIVE_AMOUNTS).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ephemeral");
        assertThat(TransformProject.builder(ds).model("au.a", "select 1 as id").audit("AU.A", (c, r) -> { }).build()
                .models()).containsExactly("au.a");
    }
}
