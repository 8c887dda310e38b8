package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.count;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Kills a child JVM running source → load → commit with SIGKILL at random moments while a writer changes the
 * source, restarts it each time, and checks that the target ends equal to the source.
 */
@MdsPostgres
class CrashTest {
    private static final int KILLS = 6;

    @Test
    void targetEqualsSourceAfterRepeatedSigkillsWhileTheSourceChanges(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema crash", "create table crash.t (id int primary key, v int not null, note text)",
                "insert into crash.t select g, 0, md5(g::text) from generate_series(1, 300) g");
        Random random = new Random(42);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong transactions = new AtomicLong();
        Thread writer = new Thread(() -> write(ds, new Random(7), writing, transactions), "crash-writer");
        writer.start();
        Path logs = Files.createDirectories(Path.of("target", "crash-logs"));
        List<Long> committedAtKill = new ArrayList<>();
        try {
            for (int i = 0; i < KILLS; i++) {
                Process child = startChild(db, logs.resolve("child-" + i + ".log").toFile());
                if (i != 1) {
                    // mostly kill while streaming: once the slot is active, at a random moment within 3 s
                    Cdc.await("child " + i + " streaming", Duration.ofSeconds(60), () -> !child.isAlive() || count(ds,
                            "select count(*) from pg_replication_slots where slot_name = 'crash_slot' and active") == 1);
                }
                long lifeMillis = random.nextInt(3_000);
                if (child.waitFor(lifeMillis, TimeUnit.MILLISECONDS) || !child.isAlive()) {
                    throw new AssertionError("child exited by itself with " + child.exitValue() + "; see " + logs);
                }
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                committedAtKill.add(version(ds));
            }
        } finally {
            writing.set(false);
            writer.join(30_000);
        }
        assertThat(transactions.get()).as("the writer was busy").isGreaterThan(50);
        Process last = startChild(db, logs.resolve("child-last.log").toFile());
        try {
            Cdc.await("target equal to source after the last restart", Duration.ofSeconds(90),
                    () -> Cdc.tableExists(ds, "crash_w.t")
                            && Cdc.difference(ds, "crash.t", "crash_w.t", "id, v, note") == 0);
        } finally {
            last.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(count(ds, "select count(*) from crash_w.t")).isEqualTo(count(ds, "select count(*) from crash.t"));
        assertThat(Cdc.difference(ds, "crash.t", "crash_w.t", "id, v, note")).isZero();
        assertThat(committedAtKill).as("batches were committed between kills (offset versions)").last()
                .isNotEqualTo(0L);
        System.out.println("offset versions at each kill: " + committedAtKill + "; writer transactions: " + transactions);
        Cdc.dropSlot(ds, "crash_slot");
    }

    private static long version(DataSource ds) {
        if (!Cdc.tableExists(ds, "mds.state")) {
            return 0;
        }
        return count(ds, "select coalesce(max(version), 0) from mds.state where key like '%crash_slot'");
    }

    private static Process startChild(TestDatabase db, File log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), db.host(), Integer.toString(db.port()), db.name(), db.user(), db.password(),
                "crash_slot", "crash.t", "crash_w")
                .redirectErrorStream(true).redirectOutput(log).start();
    }

    private static void write(DataSource ds, Random r, AtomicBoolean writing, AtomicLong transactions) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            while (writing.get()) {
                int ops = 1 + r.nextInt(5);
                for (int i = 0; i < ops; i++) {
                    int id = 1 + r.nextInt(400);
                    switch (r.nextInt(4)) {
                        case 0 -> st.execute("insert into crash.t values (" + id + ", 0, 'new " + r.nextInt() + "')"
                                + " on conflict (id) do nothing");
                        case 1 -> st.execute("delete from crash.t where id = " + id);
                        default -> st.execute("update crash.t set v = v + 1, note = 'n" + r.nextInt() + "' where id = " + id);
                    }
                }
                c.commit();
                transactions.incrementAndGet();
                Thread.sleep(r.nextInt(5));
            }
        } catch (SQLException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
