package dev.mds.testing;

import dev.mds.core.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Runs an operation once for every statement it sends, killing its session at that statement
 * ({@link FaultInjection}), and checks each time what it left behind and that a re-run then gives exactly what an
 * uninterrupted run gives.
 *
 * <pre>{@code
 * int points = FaultSweep.on(ds)
 *         .setUp(d -> TestSql.execute(d, "drop schema if exists raw cascade"))
 *         .operation(d -> loader(d).load(batch))
 *         .failure(e -> assertThat(e).hasMessageContaining("raw.users"))
 *         .run();                                  // the number of kill points swept
 * }</pre>
 *
 * <p>For each statement {@code k} of an uninterrupted run, and each {@link FaultInjection.Moment} asked for (by
 * default {@link FaultInjection.Moment#BEFORE}, and {@link FaultInjection.Moment#LOST_REPLY} for the statements that
 * commit, unless {@link #everyLostReply()}): {@code setUp} brings the
 * database back to its state before the operation, the operation runs with its session killed at {@code k}, the
 * {@linkplain #check check} compares the database's {@linkplain Snapshot snapshot} with those before and after an
 * uninterrupted run, and the operation runs again, unharmed, and must leave exactly the snapshot of an uninterrupted
 * run (an operation that is not {@linkplain #idempotent idempotent}: only when it left the state before it). The default check is all-or-nothing: a failed operation left the state before it, except that a statement
 * that commits (a {@code COMMIT}, or any statement in auto-commit) whose reply was lost may have left the state after
 * it, never a mix; an operation that did not fail left the state after it.
 */
public final class FaultSweep {
    /** Where a session was killed. {@code commits}: the statement commits (COMMIT, or run in auto-commit). */
    public record Kill(int statement, FaultInjection.Moment moment, String sql, boolean commits) {
        @Override
        public String toString() {
            return "kill at statement " + statement + " (" + moment + ")" + (commits ? " [commits]" : "") + ": "
                    + abbreviate(sql);
        }
    }

    /** What an operation left behind after a kill, for a check of it. */
    public record Outcome(Kill kill, Throwable failure, Snapshot before, Snapshot after, Snapshot now) {
        /** Whether the killed operation threw. */
        public boolean failed() {
            return failure != null;
        }
    }

    /** A database operation that may throw anything. */
    @FunctionalInterface
    public interface Work {
        void run(DataSource ds) throws Exception;
    }

    /** A check of one outcome; throws {@link AssertionError} when it is wrong. */
    @FunctionalInterface
    public interface Check {
        void check(Outcome outcome) throws Exception;
    }

    /** A check of the failure of a killed operation (e.g. that its message names the table). */
    @FunctionalInterface
    public interface FailureCheck {
        void check(Throwable failure) throws Exception;
    }

    /**
     * Every non-system schema, relation (kind, columns and types, a view's definition) and row of a database, rows as
     * their text, sorted: two snapshots are equal when the database holds the same. Temporary relations are left out
     * (they die with their session), and so are columns named in {@code ignoredColumns} (times set by {@code now()}).
     */
    public record Snapshot(Map<String, List<String>> relations) {
        public Snapshot {
            relations = Collections.unmodifiableMap(new TreeMap<>(relations));
        }

        /** The snapshot of {@code ds}'s database now. */
        public static Snapshot of(DataSource ds, Set<String> ignoredColumns) {
            String list = "select n.nspname, c.relname, c.relkind::text, c.oid from pg_class c"
                    + " join pg_namespace n on n.oid = c.relnamespace"
                    + " where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')"
                    + " and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'"
                    + " union all select n.nspname, '', 'schema', 0 from pg_namespace n"
                    + " where n.nspname not in ('pg_catalog', 'information_schema', 'public')"
                    + " and n.nspname !~ '^pg_(toast|temp_)'";
            Map<String, List<String>> out = new TreeMap<>();
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                List<String[]> rels = new ArrayList<>();
                try (ResultSet rs = st.executeQuery(list)) {
                    while (rs.next()) {
                        rels.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
                    }
                }
                for (String[] r : rels) {
                    String name = r[0] + "." + r[1] + " (" + r[2] + ")";
                    if (r[2].equals("schema")) {
                        out.put(r[0] + " (schema)", List.of());
                        continue;
                    }
                    List<String> lines = new ArrayList<>();
                    List<String> columns = new ArrayList<>();
                    try (PreparedStatement ps = c.prepareStatement("select attname, format_type(atttypid, atttypmod)"
                            + " from pg_attribute where attrelid = ?::oid and attnum > 0 and not attisdropped order by attnum")) {
                        ps.setString(1, r[3]);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                lines.add("column " + rs.getString(1) + " " + rs.getString(2));
                                if (!ignoredColumns.contains(rs.getString(1))) {
                                    columns.add(Identifiers.quote(rs.getString(1)));
                                }
                            }
                        }
                    }
                    String rel = Identifiers.quote(r[0]) + "." + Identifiers.quote(r[1]);
                    if (r[2].equals("v") || r[2].equals("m")) {
                        try (ResultSet rs = st.executeQuery("select pg_get_viewdef(" + r[3] + "::oid)")) {
                            rs.next();
                            lines.add("definition " + rs.getString(1));
                        }
                    }
                    if (r[2].equals("S")) {
                        out.put(name, lines);
                        continue;
                    }
                    List<String> rows = new ArrayList<>();
                    String select = "select row(" + String.join(", ", columns) + ")::text from " + rel;
                    try (ResultSet rs = st.executeQuery(select)) {
                        while (rs.next()) {
                            rows.add("row " + rs.getString(1));
                        }
                    }
                    Collections.sort(rows);
                    lines.addAll(rows);
                    out.put(name, lines);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot take a snapshot of the database: " + e.getMessage(), e);
            }
            return new Snapshot(out);
        }

        /** The relations of this snapshot that differ from {@code other}'s, for a message. */
        public String differences(Snapshot other) {
            StringBuilder sb = new StringBuilder();
            Set<String> names = new java.util.TreeSet<>(relations.keySet());
            names.addAll(other.relations.keySet());
            for (String n : names) {
                List<String> a = relations.get(n);
                List<String> b = other.relations.get(n);
                if (!Objects.equals(a, b)) {
                    sb.append("\n  ").append(n).append(": ").append(a == null ? "(missing)" : a).append("\n    vs ")
                            .append(b == null ? "(missing)" : b);
                }
            }
            return sb.toString();
        }
    }

    private final DataSource ds;
    private Work setUp = d -> { };
    private Work operation;
    private FailureCheck failure = e -> { };
    private Check check = FaultSweep::allOrNothing;
    private boolean idempotent = true;
    private boolean everyLostReply;
    private Set<String> ignoredColumns = Set.of("updated_at");
    private List<FaultInjection.Moment> moments = List.of(FaultInjection.Moment.BEFORE, FaultInjection.Moment.LOST_REPLY);

    private FaultSweep(DataSource ds) {
        this.ds = Objects.requireNonNull(ds, "ds");
    }

    /** A sweep on the database of {@code ds}. */
    public static FaultSweep on(DataSource ds) {
        return new FaultSweep(ds);
    }

    /** Brings the database to the state before the operation (run before each run of it, on the unharmed data source). */
    public FaultSweep setUp(Work setUp) {
        this.setUp = Objects.requireNonNull(setUp, "setUp");
        return this;
    }

    /** The operation to kill, run on the data source it is given. */
    public FaultSweep operation(Work operation) {
        this.operation = Objects.requireNonNull(operation, "operation");
        return this;
    }

    /** A check of each failure a kill caused (default: none). */
    public FaultSweep failure(FailureCheck failure) {
        this.failure = Objects.requireNonNull(failure, "failure");
        return this;
    }

    /** The check of what a killed operation left (default: {@link #allOrNothing}). */
    public FaultSweep check(Check check) {
        this.check = Objects.requireNonNull(check, "check");
        return this;
    }

    /**
     * Whether running the operation twice gives what running it once gives (default true). An operation that is not
     * (an APPEND) is re-run after a kill only when the kill left the state before it: after a commit whose reply was
     * lost, its caller must look before running it again.
     */
    public FaultSweep idempotent(boolean idempotent) {
        this.idempotent = idempotent;
        return this;
    }

    /** Columns left out of snapshots (default {@code updated_at}, the state store's time). */
    public FaultSweep ignoreColumns(String... columns) {
        this.ignoredColumns = Set.of(columns);
        return this;
    }

    /**
     * Also loses the reply of statements that do not commit (by default only of those that commit: elsewhere the
     * transaction rolls back as at a kill before the next statement, only the statement that reports it differs).
     */
    public FaultSweep everyLostReply() {
        this.everyLostReply = true;
        return this;
    }

    /** The moments to kill at (default BEFORE and LOST_REPLY). */
    public FaultSweep moments(FaultInjection.Moment... moments) {
        this.moments = List.of(moments);
        return this;
    }

    /**
     * Sweeps every kill point.
     *
     * @return the number of statements of an uninterrupted run (each swept at every moment)
     * @throws AssertionError naming the kill point whose outcome is wrong
     */
    public int run() throws Exception {
        Objects.requireNonNull(operation, "operation");
        FaultInjection faults = FaultInjection.on(ds);
        DataSource faulty = faults.dataSource();
        setUp.run(ds);
        Snapshot before = Snapshot.of(ds, ignoredColumns);
        faults.countOnly();
        operation.run(faulty);
        Snapshot after = Snapshot.of(ds, ignoredColumns);
        List<String> statements = faults.statements();
        List<Boolean> commits = faults.commits();
        if (statements.isEmpty()) {
            throw new AssertionError("the operation sent no statement");
        }
        for (int k = 1; k <= statements.size(); k++) {
            for (FaultInjection.Moment m : moments) {
                if (m == FaultInjection.Moment.LOST_REPLY && !commits.get(k - 1) && !everyLostReply) {
                    continue;
                }
                setUp.run(ds);
                Snapshot again = Snapshot.of(ds, ignoredColumns);
                if (!again.equals(before)) {
                    throw new AssertionError("setUp did not bring back the state before the operation:" + again.differences(before));
                }
                Kill kill = new Kill(k, m, statements.get(k - 1), commits.get(k - 1));
                faults.killAt(k, m);
                Throwable thrown = null;
                try {
                    operation.run(faulty);
                } catch (Exception | AssertionError e) {
                    thrown = e;
                }
                if (faults.killed().isEmpty()) {
                    throw new AssertionError(kill + ": the operation sent only " + faults.count()
                            + " statements this time, the kill did not happen: " + faults.statements());
                }
                String killed = faults.killed().orElseThrow();
                try {
                    if (thrown != null) {
                        failure.check(thrown);
                    }
                    Snapshot now = Snapshot.of(ds, ignoredColumns);
                    check.check(new Outcome(kill, thrown, before, after, now));
                    if (!idempotent && !now.equals(before)) {
                        continue;   // done (a commit whose reply was lost happened): a re-run would do it twice
                    }
                    faults.countOnly();
                    try {
                        operation.run(faulty);
                    } catch (Exception e) {
                        throw new AssertionError("the re-run failed: " + e, e);
                    }
                    Snapshot rerun = Snapshot.of(ds, ignoredColumns);
                    if (!rerun.equals(after)) {
                        throw new AssertionError("the re-run left another state than an uninterrupted run:"
                                + rerun.differences(after));
                    }
                } catch (AssertionError e) {
                    AssertionError a = new AssertionError(kill + " (killed: " + killed + "): "
                            + e.getMessage() + (thrown == null ? "" : "\n  the operation threw: " + thrown), e);
                    if (thrown != null) {
                        a.addSuppressed(thrown);
                    }
                    throw a;
                }
            }
        }
        return statements.size();
    }

    /**
     * The default check: a failed operation left the state before it (or, when its kill lost the reply of a statement
     * that commits, the state before or the state after it); one that did not fail left the state after it.
     */
    public static void allOrNothing(Outcome o) {
        if (!o.failed()) {
            if (!o.now().equals(o.after())) {
                throw new AssertionError("the operation did not fail but left another state than an uninterrupted run:"
                        + o.now().differences(o.after()));
            }
            return;
        }
        if (o.now().equals(o.before())) {
            return;
        }
        boolean ambiguous = o.kill().commits() && o.kill().moment() == FaultInjection.Moment.LOST_REPLY;
        if (ambiguous && o.now().equals(o.after())) {
            return;
        }
        throw new AssertionError("the operation failed but changed the database"
                + (ambiguous ? " (neither the state before nor the state after it)" : "") + ":"
                + o.now().differences(o.before()));
    }

    private static String abbreviate(String sql) {
        String s = sql.replaceAll("\\s+", " ");
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
