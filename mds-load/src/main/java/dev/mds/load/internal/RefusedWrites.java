package dev.mds.load.internal;

import static dev.mds.load.internal.LoadStatements.CHANGE;
import static dev.mds.load.internal.LoadStatements.COMMIT;
import static dev.mds.load.internal.LoadStatements.DELETED_AT;
import static dev.mds.load.internal.LoadStatements.STAGE_TABLE;
import static dev.mds.load.internal.LoadStatements.S_DELETE;
import static dev.mds.load.internal.LoadStatements.UNCHANGED_PREFIX;

import dev.mds.core.Identifiers;
import dev.mds.core.InputLocation;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.load.DeleteMode;
import dev.mds.load.OnBadRow;
import dev.mds.load.RefusedRowsException;
import dev.mds.load.SyncMode;
import dev.mds.load.internal.CopyBinary.Encoding;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a load does when the target refuses one of its write steps (the COPY straight into it, the MERGE, the CDC
 * delete) without naming a line: undoes the step to its savepoint {@value #APPLY}, finds the records to blame
 * ({@link Refusals}: the rows the step would write, checked against the table's constraints, then bisection by
 * running the step again on parts, each undone), and either builds the {@link RefusedRowsException} naming the
 * table, constraint, records and keys, or with {@link OnBadRow#DEAD_LETTER} sets the records aside for the step to
 * run again. Diagnostics only: none of this runs unless the table refused a step.
 */
final class RefusedWrites {
    private static final Logger LOG = LoggerFactory.getLogger(RefusedWrites.class);

    /** The savepoint around a load's write step, so that a step the table refuses can be looked into. */
    static final String APPLY = "_mds_apply";
    static final String SAVEPOINT_APPLY = "savepoint " + APPLY + "; ";
    static final String RELEASE_APPLY = "release savepoint " + APPLY + "; ";
    /** Most rounds of setting refused rows aside ({@link OnBadRow#DEAD_LETTER}) before the load gives up. */
    static final int MAX_DEAD_LETTER_ROUNDS = 20;

    private final LoadSpec spec;
    private final TableName target;
    private final LoadStatements statements;

    RefusedWrites(LoadSpec spec, TableName target, LoadStatements statements) {
        this.spec = spec;
        this.target = target;
        this.statements = statements;
    }

    /**
     * Whether an error of a write step is the table refusing a row, worth looking for: an integrity constraint (23),
     * a data exception (22, e.g. raised by a trigger's arithmetic), an error raised by a trigger (P0, 09), a
     * row-level security or check option refusal (42501, 44), a row beyond a size limit (54000: an index entry
     * too large, "index row requires 20016 bytes, maximum size is 8191"). Not a timeout, a deadlock or a lost connection.
     */
    static boolean isRefusal(SQLException x) {
        String state = x.getSQLState() == null ? "" : x.getSQLState();
        return state.startsWith("23") || state.startsWith("22") || state.startsWith("P0") || state.startsWith("09")
                || state.startsWith("44") || state.equals("42501") || state.equals("54000");
    }

    /** Whether PostgreSQL refused a COPY because row-level security applies. */
    static boolean rowSecurity(SQLException x) {
        return "0A000".equals(x.getSQLState()) && String.valueOf(x.getMessage()).contains("row-level security");
    }

    /**
     * After the target refused a COPY straight into it without naming a line (a foreign key, an AFTER trigger):
     * undoes it to its savepoint, stages the rows with their record numbers, and finds which records the table
     * refuses (see {@link Refusals}; the bisection COPYs halves of the rows again, each undone).
     */
    RefusedRowsException byCopy(Connection c, Plan plan, String sql, List<Row> rows, RowWriter writer, RowWriter stageWriter,
            SQLException x, MdsException failed) {
        undo(c, failed);
        Map<Long, Row> byNumber = byNumber(rows);
        return released(c, exception(plan, "the COPY", x, inCopy(c, plan, sql, rows, byNumber, writer, stageWriter,
                x, RefusedRowsException.MAX_ROWS), byNumber));
    }

    static Map<Long, Row> byNumber(List<Row> rows) {
        Map<Long, Row> byNumber = new HashMap<>(Math.max(16, rows.size() * 4 / 3 + 1));
        for (Row r : rows) {
            byNumber.put(r.recordNumber, r);
        }
        return byNumber;
    }

    /**
     * The records of {@code rows} a COPY straight into the target ({@code sql}, undone) was refused for: the rows
     * are staged with their record numbers and looked into by {@link Refusals}; its bisection COPYs parts of the
     * rows again, each undone.
     */
    Refusals.Found inCopy(Connection c, Plan plan, String sql, List<Row> rows, Map<Long, Row> byNumber,
            RowWriter writer, RowWriter stageWriter, SQLException x, int limit) {
        try {
            Sql.execute(c, statements.dropStage());
            Sql.execute(c, statements.createStage(plan, true));
            stageWriter.numbered().copy(c, statements.stageCopySql(), rows, false);
            Refusals refusals = new Refusals(c, target, List.of());   // the target rows all stay: none is replaced
            refusals.materialise("select " + writtenColumns(c, plan, false) + ", s." + Identifiers.quote(Refusals.RECORD)
                    + " from " + STAGE_TABLE + " s");
            return refusals.find(x, records -> {
                List<Row> part = new ArrayList<>(records.size());
                for (long n : records) {
                    part.add(byNumber.get(n));
                }
                return fails(c, () -> writer.copy(c, sql, part, false));
            }, refusals.candidates(), limit);
        } catch (SQLException | MdsException d) {
            x.addSuppressed(d);
            LOG.debug("{}: looking for the refused rows failed: {}", target, d.getMessage());
            return new Refusals.Found(List.of(), false, "looking for them failed");
        }
    }

    /**
     * What a MERGE reads and writes, for finding the rows a table refused: its source (alias {@code s}, the stage
     * or the CDC upserts of it), the condition on which it updates a matched row {@code t} (null: it never
     * updates), the staged rows and the rejects of the load.
     */
    record MergeShape(String source, String matched, List<Row> rows, Rejects rejects, RowWriter stageWriter) {
    }

    /**
     * After the target refused the MERGE (a constraint, trigger or policy checked only when it writes): undoes it
     * to its savepoint and finds which staged records the table refuses (see {@link Refusals}). With
     * {@link OnBadRow#FAIL}, or when no single record is to blame, throws a {@link RefusedRowsException} naming the
     * table, the constraint and the records; with {@link OnBadRow#DEAD_LETTER} writes them to the dead-letter table,
     * takes them out of the stage (and of {@code shape.rows}) and returns how many, for the MERGE to run again.
     */
    long byMerge(Connection c, Plan plan, String merge, MergeShape shape, SQLException x, MdsException failed) {
        undo(c, failed);
        boolean deadLetter = spec.onBadRow() != OnBadRow.FAIL;   // DEAD_LETTER or SKIP: set aside
        Map<Long, Row> byNumber = byNumber(shape.rows());
        Refusals.Found found;
        String numbers = Identifiers.quote("pg_temp", NUMBERS);
        try {
            stageNumbers(c, plan, shape.rows());
            Refusals refusals = new Refusals(c, target, plan.key);
            refusals.materialise(writtenSql(c, plan, shape));
            String keep = "delete from " + STAGE_TABLE + " s using " + numbers + " n where " + statements.keyJoin(plan, "n", "s")
                    + " and not n." + Identifiers.quote(Refusals.RECORD) + " = any(?)";
            found = refusals.find(x, records -> probe(c, keep, records, merge), refusals.candidates(),
                    deadLetter ? Integer.MAX_VALUE : RefusedRowsException.MAX_ROWS);
            if (spec.mode() == SyncMode.CDC && spec.deleteMode() == DeleteMode.SOFT) {
                // a key change: the old key's row, marked deleted, keeps the value the new key's row needs
                Optional<String> holder = refusals.markedDeletedHolder(x, DELETED_AT);
                if (holder.isPresent()) {
                    found = new Refusals.Found(found.records(), found.together(), found.how() + "; the row of key "
                            + holder.get() + ", which holds the value, is marked deleted: DeleteMode.SOFT keeps a deleted"
                            + " row with its values, so a unique index of the target must leave marked rows out (create it"
                            + " with 'where _deleted_at is null'), or load with DeleteMode.HARD");
                }
            }
        } catch (SQLException | MdsException d) {
            x.addSuppressed(d);
            LOG.debug("{}: looking for the refused rows failed: {}", target, d.getMessage());
            throw released(c, exception(plan, "the MERGE", x, new Refusals.Found(List.of(), false, "looking for them failed"),
                    byNumber));
        }
        if (!deadLetter || found.records().isEmpty() || found.together() || ++shape.rejects().rounds > MAX_DEAD_LETTER_ROUNDS) {
            throw released(c, exception(plan, "the MERGE", x, found, byNumber));
        }
        String reason = "the table refused it when the MERGE wrote it (" + found.how() + "): " + serverMessage(x);
        for (long n : found.records()) {
            Row r = byNumber.get(n);
            shape.rejects().add(n, plan.keyText(r.values), reason, r.values);
        }
        String sql = "delete from " + STAGE_TABLE + " s using " + numbers + " n where " + statements.keyJoin(plan, "n", "s")
                + " and n." + Identifiers.quote(Refusals.RECORD) + " = any(?)";
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("int8", found.records().toArray()));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        Sql.logged(sql, t0);
        Set<Long> gone = new HashSet<>(found.records());
        List<Row> fallback = new ArrayList<>();
        for (long n : found.records()) {
            if (byNumber.get(n).before != null) {
                // as after a refused COPY: the key's earlier records or events of this batch, without the refused one
                fallback.add(byNumber.get(n).before);
            }
        }
        shape.rows().removeIf(r -> gone.contains(r.recordNumber));
        if (!fallback.isEmpty()) {
            try {
                shape.stageWriter().copy(c, statements.stageCopySql(), fallback, false);
            } catch (SQLException e) {
                throw Sql.failed(statements.stageCopySql(), e);
            }
            shape.rows().addAll(fallback);
        }
        LOG.debug("{}: {} record(s) the table refused set aside; merging again", target, gone.size());
        return gone.size() - fallback.size();
    }

    /**
     * After the target refused the CDC delete (a foreign key of another table referencing a deleted row, a trigger;
     * with {@link DeleteMode#SOFT} the MERGE marking rows deleted, which also inserts a key the batch wrote and deleted):
     * undoes it to its savepoint and finds the delete events to blame by bisection over the staged deletes that would
     * remove (SOFT: mark or insert) a row, and returns the exception to throw (a delete is not set aside with
     * {@link OnBadRow#DEAD_LETTER}). But with SOFT and {@code DEAD_LETTER}, when every refused record is a delete
     * carrying its key's last values ({@link Row#withValues}), sets aside the event those values came from (as the batch
     * cut before the delete would: its MERGE refuses that event), stages the delete again with what the key's events
     * before that one came to, and returns empty, for the delete to run again.
     */
    Optional<RefusedRowsException> byDelete(Connection c, Plan plan, List<Row> rows, Rejects rejects, RowWriter stageWriter,
            SQLException x, MdsException failed) {
        undo(c, failed);
        boolean setAside = spec.onBadRow() != OnBadRow.FAIL && spec.deleteMode() == DeleteMode.SOFT
                && rows.stream().anyMatch(r -> r.withValues);
        Map<Long, Row> byNumber = byNumber(rows);
        String step = spec.deleteMode() == DeleteMode.SOFT ? "the MERGE marking deleted rows" : "the DELETE";
        Refusals.Found found;
        try {
            stageNumbers(c, plan, rows);
            String numbers = Identifiers.quote("pg_temp", NUMBERS);
            String record = "n." + Identifiers.quote(Refusals.RECORD);
            Refusals refusals = new Refusals(c, target, plan.key);
            List<Long> candidates = refusals.records("select " + record + " from " + STAGE_TABLE + " s join " + numbers + " n on "
                    + statements.keyJoin(plan, "n", "s") + (spec.deleteMode() == DeleteMode.SOFT ? " left" : "") + " join "
                    + target.quoted() + " t on " + statements.keyJoin(plan, "t", "s") + " where s."
                    + Identifiers.quote(S_DELETE) + " and (t." + Identifiers.quote(COMMIT) + " is null or " + LoadStatements.position("t")
                    + " < " + LoadStatements.position("s") + ") order by 1", Integer.MAX_VALUE);
            String keep = "delete from " + STAGE_TABLE + " s using " + numbers + " n where " + statements.keyJoin(plan, "n", "s")
                    + " and not " + record + " = any(?)";
            String delete = statements.cdcDeleteSql(plan);
            found = refusals.bisect(records -> probe(c, keep, records, delete), candidates,
                    setAside ? Integer.MAX_VALUE : RefusedRowsException.MAX_ROWS);
        } catch (SQLException | MdsException d) {
            x.addSuppressed(d);
            found = new Refusals.Found(List.of(), false, "looking for them failed");
        }
        if (!setAside || found.records().isEmpty() || found.together() || ++rejects.rounds > MAX_DEAD_LETTER_ROUNDS
                || !found.records().stream().allMatch(n -> byNumber.get(n).withValues && byNumber.get(n).before != null)) {
            return Optional.of(released(c, carried(plan, step, x, found, byNumber)));
        }
        String reason = "the table refused it when the MERGE marking deleted rows wrote it (" + found.how() + "): "
                + serverMessage(x);
        List<Row> fallback = new ArrayList<>();
        for (long n : found.records()) {
            Row d = byNumber.get(n);
            Row refused = d.before;   // the key's event whose values the delete carried
            rejects.add(refused.recordNumber, plan.keyText(refused.values), reason, refused.values);
            Row earlier = refused.before;   // what the key's events before that one came to
            if (earlier != null && (!earlier.delete || earlier.withValues)) {
                fallback.add(new Row(earlier.values, d.recordNumber, true, false, d.commit, d.change, d.at, earlier, false,
                        earlier.delete ? earlier.valuesFrom : earlier.recordNumber));
            } else {
                Object[] key = new Object[d.values.size()];
                for (int k : plan.keyIndex) {
                    key[k] = d.values.get(k);
                }
                fallback.add(new Row(dev.mds.core.Record.of(key), d.recordNumber, true, false, d.commit, d.change, d.at,
                        earlier, false, 0));
            }
        }
        String sql = "delete from " + STAGE_TABLE + " s using " + Identifiers.quote("pg_temp", NUMBERS) + " n where "
                + statements.keyJoin(plan, "n", "s") + " and n." + Identifiers.quote(Refusals.RECORD) + " = any(?)";
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("int8", found.records().toArray()));
            ps.executeUpdate();
            Sql.logged(sql, t0);
            stageWriter.copy(c, statements.stageCopySql(), fallback, false);
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        Set<Long> gone = new HashSet<>(found.records());
        rows.removeIf(r -> gone.contains(r.recordNumber));
        rows.addAll(fallback);
        try (Statement st = c.createStatement()) {
            st.execute("release savepoint " + APPLY);   // the delete sets it again
        } catch (SQLException e) {
            throw Sql.failed("release savepoint " + APPLY, e);
        }
        LOG.debug("{}: {} record(s) whose values a delete carried set aside; marking again", target, gone.size());
        return Optional.empty();
    }

    /**
     * The exception for a refused SOFT delete, naming for each delete that carried its key's last values
     * ({@link Row#withValues}) the event that wrote them, as the MERGE of the batch cut before the delete names it
     * (the value the table refuses is that event's), and saying which delete carried them.
     */
    private RefusedRowsException carried(Plan plan, String step, SQLException x, Refusals.Found found,
            Map<Long, Row> byNumber) {
        if (found.records().stream().noneMatch(n -> byNumber.containsKey(n) && byNumber.get(n).withValues)) {
            return exception(plan, step, x, found, byNumber);
        }
        Map<Long, Row> named = new HashMap<>();
        StringJoiner how = new StringJoiner("; ", found.how() + "; ", "");
        for (long n : found.records()) {
            Row d = byNumber.get(n);
            if (d != null && d.withValues) {
                named.put(d.valuesFrom, d);
                how.add("the delete of record " + n + " carried the values record " + d.valuesFrom + " wrote");
            } else {
                named.put(n, d);
            }
        }
        List<Long> records = named.keySet().stream().sorted().toList();
        return exception(plan, step, x, new Refusals.Found(records, found.together(), how.toString()), named);
    }

    /**
     * Rolls the write step back to its savepoint {@value #APPLY}, for its refused rows to be looked for; when even
     * that fails the transaction is lost, and {@code failed} (the step's error) is thrown with that failure.
     */
    private static void undo(Connection c, MdsException failed) {
        try (Statement st = c.createStatement()) {
            st.execute("rollback to savepoint " + APPLY);
        } catch (SQLException r) {
            failed.addSuppressed(r);
            throw failed;
        }
    }

    /**
     * {@code e}, after releasing the write step's savepoint (rolled back to before the diagnostics), so that a
     * caller's transaction is not left one subtransaction deeper.
     */
    static RefusedRowsException released(Connection c, RefusedRowsException e) {
        try (Statement st = c.createStatement()) {
            st.execute("release savepoint " + APPLY);
        } catch (SQLException r) {
            e.addSuppressed(r);
        }
        return e;
    }

    /**
     * Runs {@code step} with only the staged rows of {@code records} (the others deleted by {@code keep}, which takes
     * them as its array parameter) inside a savepoint, always undone; whether it failed.
     */
    private static boolean probe(Connection c, String keep, List<Long> records, String step) throws SQLException {
        return fails(c, () -> {
            try (PreparedStatement ps = c.prepareStatement(keep)) {
                ps.setArray(1, c.createArrayOf("int8", records.toArray()));
                ps.executeUpdate();
            }
            try (Statement st = c.createStatement()) {
                st.executeUpdate(step);
            }
        });
    }

    /** A step of SQL work on a connection. */
    @FunctionalInterface
    private interface Step {
        void run() throws SQLException;
    }

    /** Runs {@code step} inside a savepoint, always undone; whether it failed. */
    private static boolean fails(Connection c, Step step) throws SQLException {
        Savepoint sp = c.setSavepoint();
        try {
            step.run();
            return false;
        } catch (SQLException e) {
            return true;
        } finally {
            c.rollback(sp);
            c.releaseSavepoint(sp);
        }
    }

    /** Temporary table of the record number of each staged row's key (diagnostics only). */
    static final String NUMBERS = "_mds_numbers";

    /** COPYs each row's key and record number into {@code pg_temp._mds_numbers}. */
    private void stageNumbers(Connection c, Plan plan, List<Row> rows) throws SQLException {
        StringJoiner cols = new StringJoiner(", ");
        Encoding[] enc = new Encoding[plan.key.size() + 1];
        for (int i = 0; i < plan.key.size(); i++) {
            String k = plan.key.get(i);
            cols.add(Identifiers.quote(k) + " " + plan.types.get(k));
            enc[i] = Encoding.forType(plan.baseTypeNames.get(k));
        }
        cols.add(Identifiers.quote(Refusals.RECORD) + " bigint");
        enc[plan.key.size()] = Encoding.INT8;
        Sql.execute(c, "drop table if exists " + Identifiers.quote("pg_temp", NUMBERS));
        Sql.execute(c, "create temp table " + Identifiers.quote(NUMBERS) + " (" + cols + ") on commit drop");
        int[] keyIndex = plan.keyIndex;
        java.util.function.UnaryOperator<Object>[] convert = CanonicalText.conversions(plan);
        RowWriter writer = new RowWriter(enc, (out, row) -> {
            for (int k : keyIndex) {
                Object v = row.values.get(k);
                out.value(convert == null || convert[k] == null ? v : convert[k].apply(v));
            }
            out.value(row.recordNumber);
            out.endRow();
        });
        writer.copy(c, "copy " + Identifiers.quote("pg_temp", NUMBERS) + " from stdin", rows, false);
    }

    /**
     * A query of the rows a MERGE of {@code shape} would write: every column of the target as the MERGE sets it
     * (the staged value; for an update the target's value of a column the batch lacks or leaves unchanged; for an
     * insert the column's default, or NULL where that is a sequence, identity or generated value), and the record
     * number.
     */
    private String writtenSql(Connection c, Plan plan, MergeShape shape) throws SQLException {
        String numbers = Identifiers.quote("pg_temp", NUMBERS);
        String from = shape.source() + " s join " + numbers + " n on " + statements.keyJoin(plan, "n", "s") + " left join "
                + target.quoted() + " t on " + statements.keyJoin(plan, "t", "s") + " where t.ctid is null"
                + (shape.matched() == null ? "" : " or " + shape.matched());
        return "select " + writtenColumns(c, plan, true) + ", n." + Identifiers.quote(Refusals.RECORD) + " from " + from;
    }

    /**
     * The target's columns as a write of the plan's rows (alias {@code s}; target row {@code t} when {@code matched})
     * sets them, each in its column's type; a domain's in its base type, so that a value or NULL the domain refuses is
     * among the rows looked at, not an error of the query looking.
     */
    String writtenColumns(Connection c, Plan plan, boolean matched) throws SQLException {
        String sql = "select a.attname, case when " + TargetColumn.DOMAIN + " then " + TargetColumn.BASE_SQL_TYPE
                + " else format_type(a.atttypid, a.atttypmod) end, case when a.attidentity = '' and a.attgenerated = ''"
                + " then pg_get_expr(d.adbin, d.adrelid) end from pg_catalog.pg_attribute a join pg_catalog.pg_type t"
                + " on t.oid = a.atttypid left join pg_catalog.pg_attrdef d"
                + " on d.adrelid = a.attrelid and d.adnum = a.attnum where a.attrelid = " + PostgresDialect.INSTANCE.relationOid(target)
                + " and a.attnum > 0 and not a.attisdropped order by a.attnum";
        StringJoiner out = new StringJoiner(", ");
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                String col = rs.getString(1);
                String q = Identifiers.quote(col);
                String type = rs.getString(2);
                String dflt = rs.getString(3);
                if (dflt == null || dflt.contains("nextval(")) {
                    dflt = "null";   // no default, or one a diagnostic must not draw from
                }
                int i = plan.schema.indexOf(col);
                String e;
                if (i >= 0) {
                    e = plan.cdc && plan.unchanged.get(i)
                            ? "case when s." + Identifiers.quote(UNCHANGED_PREFIX + i) + " then t." + q + " else s." + q + " end"
                            : "s." + q;
                } else if (spec.loadTimestamp().filter(col::equals).isPresent()) {
                    e = "now()";
                } else if (plan.cdc && (col.equals(COMMIT) || col.equals(CHANGE))) {
                    e = "s." + q;
                } else if (plan.cdc && col.equals(DELETED_AT) && plan.markedDeleted) {
                    e = "null";
                } else {
                    e = matched ? "case when t.ctid is null then " + dflt + " else t." + q + " end" : dflt;
                }
                out.add("(" + e + ")::" + type + " as " + q);
            }
        }
        return out.toString();
    }

    /** The server's message without its detail (which shows one row's values) or position. */
    static String serverMessage(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            return Shown.serverText(p.getServerErrorMessage().getMessage());
        }
        return Shown.serverText(e.getMessage());
    }

    /**
     * The exception for rows the table refused when {@code step} wrote them: the table, the constraint, the found
     * records with their keys, PostgreSQL's message (its error is the cause).
     */
    RefusedRowsException exception(Plan plan, String step, SQLException x, Refusals.Found found, Map<Long, Row> byNumber) {
        ServerErrorMessage m = x instanceof PSQLException p ? p.getServerErrorMessage() : null;
        String constraint = m == null ? null : m.getConstraint();
        String column = m == null ? null : m.getColumn();
        List<RefusedRowsException.RefusedRow> refused = new ArrayList<>();
        for (long n : found.records()) {
            Row r = byNumber.get(n);
            String key = r == null ? null : plan.keyText(r.values);
            refused.add(new RefusedRowsException.RefusedRow(n, Optional.ofNullable(key)));
        }
        InputLocation where = InputLocation.of(target.toString());
        if (!refused.isEmpty()) {
            where = where.withRecordNumber(refused.get(0).recordNumber());
            if (refused.get(0).key().isPresent()) {
                where = where.withKey(refused.get(0).key().get());
            }
        }
        if (column != null) {
            where = where.withColumn(column);
        }
        String verb = step.startsWith("the DELETE") ? " removed" : " wrote";
        StringBuilder reason = new StringBuilder("the table refused ");
        if (refused.isEmpty()) {
            reason.append("a row of this batch when ").append(step).append(verb)
                    .append(" it, and no single record could be found (").append(found.how()).append(")");
        } else {
            reason.append(found.together() ? "these records of this batch together" : refused.size() + " record(s) of this batch")
                    .append(" when ").append(step).append(verb).append(" them");
        }
        if (constraint != null) {
            reason.append(", constraint \"").append(constraint).append('"');
        }
        if (!refused.isEmpty()) {
            reason.append(" (").append(found.how()).append("): ").append(refused.stream().map(Object::toString)
                    .collect(Collectors.joining(", ")));
            if (!found.together() && refused.size() >= RefusedRowsException.MAX_ROWS) {
                reason.append(", and maybe more");
            }
        }
        reason.append("; PostgreSQL: ").append(serverMessage(x)).append("; nothing of this batch was loaded");
        return new RefusedRowsException(where, reason.toString(), constraint, refused, found.together(), x);
    }
}
