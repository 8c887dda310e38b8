package dev.mds.bench;

import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.PostgresServer;
import dev.mds.testing.TestDatabase;
import java.math.BigDecimal;
import java.math.RoundingMode;
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
    private PostgresServer server;
    private final List<TestDatabase> databases = new ArrayList<>();
    private final List<AutoCloseable> pools = new ArrayList<>();

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

    /**
     * The embedded PostgreSQL of this run, started on first use with PostgreSQL's durable defaults. The embedded
     * server's launcher passes {@code -F} (fsync off) and {@code synchronous_commit=off} unless told otherwise, so
     * both are set back explicitly, and checked: a bench on a non-durable server would measure what users never get.
     * {@code -Dmds.bench.url=jdbc:postgresql://host:port/postgres} (with {@code mds.bench.user}, {@code
     * mds.bench.password}) runs on a server of one's own instead, for example a distribution's build; it must be
     * durable too.
     */
    public synchronized PostgresServer server() {
        if (server == null) {
            String url = System.getProperty("mds.bench.url");
            // a server of one's own (another build or version) keeps the operator's settings
            server = url != null
                    ? PostgresServer.external(url, System.getProperty("mds.bench.user", "postgres"),
                            System.getProperty("mds.bench.password", ""))
                    : EmbeddedPostgresServer.builder()
                            .setting("fsync", "on")
                            .setting("synchronous_commit", "on")
                            .setting("full_page_writes", "on")
                            .setting("shared_buffers", "512MB")
                            .setting("max_wal_size", "4GB")
                            .setting("checkpoint_timeout", "30min")
                            .setting("work_mem", "64MB")
                            .setting("maintenance_work_mem", "256MB")
                            .start();
            try (var ds = server.dataSource("postgres", 1)) {
                System.out.println("  server: " + requireDurable(ds, "the bench server"));
            }
        }
        return server;
    }

    /**
     * The server's version and durability settings as a session of {@code ds} sees them; throws unless fsync,
     * synchronous_commit and full_page_writes are on (a database or role can override the last two).
     */
    private static String requireDurable(javax.sql.DataSource ds, String where) {
        try (var c = ds.getConnection(); var st = c.createStatement();
             var rs = st.executeQuery("select current_setting('fsync'), current_setting('synchronous_commit'),"
                     + " current_setting('full_page_writes')")) {
            rs.next();
            String settings = "fsync=" + rs.getString(1) + " synchronous_commit=" + rs.getString(2) + " full_page_writes=" + rs.getString(3);
            if (!settings.equals("fsync=on synchronous_commit=on full_page_writes=on")) {
                throw new IllegalStateException(where + " is not durable: " + settings);
            }
            return "PostgreSQL " + c.getMetaData().getDatabaseProductVersion() + ", " + settings;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the settings of " + where + ": " + e.getMessage(), e);
        }
    }

    /**
     * A fresh database on the run's server; dropped at the end of the run. Checked durable as its own sessions see
     * it, since a database's or role's settings would override the server's.
     */
    public synchronized TestDatabase database(String name) {
        TestDatabase db = server().createDatabase(name);
        databases.add(db);
        try (var ds = db.newDataSource(1)) {
            requireDurable(ds, "database " + name);
        }
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
        String line = ratioLine(suite, figure, value, op, target);
        ratios.add(line);
        System.out.println(line);
    }

    /**
     * The {@code RATIO} line of one figure. The value is printed with two decimals rounded towards a miss (down for
     * {@code >=} and {@code >}, up for {@code <=} and {@code <}), and the verdict is that of the printed value, so a
     * reader checking the line gets the bench's verdict, and rounding never turns a miss into a pass: 0.4996 against
     * {@code >= 0.50} is {@code 0.49 ... MISS}, not {@code 0.50 ... MISS}. A value that is not a number (NaN, an
     * infinity: a zero time) is no figure and throws.
     */
    static String ratioLine(String suite, String figure, double value, String op, double target) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalStateException("figure " + suite + "." + figure + " is " + value + ", not a ratio");
        }
        RoundingMode towardsMiss = switch (op) {
            case ">=", ">" -> RoundingMode.FLOOR;
            case "<=", "<" -> RoundingMode.CEILING;
            default -> throw new IllegalArgumentException("unknown goal operator " + op);
        };
        BigDecimal shown = BigDecimal.valueOf(value).setScale(2, towardsMiss);
        int c = shown.compareTo(BigDecimal.valueOf(target));
        boolean pass = switch (op) {
            case ">=" -> c >= 0;
            case ">" -> c > 0;
            case "<=" -> c <= 0;
            default -> c < 0;
        };
        return String.format(Locale.ROOT, "RATIO %s.%s %s goal %s %.2f %s", suite, figure, shown.toPlainString(), op,
                target, pass ? "PASS" : "MISS");
    }

    /** Prints a detail line (not part of the contract). */
    public void detail(String format, Object... args) {
        System.out.println("  " + String.format(Locale.ROOT, format, args));
    }

    List<String> ratios() {
        return ratios;
    }

    /** A connection pool on a database of this run, closed with the run (before its database is dropped). */
    public synchronized javax.sql.DataSource dataSource(TestDatabase db, int maxPoolSize) {
        return dataSource(db, maxPoolSize, java.util.Map.of());
    }

    /** As {@link #dataSource(TestDatabase, int)}, with pgjdbc connection properties. */
    public synchronized javax.sql.DataSource dataSource(TestDatabase db, int maxPoolSize, java.util.Map<String, String> properties) {
        var pool = db.newDataSource(maxPoolSize, properties);
        pools.add(pool);
        return pool;
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable pool : pools) {
            try {
                pool.close();
            } catch (Exception e) {
                System.err.println("could not close a pool: " + e.getMessage());
            }
        }
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
