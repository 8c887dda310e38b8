package dev.mds.bench;

import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.PostgresServer;
import dev.mds.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a suite gets: a durable embedded PostgreSQL (fsync and synchronous commit on, as users run it), fresh
 * databases on it, the number of rounds, the quick flag, and the one printer of {@code RATIO} lines.
 */
public final class BenchContext implements AutoCloseable {
    private final String suite;
    private final boolean quick;
    private final int rounds;
    private final List<String> ratios = new ArrayList<>();
    private EmbeddedPostgresServer server;
    private final List<TestDatabase> databases = new ArrayList<>();

    BenchContext(String suite, boolean quick, int rounds) {
        this.suite = suite;
        this.quick = quick;
        this.rounds = rounds;
    }

    /** The suite's name, the prefix of its figures. */
    public String suite() {
        return suite;
    }

    /** {@code --quick}: smaller data and fewer rounds, for development; figures are then indicative only. */
    public boolean quick() {
        return quick;
    }

    /** Timed rounds after the warm-up (5 by default, 3 in quick mode, {@code --rounds N} to choose). */
    public int rounds() {
        return rounds;
    }

    /** {@code full} in a normal run, {@code quick} in quick mode: pick data sizes with it. */
    public int scale(int full, int quickValue) {
        return quick ? quickValue : full;
    }

    /** The embedded PostgreSQL of this run, started on first use with PostgreSQL's durable defaults. */
    public synchronized PostgresServer server() {
        if (server == null) {
            server = EmbeddedPostgresServer.builder()
                    .setting("shared_buffers", "512MB")
                    .setting("max_wal_size", "4GB")
                    .setting("checkpoint_timeout", "30min")
                    .setting("work_mem", "64MB")
                    .setting("maintenance_work_mem", "256MB")
                    .start();
        }
        return server;
    }

    /** A fresh database on the run's server; dropped at the end of the run. */
    public synchronized TestDatabase database(String name) {
        TestDatabase db = server().createDatabase(name);
        databases.add(db);
        return db;
    }

    /** A series of timings for one side of a comparison. */
    public Series series(String label) {
        return new Series(label);
    }

    /**
     * Prints one figure in the contract form {@code RATIO <suite>.<figure> <value> goal <op> <target> PASS|MISS}.
     *
     * @param figure the figure's name without the suite prefix, e.g. {@code upsert50_vs_copy}
     * @param op {@code >=} or {@code <=}
     */
    public void ratio(String figure, double value, String op, double target) {
        boolean pass = switch (op) {
            case ">=" -> value >= target;
            case "<=" -> value <= target;
            case ">" -> value > target;
            case "<" -> value < target;
            default -> throw new IllegalArgumentException("unknown goal operator " + op);
        };
        String line = String.format(Locale.ROOT, "RATIO %s.%s %.2f goal %s %.2f %s", suite, figure, value, op, target,
                pass ? "PASS" : "MISS");
        ratios.add(line);
        System.out.println(line);
    }

    /** Prints a detail line (not part of the contract). */
    public void detail(String format, Object... args) {
        System.out.println("  " + String.format(Locale.ROOT, format, args));
    }

    List<String> ratios() {
        return ratios;
    }

    @Override
    public synchronized void close() {
        for (TestDatabase db : databases) {
            try {
                db.drop();
            } catch (RuntimeException e) {
                System.err.println("could not drop " + db.name() + ": " + e.getMessage());
            }
        }
        if (server != null) {
            server.close();
        }
    }
}
