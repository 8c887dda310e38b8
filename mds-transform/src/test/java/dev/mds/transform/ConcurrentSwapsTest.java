package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Table models swapped at the same time ({@code threads > 1}) that share a view they keep. */
@MdsPostgres
class ConcurrentSwapsTest {
    private static final String TABLE = "{{ config(materialized='table') }}\n";

    /**
     * Two table models read by one hand-made view, rebuilt at the same time: each swap locks its own table, reads the
     * view's definition (which locks the view and the tables it reads) and then drops and creates the view again. A
     * transaction of the test holds the view, so that both swaps wait there holding their own table: taking their
     * locks in opposite orders, they deadlocked every time and PostgreSQL failed one of the models.
     */
    @Test
    void twoTableModelsUnderOneHandMadeViewSwapAtTheSameTimeWithoutDeadlock(DataSource ds) throws Exception {
        TransformProject project = TransformProject.builder(ds).threads(2)
                .model("cs.a", TABLE + "select 1 as id")
                .model("cs.b", TABLE + "select 1 as id, 'x'::text as name")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create view cs.both as select a.id, b.name from cs.a a join cs.b b using (id)");
        // each swap locks both tables, in one order (schema, name), its own one exclusively
        assertThat(project.sql()).containsSubsequence(
                "lock table \"cs\".\"a\" in access exclusive mode", "lock table \"cs\".\"b\" in access share mode",
                "lock table \"cs\".\"a\" in access share mode", "lock table \"cs\".\"b\" in access exclusive mode");

        RunResults results;
        try (Connection hold = ds.getConnection()) {
            hold.setAutoCommit(false);
            try (Statement st = hold.createStatement()) {
                // an access exclusive lock on the view alone (LOCK TABLE on a view would lock cs.a and cs.b too)
                st.execute("alter view cs.both alter column id set default 0");
            }
            CompletableFuture<RunResults> run = CompletableFuture.supplyAsync(project::run);
            Thread.sleep(1500);
            hold.rollback();
            results = run.get(1, TimeUnit.MINUTES);
        }

        results.assertSucceeded();
        assertThat(results.model("cs.a").keptViews()).extracting(Object::toString).containsExactly("cs.both");
        assertThat(results.model("cs.b").keptViews()).extracting(Object::toString).containsExactly("cs.both");
        assertThatTable(ds, "cs.both").containsExactlyInAnyOrder(row(1, "x"));
    }
}
