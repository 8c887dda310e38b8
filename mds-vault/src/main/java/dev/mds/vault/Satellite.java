package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.TableName;
import dev.mds.vault.internal.HashSql;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A satellite: the history of a parent's descriptive columns, one row per change. A definition: configure it,
 * then {@link #createTable()}, {@link #sql()} or {@link #load()}. Not thread-safe.
 *
 * <pre>{@code
 * vault.satellite("dds.sat_users").parent("user_hk").hashDiff("user_hashdiff")
 *     .payload("name", "age", "title", "occupation").effectiveFrom("updated_at").from(users).load();
 * }</pre>
 *
 * A stage row is inserted only when its hashdiff differs from the row before it in time for that key: the
 * latest stored row for new data, the preceding stored or staged row for late-arriving data. Several changes
 * of one key in one stage are all kept, in load-date order. A stage row whose (key, load date) is already
 * stored is skipped, so re-loading a stage inserts nothing; the primary key (hash key, load date) backs this
 * and makes "latest row per key" an index lookup. Of several stage rows with the same key and load date, the one
 * with the latest {@link #effectiveFrom effective-from} is kept (the key's state at the end of the batch; a NULL
 * effective-from counts as earliest); without an effective-from, or among rows tying on it, rows with different
 * hashdiffs are ambiguous: the one with the smallest hashdiff is kept; among rows with the same hashdiff (under
 * AUTOMATEDV {@code 'Ann'} and {@code 'ann'}) the one with the smallest record source, then payload (text in byte
 * order), as a hub's tie-break, so the stored row does not depend on the stage's row order. A stage whose load date (or effective-from) is
 * a {@code date} or {@code timestamp} where the satellite's is a {@code timestamptz} (or the reverse) is read as UTC
 * (a date as its midnight), whatever the session's TimeZone; a stage load date is then taken as the satellite's type
 * stores it (timestamps of one day loaded into a {@code date} column are one row per key and day: after the latest
 * effective-from, the row of the latest stage timestamp, the key's state at the end of the day). Concurrent loads of one satellite take
 * turns (a {@code SHARE ROW EXCLUSIVE} table lock, which readers do not wait for; a role that may only insert and select takes an advisory lock on the table's name instead).
 * A stage view mds did not build (by hand, or AutomateDV's) that holds a NULL hashdiff fails the load, naming the
 * stage and the column.
 */
public final class Satellite extends Structure {
    private String parent;
    private String hashDiff;
    private String stageHashDiff;
    private final List<String> payload = new ArrayList<>();
    private String effectiveFrom;
    private Stage stage;

    Satellite(Vault vault, TableName table) {
        super(vault, table, "satellite");
    }

    /** The parent's hash key column (a hub's or a link's). */
    public Satellite parent(String hashKeyColumn) {
        this.parent = Identifiers.check(hashKeyColumn);
        return this;
    }

    /** The hashdiff column (same name in the stage and the satellite). */
    public Satellite hashDiff(String column) {
        return hashDiff(column, column);
    }

    /**
     * The satellite's hashdiff column {@code column}, read from the stage's {@code stageColumn}: AutomateDV's
     * {@code src_hashdiff: {source_column: <stageColumn>, alias: <column>}}. The table, its ghost record and the
     * loads use {@code column}; only the stage is read by {@code stageColumn}.
     *
     * <pre>{@code
     * vault.satellite("dds.sat_products").parent("product_hk").hashDiff("hashdiff", "product_hashdiff")
     * }</pre>
     */
    public Satellite hashDiff(String column, String stageColumn) {
        this.hashDiff = Identifiers.check(column);
        this.stageHashDiff = Identifiers.check(stageColumn);
        return this;
    }

    /** The descriptive columns the satellite stores (same names in the stage and the satellite). */
    public Satellite payload(String... columns) {
        addColumns(payload, columns);
        return this;
    }

    /** A stage column stored as {@code effective_from}. */
    public Satellite effectiveFrom(String column) {
        this.effectiveFrom = Identifiers.check(column);
        return this;
    }

    /**
     * The stage it loads from. A satellite loads from ONE stage (as AutomateDV's {@code sat} takes one source
     * model): to feed it from several sources, union them in one stage (a view over their union, passed to
     * {@link Stage#of}), so that the changes of a key are compared across all of them in one load.
     *
     * @throws IllegalStateException when a stage is already set: a second stage neither replaces the first nor is
     *     added to it; the definition is left unchanged
     */
    public Satellite from(Stage stage) {
        this.stage = onlyStage(this.stage, stage);
        return this;
    }

    /** The name of the stored effective-from column. */
    public static final String EFFECTIVE_FROM = "effective_from";

    @Override
    List<String> storedColumns() {
        List<String> all = new ArrayList<>();
        all.add(parent);
        all.add(hashDiff);
        all.addAll(payload);
        if (effectiveFrom != null) {
            all.add(EFFECTIVE_FROM);
        }
        all.add(Stage.LOAD_DATE);
        all.add(Stage.RECORD_SOURCE);
        return all;
    }

    @Override
    List<String> rowKey() {
        return List.of(parent, Stage.LOAD_DATE);
    }

    @Override
    String rowKeyWhy() {
        return "the satellite writes a row per (" + parent + ", " + Stage.LOAD_DATE + "): a key's every new version, and"
                + " every key changed at a load date";
    }

    @Override
    void missingSettings(List<String> missing) {
        if (parent == null) {
            missing.add("parent");
        }
        if (hashDiff == null) {
            missing.add("hashDiff");
        }
        if (stage == null) {
            missing.add("from");
        }
    }

    /** The DDL: primary key (hash key, load date), whose index serves "latest row per key". */
    @Override
    List<String> tableDdl(Connection c) {
        Relation s = Vault.relation(c, name(), stage.target());
        // the hash columns are bytea whatever the stage: read it for those, so a misnamed one creates no table
        Vault.checkBytea(nameFrom(stage), s, parent);
        Vault.checkBytea(nameFrom(stage), s, stageHashDiff);
        StringJoiner cols = new StringJoiner(",\n    ");
        cols.add(vault.hashColumnDdl(parent));
        cols.add(vault.hashColumnDdl(hashDiff));
        for (String p : payload) {
            cols.add(Identifiers.quote(p) + " " + s.require(name(), p).sqlType());
        }
        if (effectiveFrom != null) {
            cols.add(Identifiers.quote(EFFECTIVE_FROM) + " " + effectiveFromType(nameFrom(stage), s, effectiveFrom));
        }
        addMetadataDdl(cols, s, name());
        cols.add("PRIMARY KEY (" + Identifiers.quote(parent) + ", " + Identifiers.quote(Stage.LOAD_DATE) + ")");
        return vault.tableDdl(c, table, cols);
    }

    /**
     * Loads the changes. The statements are those of {@link #sql()} (after the vault's {@code SET LOCAL TimeZone}, if
     * it has a {@link Vault#timeZone() time zone}): the lock; a check whether the satellite holds
     * any row; the insert into a satellite holding rows (only stage rows whose (key, load date) is not stored yet,
     * merged in time with their stored neighbours; from a view stage the hashdiff is computed only for those rows,
     * so a re-load computes almost none); or, into an empty satellite, the last statement (no anti-join and no
     * stored predecessors to merge). Only one of the two inserts runs.
     */
    @Override
    List<Stage> stagesRead() {
        return stage == null ? List.of() : List.of(stage);
    }

    @Override
    List<String> nonNullHashColumns() {
        return stageHashDiff == null ? List.of() : List.of(stageHashDiff);
    }

    @Override
    LoadResult run(List<String> statements) {
        return vault.runSatellite(table.toString(), statements, List.of(parent, Stage.LOAD_DATE));
    }

    /**
     * Inserts the ghost record if it is missing: the ghost key, an all-zero hashdiff, NULL payload, load date (and
     * effective-from, if stored) 1900-01-01 (midnight UTC for a {@code timestamptz}, whatever the session's
     * TimeZone, as the PIT's ghost), and the vault's {@link Vault#ghostRecordSource() ghost record source}
     * ({@code AUTOMATE_DV_SYSTEM} under AUTOMATEDV, as AutomateDV's {@code create_ghost_record}). Under AUTOMATEDV a
     * satellite holding AutomateDV's ghost record ({@code CAST('000…0' AS BYTEA)}, which AutomateDV created) has its
     * ghost record: nothing is inserted.
     *
     * @throws MdsException naming the satellite when the insert fails (nothing is inserted)
     */
    public LoadResult insertGhostRecord() {
        validate();
        List<String> filled = new ArrayList<>(List.of(parent, hashDiff, Stage.LOAD_DATE, Stage.RECORD_SOURCE));
        if (effectiveFrom != null) {
            filled.add(EFFECTIVE_FROM);
        }
        return runGhostRecordSql(this::ghostRecordSql, filled);
    }

    /** The statement {@link #insertGhostRecord()} runs, to show before it runs. */
    public String ghostRecordSql() {
        validate();
        String ghost = vault.hashSql().ghostLiteral();
        String epoch = GHOST_DATE;
        String values = ghost + ", " + ghost + ", " + epoch + ", " + Identifiers.literal(vault.ghostRecordSource())
                + (effectiveFrom == null ? "" : ", " + epoch);
        // not where the table holds it: a table without a primary key (AutomateDV's) has no conflict to skip it on.
        // The literal compares as the load-date column reads it, as it is inserted
        String hk = "g." + Identifiers.quote(parent);
        String rows = "SELECT " + values + " WHERE NOT EXISTS (SELECT 1 FROM " + table.quoted() + " AS g WHERE " + hk + " = "
                + ghost + " AND g." + Identifiers.quote(Stage.LOAD_DATE) + " = " + epoch + ")";
        if (vault.standard() == HashStandard.AUTOMATEDV) {
            // AutomateDV's ghost record (a satellite AutomateDV created) is the satellite's ghost record
            rows += " AND NOT EXISTS (SELECT 1 FROM " + table.quoted() + " AS g WHERE " + hk + " = "
                    + HashSql.automateDvGhostLiteral(vault.algorithm()) + ")";
        }
        return "INSERT INTO " + table.quoted() + " (" + Identifiers.quote(parent) + ", " + Identifiers.quote(hashDiff)
                + ", " + Identifiers.quote(Stage.LOAD_DATE) + ", " + Identifiers.quote(Stage.RECORD_SOURCE)
                + (effectiveFrom == null ? "" : ", " + Identifiers.quote(EFFECTIVE_FROM)) + ") " + rows
                + " ON CONFLICT DO NOTHING";
    }

    @Override
    List<String> statements(Connection c) {
        String where = nameFrom(stage);
        String rel = vault.stageRelation(c, stage);
        Relation target = Vault.relation(c, name(), table);
        Relation s = Vault.relation(c, name(), stage.target());
        Vault.checkBytea(name(), target, parent);
        Vault.checkBytea(where, s, parent);
        Vault.checkBytea(where, s, stageHashDiff);
        // the table's hashdiff too: PostgreSQL assigns a bytea to a text column (as '\x1a2b…'), so a first load would
        // store such text silently, and the next one fail comparing it with the stage's bytea
        Vault.checkBytea(name(), target, hashDiff);
        vault.checkWidth(c, name(), table, parent);
        vault.checkWidth(c, where, stage.target(), parent);
        vault.checkWidth(c, where, stage.target(), stageHashDiff);
        for (String p : payload) {
            s.require(where, p);
            target.require(name(), p);
        }
        if (effectiveFrom != null) {
            s.require(where, effectiveFrom);
        }
        stageLoadDateType(where, s);
        s.require(where, Stage.RECORD_SOURCE);
        String hk = Identifiers.quote(parent);
        String hd = Identifiers.quote(hashDiff);
        // the stage's hashdiff, named as the satellite's from the first read of the stage on
        String shd = Identifiers.quote(stageHashDiff);
        String shdAs = shd.equals(hd) ? "s." + hd : "s." + shd + " AS " + hd;
        String ld = Identifiers.quote(Stage.LOAD_DATE);
        // a stage load date (or effective-from) of another type than the satellite's is converted in UTC (see inUtc):
        // compared with and stored as the satellite's, it would be cast in the session's TimeZone; the load date is
        // then taken as the satellite stores it: two stage timestamps of one day are one (key, load date) of a date column
        String sld = storedLoadDate(s.require(where, Stage.LOAD_DATE), target.require(name(), Stage.LOAD_DATE));
        String sldAs = sld.equals("s." + ld) ? sld : sld + " AS " + ld;
        String rs = Identifiers.quote(Stage.RECORD_SOURCE);
        List<String> extra = new ArrayList<>(payload);
        if (effectiveFrom != null) {
            extra.add(EFFECTIVE_FROM);
        }
        StringJoiner candExtra = new StringJoiner("");
        StringJoiner nulls = new StringJoiner("");
        StringJoiner seqExtra = new StringJoiner("");
        List<String> storedPayload = new ArrayList<>();
        for (String p : payload) {
            String item = storedItem(c, where, s, p, target);
            storedPayload.add(item);
            candExtra.add(", " + item);
            nulls.add(", NULL::" + target.require(name(), p).sqlType());
            seqExtra.add(", c." + Identifiers.quote(p));
        }
        if (effectiveFrom != null) {
            candExtra.add(", " + effectiveFromItem(c, where, s, effectiveFrom, target));
            nulls.add(", NULL::" + target.require(name(), EFFECTIVE_FROM).sqlType());
            seqExtra.add(", c." + Identifiers.quote(EFFECTIVE_FROM));
        }
        // rows of one key and load date with one hashdiff (under AUTOMATEDV 'Ann' and 'ann'; 1.5 and 1.50) store
        // the same row whatever the stage's order: the smallest record source, then payload, as a hub's tie-break
        StringBuilder ties = new StringBuilder(", s." + rs + "::text COLLATE \"C\"");
        for (String col : extra) {
            String stageCol = col.equals(EFFECTIVE_FROM) ? effectiveFrom : col;
            Order byStage = order(List.of(s), stageCol);
            Order byTable = order(List.of(target), col);
            Order o = byStage == Order.TEXT || byTable == Order.TEXT ? Order.TEXT
                    : byStage == Order.VALUE_THEN_TEXT || byTable == Order.VALUE_THEN_TEXT ? Order.VALUE_THEN_TEXT : Order.VALUE;
            ties.append(", ").append(orderBy("s." + Identifiers.quote(stageCol), o));
        }
        // rows of one key and load date with several effective-froms are changes within one batch, of which the table
        // (one row per key and load date) keeps one: the latest, the key's state at the end of the batch (as an
        // effectivity satellite keeps a driving key's latest row), not the smallest hashdiff, which may be any of them
        String latestFirst = effectiveFrom == null ? "" : ", s." + Identifiers.quote(effectiveFrom) + " DESC NULLS LAST";
        // stage load dates the table stores coarser (timestamps of one day into a date column) are one (key, load
        // date): then the latest of them, the key's state at the end of that day, not the smallest hashdiff, which
        // may be an earlier state (and the next batch stored a "change" back to the state the key already had)
        boolean coarser = !sld.equals("s." + ld);
        // named apart from the stored columns and the stage's effective-from, which the empty load's subquery also selects
        String stageLd = intermediate("stage_load_date".equals(effectiveFrom) ? "stage_load_date_" : "stage_load_date");
        String latestLdFirst = coarser ? ", s." + ld + " DESC NULLS LAST" : "";
        String sat = table.quoted();
        StringJoiner sc = new StringJoiner(", ");
        sc.add("s." + hk).add(shdAs);
        storedPayload.forEach(sc::add);
        if (effectiveFrom != null && !payload.contains(effectiveFrom)) {
            sc.add("s." + Identifiers.quote(effectiveFrom));
        }
        if (coarser) {
            sc.add("s." + ld + " AS " + stageLd);
        }
        sc.add(sldAs).add("s." + rs);
        String stageCols = sc.toString();
        String insertCols = hk + ", " + hd + (extra.isEmpty() ? "" : ", " + Identifiers.quoteAll(extra)) + ", " + ld + ", " + rs;
        // the load's own columns, named apart from the stored ones (a payload 'prev_hashdiff' made it ambiguous)
        String minLd = intermediate("min_ld");
        String isNew = intermediate("is_new");
        String prevHd = intermediate("prev_hashdiff");
        // a view mds did not build (by hand, AutomateDV's) may hold a NULL hashdiff, which the table refuses: such a row
        // must fail the load, not pass as "no change" (NULL IS DISTINCT FROM NULL is false) when it is a key's first
        String changed = rel.startsWith("(") || stage.materialization() != Stage.Materialization.VIEW
                ? "w." + prevHd + " IS DISTINCT FROM w." + hd
                : "(w." + prevHd + " IS DISTINCT FROM w." + hd + " OR w." + hd + " IS NULL)";
        String sql = "WITH cand AS MATERIALIZED (\n"
                + "    SELECT DISTINCT ON (s." + hk + ", " + sld + ") s." + hk + ", " + shdAs + candExtra + ", " + sldAs + ", s." + rs + "\n"
                + "    FROM " + rel + " AS s\n"
                + "    WHERE s." + hk + " IS NOT NULL\n"
                + "      AND NOT EXISTS (SELECT 1 FROM " + sat + " AS t WHERE t." + hk + " = s." + hk + " AND t." + ld + " = " + sld + ")\n"
                + "    ORDER BY s." + hk + ", " + sld + latestFirst + latestLdFirst + ", s." + shd + ties + "\n"
                + "),\n"
                + "keys AS (SELECT " + hk + ", min(" + ld + ") AS " + minLd + " FROM cand GROUP BY " + hk + "),\n"
                + "prior AS (\n"
                + "    SELECT p.* FROM keys AS k CROSS JOIN LATERAL (\n"
                + "        SELECT t." + hk + ", t." + hd + ", t." + ld + " FROM " + sat + " AS t\n"
                + "        WHERE t." + hk + " = k." + hk + " AND t." + ld + " < k." + minLd + " ORDER BY t." + ld + " DESC LIMIT 1) AS p\n"
                + "    UNION ALL\n"
                + "    SELECT t." + hk + ", t." + hd + ", t." + ld + " FROM " + sat + " AS t JOIN keys AS k ON t." + hk + " = k." + hk
                + " AND t." + ld + " > k." + minLd + "\n"
                + "),\n"
                + "seq AS (\n"
                + "    SELECT c." + hk + ", c." + hd + seqExtra + ", c." + ld + ", c." + rs + ", true AS " + isNew + " FROM cand AS c\n"
                + "    UNION ALL\n"
                + "    SELECT p." + hk + ", p." + hd + nulls + ", p." + ld + ", NULL::text, false FROM prior AS p\n"
                + "),\n"
                + "w AS (SELECT seq.*, lag(seq." + hd + ") OVER (PARTITION BY seq." + hk + " ORDER BY seq." + ld + ") AS " + prevHd + " FROM seq)\n"
                + "INSERT INTO " + sat + " (" + insertCols + ")\n"
                + "SELECT " + insertCols + " FROM w\n"
                + "WHERE w." + isNew + " AND " + changed;
        // into an empty satellite every row is new and has no stored predecessor: one sort, one window
        String empty = "INSERT INTO " + sat + " (" + insertCols + ")\n"
                + "SELECT " + insertCols + " FROM (\n"
                + "    SELECT c.*, lag(c." + hd + ") OVER (PARTITION BY c." + hk + " ORDER BY c." + ld + ") AS " + prevHd + "\n"
                + "    FROM (\n"
                + "        SELECT DISTINCT ON (s." + hk + ", s." + ld + ") s." + hk + ", s." + hd + candExtra + ", s." + ld + ", s." + rs + "\n"
                + "        FROM (SELECT " + stageCols + " FROM " + rel + " AS s OFFSET 0) AS s\n"
                + "        WHERE s." + hk + " IS NOT NULL\n"
                + "        ORDER BY s." + hk + ", s." + ld + latestFirst + (coarser ? ", s." + stageLd + " DESC NULLS LAST" : "")
                + ", s." + hd + ties + "\n"
                + "    ) AS c\n"
                + ") AS w\n"
                + "WHERE " + changed;
        return List.of(lock(c),
                "SELECT count(*) FROM (SELECT 1 FROM " + sat + " LIMIT 1) AS any_row", sql, empty);
    }
}
