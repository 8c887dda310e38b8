package dev.mds.load.internal;

import dev.mds.core.Identifiers;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds which staged records a target refused when a load's write step failed as a whole (a MERGE, or a COPY whose
 * error names no line), after that step was rolled back to its savepoint. Runs only after a failure.
 *
 * <p>The rows the step would have written are materialised once as {@code pg_temp._mds_written}: every column of
 * the target as the step would have set it (the batch's value, the target's value for a column an update leaves
 * alone, the column default for an insert), plus {@code _mds_record}, the record number. Then, by the kind of the
 * error: NOT NULL by {@code is null}; a CHECK by its expression ({@code pg_get_expr} of the constraint) evaluated
 * over those rows ({@code is false}); a foreign key by an anti-join to the referenced table; a unique or exclusion
 * constraint by joining the written rows to each other and to the target rows the step leaves alone. Anything else
 * (a trigger, a row-level security policy, a partition bound, an expression or partial index), or a query that
 * finds nothing (rows that fail only together), falls back to a bounded bisection: the step is run again over
 * halves of the records inside savepoints, always undone.
 */
final class Refusals {
    static final String WRITTEN = "_mds_written";
    static final String RECORD = "_mds_record";
    /** Most re-runs of the write step a bisection makes. */
    static final int MAX_PROBES = 200;

    private static final Logger LOG = LoggerFactory.getLogger(Refusals.class);

    /** Runs the write step over only some records inside a savepoint, undoes it, and tells whether it failed. */
    @FunctionalInterface
    interface Probe {
        boolean fails(List<Long> records) throws SQLException;
    }

    /**
     * What was found.
     *
     * @param records record numbers of refused records, in batch order
     * @param together whether the records are refused only together (none alone)
     * @param how how they were found, for the message
     */
    record Found(List<Long> records, boolean together, String how) {
    }

    private final Connection c;
    private final TableName target;
    private final List<String> key;
    private final String written = Identifiers.quote("pg_temp", WRITTEN);
    private int probes;

    /**
     * @param key the load's key columns (empty for an APPEND without key): target rows of these keys are replaced
     *     by the written rows
     */
    Refusals(Connection c, TableName target, List<String> key) {
        this.c = c;
        this.target = target;
        this.key = key;
    }

    /** Materialises {@code writtenSql} (the target's columns and {@link #RECORD}) as {@code pg_temp._mds_written}. */
    void materialise(String writtenSql) {
        Sql.execute(c, "drop table if exists " + written);
        Sql.execute(c, "create temp table " + Identifiers.quote(WRITTEN) + " on commit drop as " + writtenSql);
    }

    /** The record numbers of the written rows, in order. */
    List<Long> candidates() throws SQLException {
        return records("select " + Identifiers.quote(RECORD) + " from " + written + " order by 1", Integer.MAX_VALUE);
    }

    /** The refused records, up to {@code limit}: by the error's kind, else by bisection over {@code candidates}. */
    Found find(SQLException error, Probe probe, List<Long> candidates, int limit) throws SQLException {
        ServerErrorMessage m = error instanceof PSQLException p ? p.getServerErrorMessage() : null;
        String state = error.getSQLState() == null ? "" : error.getSQLState();
        String constraint = m == null ? null : m.getConstraint();
        List<Long> found = List.of();
        String how = null;
        java.sql.Savepoint sp = c.setSavepoint();
        try {
            switch (state) {
                case "23502" -> {
                    if (m != null && m.getColumn() != null) {
                        found = records("select w." + q(RECORD) + " from " + written + " w where w." + q(m.getColumn())
                                + " is null order by 1", limit);
                        how = "column '" + m.getColumn() + "' would be NULL";
                    }
                }
                case "23514" -> {
                    String expr = constraint == null ? null : checkExpression(constraint);
                    if (expr != null) {
                        // the expression names the table's columns bare: they resolve to the written rows' columns
                        found = records("select w." + q(RECORD) + " from " + written + " w where (" + expr
                                + ") is false order by 1", limit);
                        how = "check (" + expr + ") is false";
                    }
                }
                case "23503" -> {
                    if (constraint != null) {
                        String sql = foreignKeyQuery(constraint);
                        if (sql != null) {
                            found = records(sql, limit);
                            how = "no referenced row";
                        }
                    }
                }
                case "23505", "23P01" -> {
                    if (constraint != null) {
                        String sql = state.equals("23505") ? uniqueQuery(constraint) : exclusionQuery(constraint);
                        if (sql != null) {
                            found = records(sql, limit);
                            how = state.equals("23505") ? "a value another row of the table or of this batch holds"
                                    : "it conflicts with another row of the table or of this batch";
                        }
                    }
                }
                default -> {
                }
            }
            c.releaseSavepoint(sp);
        } catch (SQLException e) {
            // a diagnostic query that does not work here (an odd expression): bisection instead
            LOG.debug("{}: diagnostic query failed ({}); bisecting", target, e.getMessage());
            c.rollback(sp);
            c.releaseSavepoint(sp);
            found = List.of();
        }
        if (!found.isEmpty()) {
            return new Found(found, false, how);
        }
        return bisect(probe, candidates, limit);
    }

    /**
     * After a refusal by a unique index over plain columns: the key of a target row marked deleted
     * ({@code deletedAt} not null, {@link dev.mds.load.DeleteMode#SOFT}) that holds a value a written row of another
     * key needs, as {@code id=1}; empty when none does (or the index is partial, on expressions, or another error).
     */
    java.util.Optional<String> markedDeletedHolder(SQLException error, String deletedAt) {
        ServerErrorMessage m = error instanceof PSQLException p ? p.getServerErrorMessage() : null;
        if (m == null || m.getConstraint() == null || !"23505".equals(error.getSQLState()) || key.isEmpty()) {
            return java.util.Optional.empty();
        }
        java.sql.Savepoint sp = null;
        try {
            sp = c.setSavepoint();
            List<String> cols = uniqueColumns(m.getConstraint());
            java.util.Optional<String> holder = java.util.Optional.empty();
            if (cols != null) {
                StringJoiner same = new StringJoiner(" and ");
                for (String col : cols) {
                    same.add("t." + q(col) + " = w." + q(col));
                }
                StringJoiner text = new StringJoiner(", ");
                for (String k : key) {   // each key value's first characters and length, shown as Shown.value shows it
                    text.add("left(t." + q(k) + "::text, " + Shown.MAX_CHARS + "), length(t." + q(k) + "::text)");
                }
                String sql = "select " + text + " from " + target.quoted() + " t join " + written + " w on " + same
                        + " where t." + q(deletedAt) + " is not null and (" + Identifiers.quoteAll("t", key)
                        + ") is distinct from (" + Identifiers.quoteAll("w", key) + ") limit 1";
                long t0 = System.nanoTime();
                try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        StringJoiner shown = new StringJoiner(", ");
                        for (int i = 0; i < key.size(); i++) {
                            shown.add(key.get(i) + "=" + Shown.cutAt(rs.getString(2 * i + 1), rs.getLong(2 * i + 2)));
                        }
                        holder = java.util.Optional.of(shown.toString());
                    }
                }
                Sql.logged(sql, t0);
            }
            c.releaseSavepoint(sp);
            return holder;
        } catch (SQLException e) {
            LOG.debug("{}: looking for a row marked deleted holding the value failed: {}", target, e.getMessage());
            try {
                if (sp != null) {
                    c.rollback(sp);
                    c.releaseSavepoint(sp);
                }
            } catch (SQLException ignored) {
                // the refusal is reported without the hint
            }
            return java.util.Optional.empty();
        }
    }

    /** The columns of the target's unique index {@code name} when it is not partial and has no expression; else null. */
    private List<String> uniqueColumns(String name) throws SQLException {
        String sql = "select i.indpred is null and 0 <> all(i.indkey::int2[]),"
                + " array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality u(n, o)"
                + " join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = u.n order by u.o)"
                + " from pg_catalog.pg_index i join pg_catalog.pg_class x on x.oid = i.indexrelid"
                + " where i.indrelid = " + PostgresDialect.INSTANCE.relationOid(target) + " and i.indisunique and x.relname = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1) ? strings(rs.getArray(2)) : null;
            }
        }
    }

    /** The expression of the target's CHECK constraint {@code name}, or null when it has none of that name. */
    private String checkExpression(String name) throws SQLException {
        String sql = "select pg_get_expr(k.conbin, k.conrelid) from pg_catalog.pg_constraint k where k.conrelid = "
                + PostgresDialect.INSTANCE.relationOid(target) + " and k.contype = 'c' and k.conname = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The query of written rows with no referenced row, for the target's foreign key {@code name}; or null. */
    private String foreignKeyQuery(String name) throws SQLException {
        String sql = "select k.confmatchtype = 'f', n.nspname, r.relname, k.confrelid = k.conrelid,"
                + " array(select a.attname::text from unnest(k.conkey) with ordinality u(n, o) join pg_catalog.pg_attribute a"
                + " on a.attrelid = k.conrelid and a.attnum = u.n order by u.o),"
                + " array(select a.attname::text from unnest(k.confkey) with ordinality u(n, o) join pg_catalog.pg_attribute a"
                + " on a.attrelid = k.confrelid and a.attnum = u.n order by u.o)"
                + " from pg_catalog.pg_constraint k join pg_catalog.pg_class r on r.oid = k.confrelid"
                + " join pg_catalog.pg_namespace n on n.oid = r.relnamespace"
                + " where k.conrelid = " + PostgresDialect.INSTANCE.relationOid(target) + " and k.contype = 'f' and k.conname = ?";
        boolean full;
        TableName parent;
        boolean self;
        List<String> cols;
        List<String> refs;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                full = rs.getBoolean(1);
                parent = TableName.of(rs.getString(2), rs.getString(3));
                self = rs.getBoolean(4);
                cols = strings(rs.getArray(5));
                refs = strings(rs.getArray(6));
            }
        }
        StringJoiner allSet = new StringJoiner(" and ");
        StringJoiner anySet = new StringJoiner(" or ");
        StringJoiner anyNull = new StringJoiner(" or ");
        StringJoiner match = new StringJoiner(" and ");
        StringJoiner matchSelf = new StringJoiner(" and ");
        for (int i = 0; i < cols.size(); i++) {
            allSet.add("w." + q(cols.get(i)) + " is not null");
            anySet.add("w." + q(cols.get(i)) + " is not null");
            anyNull.add("w." + q(cols.get(i)) + " is null");
            match.add("p." + q(refs.get(i)) + " = w." + q(cols.get(i)));
            matchSelf.add("x." + q(refs.get(i)) + " = w." + q(cols.get(i)));
        }
        String missing = "not exists (select 1 from " + parent.quoted() + " p where " + match + ")"
                + (self ? " and not exists (select 1 from " + written + " x where " + matchSelf + ")" : "");
        String where = full ? "(" + anySet + ") and (" + anyNull + " or " + missing + ")" : allSet + " and " + missing;
        return "select w." + q(RECORD) + " from " + written + " w where " + where + " order by 1";
    }

    /**
     * The written rows and the target rows the step leaves alone ({@code f}): the table as the step would leave it,
     * each row with its record number (NULL for a row already there).
     */
    private String finalRows(List<String> cols) {
        StringJoiner keyJoin = new StringJoiner(" and ");
        for (String k : key) {
            keyJoin.add("x." + q(k) + " = t." + q(k));
        }
        String kept = "select " + Identifiers.quoteAll("t", cols) + ", null::bigint from " + target.quoted() + " t"
                + (key.isEmpty() ? "" : " where not exists (select 1 from " + written + " x where " + keyJoin + ")");
        return "(select " + Identifiers.quoteAll(cols) + ", " + q(RECORD) + " from " + written + " union all " + kept
                + ") f (" + Identifiers.quoteAll(cols) + ", " + q(RECORD) + ")";
    }

    /** The query of written rows holding a value of the target's unique index {@code name} twice; or null. */
    private String uniqueQuery(String name) throws SQLException {
        String sql = "select i.indpred is null and 0 <> all(i.indkey::int2[]),"
                + " coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false),"
                + " array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality u(n, o)"
                + " join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = u.n order by u.o)"
                + " from pg_catalog.pg_index i join pg_catalog.pg_class x on x.oid = i.indexrelid"
                + " where i.indrelid = " + PostgresDialect.INSTANCE.relationOid(target) + " and i.indisunique and x.relname = ?";
        List<String> cols;
        boolean nullsNotDistinct;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return null;
                }
                nullsNotDistinct = rs.getBoolean(2);
                cols = strings(rs.getArray(3));
            }
        }
        StringJoiner same = new StringJoiner(" and ");
        StringJoiner set = new StringJoiner(" and ");
        for (String col : cols) {
            same.add(nullsNotDistinct ? "f." + q(col) + " is not distinct from w." + q(col) : "f." + q(col) + " = w." + q(col));
            set.add("w." + q(col) + " is not null");
        }
        return "select w." + q(RECORD) + " from " + written + " w where " + (nullsNotDistinct ? "" : set + " and ")
                + "exists (select 1 from " + finalRows(cols) + " where " + same + " and f." + q(RECORD)
                + " is distinct from w." + q(RECORD) + ") order by 1";
    }

    /** The query of written rows conflicting under the target's exclusion constraint {@code name}; or null. */
    private String exclusionQuery(String name) throws SQLException {
        String sql = "select i.indpred is null and 0 <> all(k.conkey),"
                + " array(select a.attname::text from unnest(k.conkey) with ordinality u(n, o) join pg_catalog.pg_attribute a"
                + " on a.attrelid = k.conrelid and a.attnum = u.n order by u.o),"
                + " array(select quote_ident(n.nspname) || '.' || o.oprname from unnest(k.conexclop) with ordinality u(op, ord)"
                + " join pg_catalog.pg_operator o on o.oid = u.op join pg_catalog.pg_namespace n on n.oid = o.oprnamespace"
                + " order by u.ord)"
                + " from pg_catalog.pg_constraint k join pg_catalog.pg_index i on i.indexrelid = k.conindid"
                + " where k.conrelid = " + PostgresDialect.INSTANCE.relationOid(target) + " and k.contype = 'x' and k.conname = ?";
        List<String> cols;
        List<String> ops;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return null;
                }
                cols = strings(rs.getArray(2));
                ops = strings(rs.getArray(3));
            }
        }
        StringJoiner conflict = new StringJoiner(" and ");
        for (int i = 0; i < cols.size(); i++) {
            // operator names come from the catalog (symbols, or a quoted schema and a symbol): OPERATOR() takes them
            conflict.add("f." + q(cols.get(i)) + " operator(" + ops.get(i) + ") w." + q(cols.get(i)));
        }
        return "select w." + q(RECORD) + " from " + written + " w where exists (select 1 from " + finalRows(cols)
                + " where " + conflict + " and f." + q(RECORD) + " is distinct from w." + q(RECORD) + ") order by 1";
    }

    /**
     * Bisection: halves of the failing set are tried until single failing records are found ({@code limit} at most,
     * {@link #MAX_PROBES} re-runs at most). A set that fails while both its halves pass fails only together: its
     * first records are returned as such when no single record was found.
     */
    Found bisect(Probe probe, List<Long> candidates, int limit) throws SQLException {
        List<Long> found = new ArrayList<>();
        List<List<Long>> together = new ArrayList<>();
        isolate(probe, candidates, true, found, together, limit);
        if (!found.isEmpty()) {
            found.sort(null);
            return new Found(found, false, "the write step fails with this record alone");
        }
        if (!together.isEmpty()) {
            List<Long> group = together.get(0);
            return new Found(group.subList(0, Math.min(limit, group.size())), true,
                    "the write step fails with these " + group.size() + " record(s) together, with none alone");
        }
        return new Found(List.of(), false, probes >= MAX_PROBES ? "not found within " + MAX_PROBES + " re-runs"
                : "no subset of the records fails on its own");
    }

    private void isolate(Probe probe, List<Long> set, boolean knownFailing, List<Long> found, List<List<Long>> together,
            int limit) throws SQLException {
        if (set.isEmpty() || found.size() >= limit || probes >= MAX_PROBES) {
            return;
        }
        if (!knownFailing) {
            probes++;
            if (!probe.fails(set)) {
                return;
            }
        }
        if (set.size() == 1) {
            found.add(set.get(0));
            return;
        }
        int half = set.size() / 2;
        List<Long> left = set.subList(0, half);
        List<Long> right = set.subList(half, set.size());
        int before = found.size();
        int probesBefore = probes;
        isolate(probe, left, false, found, together, limit);
        isolate(probe, right, false, found, together, limit);
        if (found.size() == before && probes < MAX_PROBES && probes == probesBefore + 2 && together.isEmpty()) {
            together.add(new ArrayList<>(set));   // both halves passed: the set fails only as a whole
        }
    }

    /** The first column of {@code sql}'s rows, at most {@code limit}. */
    List<Long> records(String sql, int limit) throws SQLException {
        List<Long> out = new ArrayList<>();
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next() && out.size() < limit) {
                out.add(rs.getLong(1));
            }
        }
        Sql.logged(sql, t0);
        return out;
    }

    private static List<String> strings(Array a) throws SQLException {
        return List.of((String[]) a.getArray());
    }

    private static String q(String name) {
        return Identifiers.quote(name);
    }
}
