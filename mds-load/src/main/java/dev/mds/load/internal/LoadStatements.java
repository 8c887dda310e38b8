package dev.mds.load.internal;

import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.core.Unchanged;
import dev.mds.load.DeleteMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The SQL text of a {@link LoadEngine}'s loads into one target: its stage, the MERGE of record batches, the
 * statements applying change batches (upsert, delete, tombstones, truncate, sweep), and the names of the tables it
 * keeps beside the target. Only renders: the engine decides what runs, and {@code sql()} shows the same text.
 */
final class LoadStatements {
    static final String STAGE = "_mds_stage";
    /** The stage, a temporary table dropped at commit. */
    static final String STAGE_TABLE = Identifiers.quote("pg_temp", STAGE);
    static final String COMMIT = "_mds_commit";
    static final String CHANGE = "_mds_change";
    static final String DELETED_AT = "_deleted_at";
    static final String S_DELETE = "_mds_delete";
    static final String S_AT = "_mds_at";
    static final String S_READ = "_mds_read";
    /** Stage column ({@link DeleteMode#SOFT} only): the delete carries the key's last values (see {@link Row#withValues}). */
    static final String S_VALUES = "_mds_values";
    static final String UNCHANGED_PREFIX = "_mds_u";
    /** Stage column of the event number, staged when some column carries {@link Unchanged#VALUE}. */
    static final String S_NUMBER = "_mds_n";

    private final LoadSpec spec;
    private final TableName target;

    LoadStatements(LoadSpec spec) {
        this.spec = spec;
        this.target = spec.target();
    }

    TableName tombstones() {
        return suffixed(target, "_mds_tombstones");
    }

    /** The one-row table holding the position of the last {@code TRUNCATE} applied. */
    TableName truncated() {
        return suffixed(target, "_mds_truncated");
    }

    String createStage(Plan plan) {
        return createStage(plan, false);
    }

    /** The stage; {@code numbered}: with each row's record number last (diagnostics only). */
    String createStage(Plan plan, boolean numbered) {
        StringJoiner cols = new StringJoiner(", ");
        for (String col : plan.columns) {
            cols.add(Identifiers.quote(col) + " " + plan.types.get(col) + (plan.notNull.get(col) ? " not null" : ""));
        }
        if (plan.cdc) {
            cols.add(Identifiers.quote(S_DELETE) + " boolean not null");
            cols.add(Identifiers.quote(COMMIT) + " bigint not null");
            cols.add(Identifiers.quote(CHANGE) + " bigint not null");
            cols.add(Identifiers.quote(S_AT) + " timestamptz");
            cols.add(Identifiers.quote(S_READ) + " boolean not null");
            if (spec.deleteMode() == DeleteMode.SOFT) {
                cols.add(Identifiers.quote(S_VALUES) + " boolean not null");
            }
            for (int i = plan.unchanged.nextSetBit(0); i >= 0; i = plan.unchanged.nextSetBit(i + 1)) {
                cols.add(Identifiers.quote(UNCHANGED_PREFIX + i) + " boolean not null");
            }
            if (!plan.unchanged.isEmpty()) {
                cols.add(Identifiers.quote(S_NUMBER) + " bigint not null");
            }
        }
        if (numbered) {
            cols.add(Identifiers.quote(Refusals.RECORD) + " bigint");
        }
        return "create temp table " + Identifiers.quote(STAGE) + " (" + cols + ") on commit drop";
    }

    String dropStage() {
        return "drop table if exists " + STAGE_TABLE;
    }

    String stageCopySql() {
        return "copy " + STAGE_TABLE + " from stdin";
    }

    String directCopySql(TableName table, Plan plan) {
        List<String> cols = new ArrayList<>(plan.columns);
        spec.loadTimestamp().ifPresent(cols::add);
        return "copy " + table.quoted() + " (" + Identifiers.quoteAll(cols) + ") from stdin";
    }

    String directCdcCopySql(Plan plan) {
        List<String> cols = new ArrayList<>(plan.columns);
        cols.add(COMMIT);
        cols.add(CHANGE);
        spec.loadTimestamp().ifPresent(cols::add);
        return "copy " + target.quoted() + " (" + Identifiers.quoteAll(cols) + ") from stdin";
    }

    String createTombstones(Plan plan, TableName tombstones) {
        StringJoiner cols = new StringJoiner(", ");
        for (String k : plan.key) {
            cols.add(Identifiers.quote(k) + " " + plan.types.get(k));
        }
        cols.add(Identifiers.quote(COMMIT) + " bigint not null");
        cols.add(Identifiers.quote(CHANGE) + " bigint not null");
        cols.add(Identifiers.quote(DELETED_AT) + " timestamptz");
        cols.add("primary key (" + Identifiers.quoteAll(plan.key) + ")");
        return "create table if not exists " + tombstones.quoted() + " (" + cols + ")";
    }

    String keyJoin(Plan plan, String left, String right) {
        StringJoiner on = new StringJoiner(" and ");
        for (String k : plan.key) {
            on.add(left + "." + Identifiers.quote(k) + " = " + right + "." + Identifiers.quote(k));
        }
        return on.toString();
    }

    static String position(String alias) {
        return "(" + alias + "." + Identifiers.quote(COMMIT) + ", " + alias + "." + Identifiers.quote(CHANGE) + ")";
    }

    String mergeSql(Plan plan) {
        StringBuilder s = new StringBuilder("merge into ").append(target.quoted()).append(" as t using ").append(STAGE_TABLE)
                .append(" as s on ").append(keyJoin(plan, "t", "s"));
        List<String> update = new ArrayList<>(plan.nonKey);
        if (!update.isEmpty()) {
            s.append(" when matched and ").append(mergeMatched(plan)).append(" then update set ");
            StringJoiner set = new StringJoiner(", ");
            for (String col : update) {
                set.add(Identifiers.quote(col) + " = s." + Identifiers.quote(col));
            }
            spec.loadTimestamp().ifPresent(ts -> set.add(Identifiers.quote(ts) + " = now()"));
            s.append(set);
        }
        s.append(" when not matched then insert (");
        List<String> cols = new ArrayList<>(plan.columns);
        StringJoiner values = new StringJoiner(", ");
        for (String col : plan.columns) {
            values.add("s." + Identifiers.quote(col));
        }
        spec.loadTimestamp().ifPresent(ts -> {
            cols.add(ts);
            values.add("now()");
        });
        s.append(Identifiers.quoteAll(cols)).append(")").append(overriding(plan)).append(" values (").append(values)
                .append(")");
        return s.toString();
    }

    /**
     * The condition on which the MERGE updates a matched target row {@code t} from the staged row {@code s} (not
     * older by cursor, and some value differs); null when the batch has only key columns (no update).
     */
    String mergeMatched(Plan plan) {
        List<String> update = plan.nonKey;
        if (update.isEmpty()) {
            return null;
        }
        StringBuilder s = new StringBuilder();
        spec.cursor().ifPresent(cur -> s.append("(t.").append(Identifiers.quote(cur)).append(" is null or s.")
                .append(Identifiers.quote(cur)).append(" >= t.").append(Identifiers.quote(cur)).append(") and "));
        s.append("(").append(compared(plan, "t", update)).append(") is distinct from (")
                .append(compared(plan, "s", update)).append(")");
        return s.toString();
    }

    /**
     * The columns as the change test compares them: a column whose type has no equality ({@code json}: there is
     * no {@code json = json}) as its text, so a change of its text is a change; a {@code citext} column or one with a
     * nondeterministic collation by its bytes, so that {@code 'Alice'} over {@code 'alice'} is a change.
     */
    static String compared(Plan plan, String alias, List<String> columns) {
        StringJoiner out = new StringJoiner(", ");
        for (String col : columns) {
            String as = plan.comparedAsText.contains(col) ? "::text"
                    : plan.nondeterministic.containsKey(col) || "citext".equals(plan.baseTypeNames.get(col))
                    ? "::text COLLATE \"C\"" : "";
            out.add(alias + "." + Identifiers.quote(col) + as);
        }
        return out.toString();
    }

    String cdcUpsertSource(Plan plan, TableName tombstones, boolean useTombstones, boolean reads) {
        if (!useTombstones) {
            return "(select s.* from " + STAGE_TABLE + " s where not s." + Identifiers.quote(S_DELETE) + ")";
        }
        return "(select s.* from " + STAGE_TABLE + " s where not s." + Identifiers.quote(S_DELETE)
                + " and (" + (reads ? "s." + Identifiers.quote(S_READ) + " or " : "") + "not exists (select 1 from "
                + tombstones.quoted() + " d where " + keyJoin(plan, "d", "s") + " and " + position("d") + " >= "
                + position("s") + ")))";
    }

    /**
     * The upsert of a change batch: a row is written when the event is newer than the stored row. A snapshot read
     * ({@code reads}: the batch has some) is the source's state when it was read, so it replaces a row stored at
     * any other position (a re-snapshot after a lost slot brings back what the stream missed), and forgets the
     * key's tombstone; a read stored at its own position already (a replay) is left alone.
     */
    String cdcUpsertSql(Plan plan, TableName tombstones, boolean useTombstones, boolean reads) {
        StringBuilder s = new StringBuilder("merge into ").append(target.quoted()).append(" as t using ")
                .append(cdcUpsertSource(plan, tombstones, useTombstones, reads)).append(" as s on ")
                .append(keyJoin(plan, "t", "s"));
        s.append(" when matched and ").append(cdcMatched(reads)).append(" then update set ");
        StringJoiner set = new StringJoiner(", ");
        for (String col : plan.nonKey) {
            int i = plan.schema.indexOf(col);
            String q = Identifiers.quote(col);
            if (plan.unchanged.get(i)) {
                set.add(q + " = case when s." + Identifiers.quote(UNCHANGED_PREFIX + i) + " then t." + q + " else s." + q + " end");
            } else {
                set.add(q + " = s." + q);
            }
        }
        set.add(Identifiers.quote(COMMIT) + " = s." + Identifiers.quote(COMMIT));
        set.add(Identifiers.quote(CHANGE) + " = s." + Identifiers.quote(CHANGE));
        if (plan.markedDeleted) {
            set.add(Identifiers.quote(DELETED_AT) + " = null");
        }
        spec.loadTimestamp().ifPresent(ts -> set.add(Identifiers.quote(ts) + " = now()"));
        s.append(set);
        List<String> cols = new ArrayList<>(plan.columns);
        cols.add(COMMIT);
        cols.add(CHANGE);
        StringJoiner values = new StringJoiner(", ");
        for (String col : cols) {
            values.add("s." + Identifiers.quote(col));
        }
        spec.loadTimestamp().ifPresent(ts -> {
            cols.add(ts);
            values.add("now()");
        });
        s.append(" when not matched then insert (").append(Identifiers.quoteAll(cols)).append(")")
                .append(overriding(plan)).append(" values (").append(values).append(")");
        return s.toString();
    }

    /** The condition on which the CDC upsert overwrites a matched target row {@code t} with the event {@code s}. */
    static String cdcMatched(boolean reads) {
        StringBuilder s = new StringBuilder("(t.").append(Identifiers.quote(COMMIT)).append(" is null or ")
                .append(position("t")).append(" < ").append(position("s"));
        if (reads) {
            s.append(" or s.").append(Identifiers.quote(S_READ)).append(" and ").append(position("t"))
                    .append(" <> ").append(position("s"));
        }
        return s.append(")").toString();
    }

    /** The batch's value goes into a {@code generated always as identity} column as the direct COPY stores it. */
    static String overriding(Plan plan) {
        return plan.identityAlways ? " overriding system value" : "";
    }

    String cdcForgetTombstonesSql(Plan plan, TableName tombstones, boolean reads) {
        return "delete from " + tombstones.quoted() + " d using " + STAGE_TABLE + " s where not s." + Identifiers.quote(S_DELETE)
                + " and " + keyJoin(plan, "d", "s") + " and " + (reads ? "(s." + Identifiers.quote(S_READ) + " or " : "")
                + position("d") + " < " + position("s") + (reads ? ")" : "");
    }

    /** The statements of {@link #truncate}; the last one's row count is the rows removed or marked. */
    List<String> truncateSql(ChangeEvent e, TableName tombstones, boolean haveTombstones) {
        String p = positionLiteral(e.position());
        String older = "(t." + Identifiers.quote(COMMIT) + " is null or " + position("t") + " < " + p + ")";
        String one = Identifiers.quote("_mds_one");
        String cols = Identifiers.quoteAll(List.of(COMMIT, CHANGE, DELETED_AT));
        List<String> out = new ArrayList<>();
        out.add("create table if not exists " + truncated().quoted() + " (" + one + " boolean primary key default true check ("
                + one + "), " + Identifiers.quote(COMMIT) + " bigint not null, " + Identifiers.quote(CHANGE)
                + " bigint not null, " + Identifiers.quote(DELETED_AT) + " timestamptz)");
        out.add("insert into " + truncated().quoted() + " as d (" + cols + ") values (" + e.position().commit() + ", "
                + e.position().change() + ", " + timestampSql(e.commitTime()) + ") on conflict (" + one + ") do update set "
                + setExcluded(List.of(COMMIT, CHANGE, DELETED_AT)) + " where " + position("d") + " < " + position("excluded"));
        if (spec.deleteMode() == DeleteMode.SOFT) {
            // remembered in SOFT mode too: the batch's events before the truncate are dropped unapplied, so a replay
            // of them (a key the table lacks, or marked deleted at an older position) must find the truncate
            out.add(markDeletedSql(e, older));
            return out;
        }
        if (haveTombstones) {
            out.add("delete from " + tombstones.quoted() + " d where " + position("d") + " < " + p);
        }
        out.add("delete from " + target.quoted() + " t where " + older);
        return out;
    }

    /** {@code (commit, change)} of a position as a row literal comparable with {@link #position(String)}. */
    static String positionLiteral(EventPosition p) {
        return "(" + p.commit() + "::bigint, " + p.change() + "::bigint)";
    }

    /**
     * After a {@code SNAPSHOT_COMPLETE} at {@code (0, C)}: removes (or with {@link DeleteMode#SOFT} marks deleted)
     * the rows the completed snapshot did not read, which are gone from the source (a re-snapshot after a lost
     * slot: rows deleted while nothing streamed). Those are the rows stored before the snapshot began (a commit
     * position below {@code C}, or an earlier snapshot's read {@code (0, other)}) that this batch does not write;
     * rows the stream wrote after the snapshot (commit at or above {@code C}) stay, even for a batch delivered again.
     */
    String sweepSql(Plan plan, ChangeEvent e) {
        long snapshot = e.position().change();
        String commit = "t." + Identifiers.quote(COMMIT);
        String unread = "(" + commit + " is null or " + commit + " < " + snapshot + " and not (" + commit + " = 0 and t."
                + Identifiers.quote(CHANGE) + " = " + snapshot + "))"
                + " and not exists (select 1 from " + STAGE_TABLE + " s where " + keyJoin(plan, "s", "t") + ")";
        if (spec.deleteMode() == DeleteMode.SOFT) {
            return markDeletedSql(e, unread);
        }
        return "delete from " + target.quoted() + " t where " + unread;
    }

    /** Marks the live rows {@code where} selects (alias {@code t}) deleted at a table-wide event's time and position. */
    String markDeletedSql(ChangeEvent e, String where) {
        return "update " + target.quoted() + " t set " + softDeleteSet(timestampSql(e.commitTime()),
                Long.toString(e.position().commit()), Long.toString(e.position().change())) + " where " + where
                + " and t." + Identifiers.quote(DELETED_AT) + " is null";
    }

    /** The SET list that marks a row deleted ({@link DeleteMode#SOFT}) at the given time and position expressions. */
    String softDeleteSet(String at, String commit, String change) {
        StringJoiner set = new StringJoiner(", ");
        set.add(Identifiers.quote(DELETED_AT) + " = " + at);
        set.add(Identifiers.quote(COMMIT) + " = " + commit);
        set.add(Identifiers.quote(CHANGE) + " = " + change);
        spec.loadTimestamp().ifPresent(ts -> set.add(Identifiers.quote(ts) + " = now()"));
        return set.toString();
    }

    /** A timestamptz expression for {@code at}, exact to the microsecond, from a number (no value text in SQL). */
    static String timestampSql(Instant at) {
        return "timestamptz 'epoch' + " + (at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000)
                + " * interval '1 microsecond'";
    }

    String cdcDeleteSql(Plan plan) {
        String newer = "(t." + Identifiers.quote(COMMIT) + " is null or " + position("t") + " < " + position("s") + ")";
        if (spec.deleteMode() == DeleteMode.HARD) {
            return "delete from " + target.quoted() + " t using " + STAGE_TABLE + " s where s." + Identifiers.quote(S_DELETE)
                    + " and " + keyJoin(plan, "t", "s") + " and " + newer;
        }
        return softDeleteSql(plan, newer);
    }

    /**
     * {@link DeleteMode#SOFT}'s delete: marks the key's row deleted, older rows only ({@code newer}). A delete that
     * carries the key's last values ({@value #S_VALUES}: earlier events of the batch wrote the key) also writes them
     * (an unsent value keeps the stored one), and inserts them, marked, when the key has no row and no tombstone as new
     * as the delete: the target is then what it would be had the batch been cut between those events and the delete.
     */
    private String softDeleteSql(Plan plan, String newer) {
        String carried = "s." + Identifiers.quote(S_VALUES);
        StringJoiner set = new StringJoiner(", ");
        for (String col : plan.nonKey) {
            int i = plan.schema.indexOf(col);
            String q = Identifiers.quote(col);
            String keep = plan.unchanged.get(i) ? " and not s." + Identifiers.quote(UNCHANGED_PREFIX + i) : "";
            set.add(q + " = case when " + carried + keep + " then s." + q + " else t." + q + " end");
        }
        set.add(softDeleteSet("s." + Identifiers.quote(S_AT), "s." + Identifiers.quote(COMMIT),
                "s." + Identifiers.quote(CHANGE)));
        List<String> cols = new ArrayList<>(plan.columns);
        cols.add(COMMIT);
        cols.add(CHANGE);
        StringJoiner values = new StringJoiner(", ");
        for (String col : cols) {
            values.add("s." + Identifiers.quote(col));
        }
        cols.add(DELETED_AT);
        values.add("s." + Identifiers.quote(S_AT));
        spec.loadTimestamp().ifPresent(ts -> {
            cols.add(ts);
            values.add("now()");
        });
        StringJoiner insert = new StringJoiner(" and not s.", " and not s.", "").setEmptyValue("");
        for (int i = plan.unchanged.nextSetBit(0); i >= 0; i = plan.unchanged.nextSetBit(i + 1)) {
            insert.add(Identifiers.quote(UNCHANGED_PREFIX + i));
        }
        return "merge into " + target.quoted() + " as t using (select s.* from " + STAGE_TABLE + " s where s."
                + Identifiers.quote(S_DELETE) + " and (not " + carried + " or not exists (select 1 from " + tombstones().quoted()
                + " d where " + keyJoin(plan, "d", "s") + " and " + position("d") + " >= " + position("s") + "))) as s on "
                + keyJoin(plan, "t", "s") + " when matched and " + newer + " then update set " + set
                + " when not matched and " + carried + insert + " then insert (" + Identifiers.quoteAll(cols) + ")"
                + overriding(plan) + " values (" + values + ")";
    }

    String cdcTombstoneSql(Plan plan, TableName tombstones) {
        List<String> cols = new ArrayList<>(plan.key);
        cols.add(COMMIT);
        cols.add(CHANGE);
        String q = Identifiers.quoteAll(cols) + ", " + Identifiers.quote(DELETED_AT);
        return "insert into " + tombstones.quoted() + " as d (" + q + ") select " + Identifiers.quoteAll("s", cols)
                + ", s." + Identifiers.quote(S_AT) + " from " + STAGE_TABLE + " s where s." + Identifiers.quote(S_DELETE)
                + keepNewerTombstone(plan);
    }

    /** The conflict clause of a tombstone insert (alias {@code d}): a key's tombstone moves only to a newer delete. */
    static String keepNewerTombstone(Plan plan) {
        return " on conflict (" + Identifiers.quoteAll(plan.key) + ") do update set "
                + setExcluded(List.of(COMMIT, CHANGE, DELETED_AT)) + " where " + position("d") + " < " + position("excluded");
    }

    /** {@code a = excluded.a, …}: the SET list of an upsert that takes the proposed row's columns. */
    static String setExcluded(List<String> columns) {
        StringJoiner set = new StringJoiner(", ");
        for (String col : columns) {
            set.add(Identifiers.quote(col) + " = excluded." + Identifiers.quote(col));
        }
        return set.toString();
    }

    /** {@code table + suffix} in the same schema, shortened with a hash when longer than 63 bytes. */
    static TableName suffixed(TableName table, String suffix) {
        String name = table.name() + suffix;
        if (name.getBytes(StandardCharsets.UTF_8).length <= Identifiers.MAX_IDENTIFIER_BYTES) {
            return table.withName(name);
        }
        String tail = "_" + Identifiers.shortHash(table.name()) + suffix;
        String base = Identifiers.cutToBytes(table.name(),
                Identifiers.MAX_IDENTIFIER_BYTES - tail.getBytes(StandardCharsets.UTF_8).length);
        return table.withName(base + tail);
    }
}
