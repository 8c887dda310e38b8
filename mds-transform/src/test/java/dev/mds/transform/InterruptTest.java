package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Interrupting the thread that runs a project (a scheduler's timeout, {@code future.cancel(true)}) stops the run: no
 * model starts after the interrupt, the models already running finish (each commits or rolls back in its own
 * transaction) before {@code run()} throws, and the exception names what was built and what was not started.
 */
@MdsPostgres
class InterruptTest {

    static TransformProject project(DataSource ds, String schema, int threads) {
        return TransformProject.builder(ds)
                .model(schema + ".slow", "{{ config(materialized='table') }}\nselect 1 as id from pg_sleep(1.5)")
                .model(schema + ".next", "{{ config(materialized='table') }}\nselect id from {{ ref('" + schema + ".slow') }}")
                .model(schema + ".last", "{{ config(materialized='table') }}\nselect id from {{ ref('" + schema + ".next') }}")
                .threads(threads).build();
    }

    @ParameterizedTest(name = "threads({0})")
    @ValueSource(ints = {1, 2})
    void anInterruptedRunStartsNoMoreModelsAndReturnsOnlyOnceTheRunningOnesFinished(int threads, DataSource ds)
            throws Exception {
        String schema = "intr" + threads;
        TransformProject project = project(ds, schema, threads);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flagAfter = new AtomicReference<>();
        AtomicReference<List<String>> builtWhenThrown = new AtomicReference<>();
        Thread runner = new Thread(() -> {
            try {
                project.run();
            } catch (Throwable e) {
                thrown.set(e);
                builtWhenThrown.set(relations(ds, schema));
            }
            flagAfter.set(Thread.currentThread().isInterrupted());
        });
        runner.start();
        waitForSleepingSession(ds);
        runner.interrupt();
        runner.join(TimeUnit.SECONDS.toMillis(30));

        assertThat(runner.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(MdsException.class)
                .hasMessage("interrupted while running models: done " + schema + ".slow (SUCCESS); not started: "
                        + schema + ".next, " + schema + ".last (each model is built in its own transaction: the ones that"
                        + " succeeded are committed, the others are as they were)");
        assertThat(flagAfter.get()).as("the interrupt flag stays set").isTrue();
        // the running model had finished (committed) when run() threw; nothing was left running to commit later
        assertThat(builtWhenThrown.get()).containsExactly("slow");
        Thread.sleep(300);
        assertThat(relations(ds, schema)).containsExactly("slow");
    }

    static List<String> relations(DataSource ds, String schema) {
        return TestSql.strings(ds, "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                + " where n.nspname = '" + schema + "' order by 1");
    }

    static void waitForSleepingSession(DataSource ds) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (!TestSql.strings(ds, "select pid from pg_stat_activity where query like '%pg_sleep(1.5)%'"
                    + " and pid <> pg_backend_pid()").isEmpty()) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the slow model never started");
    }
}
