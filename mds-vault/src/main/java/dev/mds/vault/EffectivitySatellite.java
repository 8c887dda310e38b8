package dev.mds.vault;

import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.vault.internal.Jdbc;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An effectivity satellite over a link with a driving key: when each link of a driving key (say a user) starts
 * and ends. Insert-only: opening a link inserts a row with the end of time as {@code end_date}; when the
 * driving key moves to another link, a row closing the old link is inserted; with an {@link #endDate} column, a
 * stage row can also end its link without a replacement. A definition; not thread-safe.
 *
 * <pre>{@code
 * vault.effectivitySatellite("dds.eff_user_product").link("purchase_hk").drivingKey("user_hk")
 *     .effectiveFrom("purchased_at").from(purchases).load();
 * }</pre>
 *
 * A driving key may be several columns, as AutomateDV's {@code src_dfk} may be a list: with
 * {@code drivingKey("customer_hk", "nation_hk")} each (customer, nation) pair keeps its own open link, and a stage row
 * with a NULL in any of them is skipped. An optional {@link #secondaryKey} (AutomateDV's {@code src_sfk}) is stored
 * with each row, and a stage row with a NULL in it is skipped too; a move is still a different link hash key. Per
 * load, the stage's latest row per driving key (by effective-from, then load date) is the driving key's active link;
 * intermediate changes inside one stage are collapsed. Re-loading a stage inserts nothing.
 *
 * <p>The timeline only moves forward: a stage row changes its driving key's open link only when its effective-from
 * is on or after the open link's start and its load date is after the open link's load date. An older row is
 * skipped (and counted in a WARN log line), whether it is a replay of history the satellite already holds
 * (re-loading an earlier batch inserts nothing, whatever its load date), a second batch with the same load date
 * (the first one loaded wins, as in a satellite) or late-arriving data: the effectivity satellite does not rewrite
 * a past period, so a link that was in effect between two stored changes and arrives late is not recorded. A row
 * effective on the open link's start date replaces it when its load date is later (a same-day correction; the
 * closed row then ends where it starts). So every closing row has a later load date than the row it closes. A
 * closing row (a move, or an {@link #endDate} ending the open link) stores the load date of the stage row that closes
 * the link and the record source of the stored row it closes, as AutomateDV's {@code eff_sat} closing row does.
 * A stage whose effective-from or load date is a {@code date} or {@code timestamp} where the stored one is a
 * {@code timestamptz} (or the reverse) is read as UTC (a date as its midnight), whatever the session's TimeZone; a
 * stage load date is then taken as the table stores it (timestamps loaded into a {@code date} column are their day,
 * so a second batch of a day is one with that day's load date, skipped as above).
 */
public final class EffectivitySatellite extends Structure {
    private static final Logger LOG = LoggerFactory.getLogger(EffectivitySatellite.class);

    /** Stored columns. */
    public static final String START_DATE = "start_date";
    public static final String END_DATE = "end_date";

    private String link;
    /** The driving key's columns, in the order given; empty until set. */
    private List<String> drivingKeys = List.of();
    /** The secondary key's columns (AutomateDV's {@code src_sfk}), in the order given; empty unless set. */
    private List<String> secondaryKeys = List.of();
    private String effectiveFrom;
    private String endDate;
    private Stage stage;

    EffectivitySatellite(Vault vault, TableName table) {
        super(vault, table, "effectivity satellite");
    }

    /**
     * The link's hash key column.
     *
     * @throws IllegalArgumentException when it is one of the driving key's or the secondary key's columns, naming the
     *     structure and the column
     */
    public EffectivitySatellite link(String column) {
        String checked = Identifiers.check(column);
        if (drivingKeys.contains(checked)) {
            throw new IllegalArgumentException(linkAsDrivingKey(checked));
        }
        if (secondaryKeys.contains(checked)) {
            throw new IllegalArgumentException(linkAsSecondaryKey(checked));
        }
        this.link = checked;
        return this;
    }

    /**
     * The driving key: the hash key of the driving hub (one of the link's references), or several of them, as
     * AutomateDV's {@code src_dfk} takes a list. Each combination of the columns' values is one driving key, with at
     * most one open link: a link over customer, order and nation driven by {@code drivingKey("customer_hk",
     * "nation_hk")} moves a (customer, nation) pair from one order to another, and a row for the same customer with
     * another nation is another driving key, leaving the first pair's link open. Stage rows with a NULL in any of the
     * columns are skipped (not counted in the warning), as AutomateDV's {@code eff_sat} filters them out. Replaces
     * the columns set before.
     *
     * @throws IllegalArgumentException when no column is given, a column is given twice, or a column is the link's
     *     hash key or one of the {@link #secondaryKey secondary key's} columns, naming the structure and the column
     */
    public EffectivitySatellite drivingKey(String... columns) {
        Objects.requireNonNull(columns, "columns");
        if (columns.length == 0) {
            throw new IllegalArgumentException(name() + ": drivingKey needs at least one column");
        }
        List<String> keys = new ArrayList<>();
        addColumns(keys, columns);
        for (int i = 0; i < keys.size(); i++) {
            String c = keys.get(i);
            if (keys.subList(0, i).contains(c)) {
                throw new IllegalArgumentException(name() + ": driving key column '" + c + "' is named twice in "
                        + keys + "; name each column once");
            }
            if (c.equals(link)) {
                throw new IllegalArgumentException(linkAsDrivingKey(c));
            }
            if (secondaryKeys.contains(c)) {
                throw new IllegalArgumentException(drivingAndSecondary(c));
            }
        }
        this.drivingKeys = List.copyOf(keys);
        return this;
    }

    /**
     * Optional: the secondary key, AutomateDV's {@code src_sfk}: the hash keys of the link's other hubs (one or
     * several), stored with each row after the driving key's columns, as AutomateDV's {@code eff_sat} table holds them.
     * Stage rows with a NULL in any of them are skipped (not counted in the warning), as AutomateDV's {@code eff_sat}
     * filters them out, like rows with a NULL driving column. Which link a driving key is on is still decided by the
     * link's hash key, as by AutomateDV's current {@code eff_sat}: when the link's hash key hashes exactly the driving
     * and the secondary keys, that is the same as comparing the secondary keys; when the link's hash key hashes more
     * (a hub or a dependent child key not named as secondary key), a change of it alone is a move; when it hashes
     * less, a change of a secondary key alone is none (the row is a replay of its link). A row closing a link (a move)
     * stores the closed row's secondary key, as AutomateDV's closing row does; other rows store the stage row's.
     * Without this setting the table has no secondary key columns and loads as before. Replaces the columns set
     * before.
     *
     * @throws IllegalArgumentException when no column is given, a column is given twice, or a column is the link's
     *     hash key or one of the driving key's columns, naming the structure and the column
     */
    public EffectivitySatellite secondaryKey(String... columns) {
        Objects.requireNonNull(columns, "columns");
        if (columns.length == 0) {
            throw new IllegalArgumentException(name() + ": secondaryKey needs at least one column");
        }
        List<String> keys = new ArrayList<>();
        addColumns(keys, columns);
        for (int i = 0; i < keys.size(); i++) {
            String c = keys.get(i);
            if (keys.subList(0, i).contains(c)) {
                throw new IllegalArgumentException(name() + ": secondary key column '" + c + "' is named twice in "
                        + keys + "; name each column once");
            }
            if (c.equals(link)) {
                throw new IllegalArgumentException(linkAsSecondaryKey(c));
            }
            if (drivingKeys.contains(c)) {
                throw new IllegalArgumentException(drivingAndSecondary(c));
            }
        }
        this.secondaryKeys = List.copyOf(keys);
        return this;
    }

    private String linkAsSecondaryKey(String column) {
        return name() + ": secondary key column '" + column + "' is the link's hash key; a secondary key is one or more"
                + " of the link's references (its other hubs' hash keys) besides the driving key";
    }

    private String drivingAndSecondary(String column) {
        return name() + ": column '" + column + "' is both a driving key and a secondary key column; name it in one of"
                + " them (the driving key's columns choose the open link, the secondary key's are the link's other hubs)";
    }

    private String linkAsDrivingKey(String column) {
        return name() + ": driving key column '" + column + "' is the link's hash key; a driving key is one or more of"
                + " the link's references (the driving hubs' hash keys), whose combination keeps one open link";
    }

    /** The stage column saying when the link became effective. */
    public EffectivitySatellite effectiveFrom(String column) {
        this.effectiveFrom = Identifiers.check(column);
        return this;
    }

    /**
     * Optional: the stage column saying when the row's link ended, for sources that end a link without a
     * replacement (a user closing an account with a product). A row with a NULL end, or one on or after the end of
     * time (AutomateDV's 9999-12-31 23:59:59.999999 too), is open, as without this column. A row with an end records a
     * closed period: when its link is the driving key's open one, a row closing that link at the end (from the open
     * link's start, with the open row's record source); when it names another link, the open one is closed at the
     * row's effective-from, as for any move, and the row's own period is stored closed. A driving key whose links are all closed takes a row that starts on
     * or after its last end and is loaded later (a new link, or AutomateDV's re-open of a closed one); an earlier
     * start is late data or a replay and is skipped, so a stored end is never moved by a later row. An end before the
     * row's effective-from is refused, naming the link key.
     */
    public EffectivitySatellite endDate(String column) {
        this.endDate = Identifiers.check(column);
        return this;
    }

    /**
     * The stage it loads from. An effectivity satellite loads from ONE stage (as AutomateDV's {@code eff_sat} takes
     * one source model): to feed it from several sources, union them in one stage (a view over their union, passed
     * to {@link Stage#of}), so that each driving key's latest link is chosen across all of them in one load.
     *
     * @throws IllegalStateException when a stage is already set: a second stage neither replaces the first nor is
     *     added to it; the definition is left unchanged
     */
    public EffectivitySatellite from(Stage stage) {
        this.stage = onlyStage(this.stage, stage);
        return this;
    }

    @Override
    List<String> storedColumns() {
        List<String> out = new ArrayList<>();
        out.add(link);
        out.addAll(drivingKeys);
        out.addAll(secondaryKeys);
        out.addAll(List.of(START_DATE, END_DATE, Stage.LOAD_DATE, Stage.RECORD_SOURCE));
        return out;
    }

    @Override
    List<String> rowKey() {
        return List.of(link, Stage.LOAD_DATE);
    }

    @Override
    String rowKeyWhy() {
        return "the effectivity satellite writes a row per (" + link + ", " + Stage.LOAD_DATE + "): a link's opening"
                + " row, and its closing row at the load date its driving key moves";
    }

    @Override
    void missingSettings(List<String> missing) {
        if (link == null) {
            missing.add("link");
        }
        if (drivingKeys.isEmpty()) {
            missing.add("drivingKey");
        }
        if (effectiveFrom == null) {
            missing.add("effectiveFrom");
        }
        if (stage == null) {
            missing.add("from");
        }
    }

    private static String endOfTime(String sqlType) {
        return "date".equals(sqlType) ? "DATE '9999-12-31'" : "'9999-12-31 00:00:00+00'::" + sqlType;
    }

    /**
     * The DDL: the link, the driving key's and the secondary key's columns, the dates and the metadata; primary key
     * (link, load date), an index on (driving key columns…, load date), by which a load looks up each driving key's
     * stored links.
     */
    @Override
    List<String> tableDdl(Connection c) {
        Relation s = Vault.relation(c, name(), stage.target());
        // the hash columns are bytea whatever the stage: read it for those, so a misnamed one creates no table
        Vault.checkBytea(nameFrom(stage), s, link);
        for (String dk : drivingKeys) {
            Vault.checkBytea(nameFrom(stage), s, dk);
        }
        for (String sk : secondaryKeys) {
            Vault.checkBytea(nameFrom(stage), s, sk);
        }
        requireDateOrTimestamp(s);
        String effType = s.require(name(), effectiveFrom).sqlType();
        StringJoiner cols = new StringJoiner(",\n    ");
        cols.add(vault.hashColumnDdl(link));
        for (String key : keyColumns()) {
            cols.add(Identifiers.quote(key) + " bytea NOT NULL");
        }
        cols.add(Identifiers.quote(START_DATE) + " " + effType);
        cols.add(Identifiers.quote(END_DATE) + " " + effType + " NOT NULL");
        addMetadataDdl(cols, s, name());
        cols.add("PRIMARY KEY (" + Identifiers.quote(link) + ", " + Identifiers.quote(Stage.LOAD_DATE) + ")");
        List<String> indexed = new ArrayList<>(drivingKeys);
        indexed.add(Stage.LOAD_DATE);
        return vault.tableDdl(c, table, cols,
                Vault.indexDdl(c, table, new HashSet<>(), indexed.toArray(String[]::new)).toArray(String[]::new));
    }

    @Override
    List<Stage> stagesRead() {
        return stage == null ? List.of() : List.of(stage);
    }

    /**
     * Opens and closes links; logs how many stage rows were skipped as older than their driving key's open link.
     * With an {@link #endDate} the second statement looks for a row ending before it starts and stops the load there.
     */
    @Override
    LoadResult run(List<String> statements) {
        long t0 = System.nanoTime();
        long[] counts = Jdbc.withConnection(vault.dataSource(), c -> {
            long[] n = vault.hashingTransaction(c, name(), x -> {
                // the lock, then (with an end date: four statements) the check, the join setting, the load
                for (int i = 0; i < statements.size() - 1; i++) {
                    String s = statements.get(i);
                    if (i == 1 && statements.size() == 4) {
                        Jdbc.firstRow(x, s).ifPresent(bad -> {
                            throw new MdsException(nameFrom(stage) + ": link " + bad.get(0) + " ends ("
                                    + endDate + " " + bad.get(2) + ") before it starts (" + effectiveFrom + " " + bad.get(1)
                                    + "); nothing was loaded");
                        });
                    } else {
                        Sql.update(x, s);
                    }
                }
                return Jdbc.firstRowOfLongs(x, statements.get(statements.size() - 1));
            });
            Vault.analyzeAfterCommit(c, table, n[0], List.of());
            return n;
        });
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        if (counts[1] > 0) {
            LOG.warn("{}: {} stage row(s) skipped: each names another link than its driving key's open one (or, when all"
                    + " its links are closed, a link not stored as recently) but is not newer (effective-from before the"
                    + " latest start, or a load date not after the latest load date): a replayed batch or late data,"
                    + " which an effectivity satellite does not record", name(), counts[1]);
        }
        LOG.info("{}: {} rows inserted in {} ms", table, counts[0], d.toMillis());
        return new LoadResult(table.toString(), counts[0], d);
    }

    /**
     * Refuses an effective-from or end date of the stage that is no date, timestamp or timestamptz: links are ordered
     * by it and compared with the end of time, so text dates ('9/15/2024' after '10/1/2024') chose the wrong open
     * link silently, and an integer failed inside the load naming no column.
     */
    private void requireDateOrTimestamp(Relation s) {
        String where = nameFrom(stage);
        for (String column : endDate == null ? List.of(effectiveFrom) : List.of(effectiveFrom, endDate)) {
            Relation.Column col = s.require(where, column);
            FieldType.Kind k = col.type().map(FieldType::kind).orElse(null);
            if (k != FieldType.Kind.DATE && k != FieldType.Kind.TIMESTAMP && k != FieldType.Kind.TIMESTAMPTZ) {
                throw new MdsException(where + ": " + (column.equals(effectiveFrom) ? "effective-from" : "end date")
                        + " column '" + column + "' is " + col.sqlType() + "; it must be a date, timestamp or timestamptz"
                        + " (cast it in a derived column of the stage, e.g. to_date(" + column + ", 'MM/DD/YYYY'))");
            }
        }
    }

    /** The driving key's columns, qualified by {@code alias} unless it is null: {@code s."customer_hk", s."nation_hk"}. */
    private String dkCols(String alias) {
        return alias == null ? Identifiers.quoteAll(drivingKeys) : Identifiers.quoteAll(alias, drivingKeys);
    }

    /** The same driving key in {@code a} and {@code b}: every column equal. */
    private String dkEq(String a, String b) {
        StringJoiner out = new StringJoiner(" AND ");
        for (String column : drivingKeys) {
            String q = Identifiers.quote(column);
            out.add(a + "." + q + " = " + b + "." + q);
        }
        return out.toString();
    }

    /** The driving key's columns, then the secondary key's: the references the table stores after the link. */
    private List<String> keyColumns() {
        List<String> out = new ArrayList<>(drivingKeys);
        out.addAll(secondaryKeys);
        return out;
    }

    /** The driving key's and secondary key's columns qualified by {@code alias} unless it is null. */
    private String keyCols(String alias) {
        return alias == null ? Identifiers.quoteAll(keyColumns()) : Identifiers.quoteAll(alias, keyColumns());
    }

    /**
     * No driving or secondary key column of {@code alias} is NULL (AutomateDV's eff_sat skips a row with a NULL in
     * any of its {@code src_dfk} and {@code src_sfk}).
     */
    private String dkNotNull(String alias) {
        StringJoiner out = new StringJoiner(" AND ");
        for (String column : keyColumns()) {
            out.add(alias + "." + Identifiers.quote(column) + " IS NOT NULL");
        }
        return out.toString();
    }

    /**
     * A table created with secondary key columns (NOT NULL) that this definition does not name is the usual case of
     * {@link Structure#checkFilled}: the hint says so.
     */
    @Override
    String unfilledHint() {
        return "; if the table was created with them as secondary key, name them in secondaryKey(...) (it names "
                + secondaryKeys + ")";
    }

    @Override
    List<String> statements(Connection c) {
        String where = nameFrom(stage);
        Relation s = Vault.relation(c, name(), stage.target());
        requireDateOrTimestamp(s);
        Relation target = Vault.relation(c, name(), table);
        Vault.checkBytea(where, s, link);
        // the table's hash keys too (a column changed by hand): named here, not by PostgreSQL's "function btrim(text,
        // bytea) does not exist" from the width check below, or a failed comparison with the stage's bytea in the load
        Vault.checkBytea(name(), target, link);
        for (String column : drivingKeys) {
            Vault.checkBytea(where, s, column);
            // a table created with other driving key columns (the definition changed since): named here, not by
            // PostgreSQL's "column e.… does not exist" inside the load
            Vault.checkBytea(name(), target, column);
        }
        for (String column : secondaryKeys) {
            Vault.checkBytea(where, s, column);
            // a table created without the secondary key (it was set since): named before anything is written
            Vault.checkBytea(name(), target, column);
        }
        vault.checkWidth(c, where, stage.target(), link);
        vault.checkWidth(c, name(), table, link);
        stageLoadDateType(where, s);
        String end = endOfTime(target.require(name(), END_DATE).sqlType());
        String lk = Identifiers.quote(link);
        // the driving key's columns: the first one stands for them where they are all NULL or none is
        String dk = Identifiers.quote(drivingKeys.get(0));
        String ef = Identifiers.quote(effectiveFrom);
        String ld = Identifiers.quote(Stage.LOAD_DATE);
        String rs = Identifiers.quote(Stage.RECORD_SOURCE);
        String sd = Identifiers.quote(START_DATE);
        String ed = Identifiers.quote(END_DATE);
        String eff = table.quoted();
        // a stage's effective-from or load date of another type than the stored one is converted in UTC (see
        // inUtc): compared with and stored as the satellite's, it would be cast in the session's TimeZone
        String sef = inUtc("s." + ef, s.require(where, effectiveFrom).baseSqlType(), baseType(target, START_DATE));
        // the load date as the table stores it: a stage's timestamps loaded into a date column are compared with the
        // stored load dates as days, so a second batch of a day is that day's, as in a satellite (compared as
        // timestamps, a move on the day its link was loaded was taken as later, and its row closing that link had the
        // load date of the row opening it: the load failed on the primary key)
        String sld = storedLoadDate(s.require(where, Stage.LOAD_DATE), target.require(name(), Stage.LOAD_DATE));
        String rawLd = inUtc("s." + ld, s.require(where, Stage.LOAD_DATE).baseSqlType(), baseType(target, Stage.LOAD_DATE));
        // of a driving key's rows of one stored load date, the latest stage load date
        String laterFirst = sld.equals(rawLd) ? "" : ", " + rawLd + " DESC";
        String storedEnd = target.require(name(), END_DATE).sqlType();
        // a row's end, NULL while open; without an end-date column every row is open
        String stop = "CAST(NULL AS " + storedEnd + ")";
        String check = null;
        if (endDate != null) {
            String se = inUtc("s." + Identifiers.quote(endDate), s.require(where, endDate).baseSqlType(),
                    baseType(target, END_DATE));
            // open: no end, or one on the last day (AutomateDV compares the date of 9999-12-31 23:59:59.999999)
            stop = "(CASE WHEN " + se + " >= " + end + " THEN NULL ELSE " + se + " END)";
            // the values named in the error, as UTC text whatever the session's TimeZone
            String text = baseType(target, END_DATE).endsWith(" with time zone") ? "((%s) AT TIME ZONE 'UTC')::text || '+00'" : "(%s)::text";
            check = "SELECT encode(s." + lk + ", 'hex'), " + text.formatted(sef) + ", " + text.formatted(se) + "\n"
                    + "FROM " + stage.target().quoted() + " AS s\n"
                    + "WHERE s." + lk + " IS NOT NULL AND " + dkNotNull("s") + " AND " + se + " < " + sef + "\n"
                    + "LIMIT 1";
        }
        // the load's own column, named apart from the stored ones (a driving key 'stop' made it ambiguous)
        String stopCol = intermediate("stop");
        String sql = "WITH active AS (\n"
                + "    SELECT DISTINCT ON (" + dkCols("s") + ") s." + lk + ", " + keyCols("s") + ", " + sef + " AS start_date, "
                + stop + " AS " + stopCol + ", "
                + (sld.equals("s." + ld) ? sld : sld + " AS " + ld) + ", s." + rs + "\n"
                + "    FROM " + stage.target().quoted() + " AS s\n"
                + "    WHERE s." + lk + " IS NOT NULL AND " + dkNotNull("s") + " AND s." + ef + " IS NOT NULL\n"
                + "    ORDER BY " + dkCols("s") + ", " + sef + " DESC, " + sld + " DESC" + laterFirst
                // rows that tie but for their end store the earliest end, whatever the stage's row order
                + (endDate == null ? "" : ", " + stop + " IS NULL, " + stop) + ", s." + lk + ", s." + rs + "::text COLLATE \"C\"\n"
                + "),\n"
                // each driving key's stored links by the (driving key, load date) index, whatever the batch's size
                + "latest AS (\n"
                + "    SELECT l.* FROM active AS k CROSS JOIN LATERAL (\n"
                + "        SELECT DISTINCT ON (e." + lk + ") e.* FROM " + eff + " AS e\n"
                + "        WHERE " + dkEq("e", "k") + " ORDER BY e." + lk + ", e." + ld + " DESC) AS l\n"
                + "),\n"
                // open: an end on the last day, as a stage's end is read (and as AutomateDV's eff_sat compares
                // DATE(end_date)), so the links AutomateDV stored ending 9999-12-31 23:59:59.999 are open too
                + "open AS (SELECT * FROM latest WHERE " + ed + " >= " + end + "),\n"
                // driving keys whose links are all closed: what is newer starts on or after the last end
                + "settled AS (\n"
                + "    SELECT " + dkCols("l") + ", max(l." + ed + ") AS " + ed + ", max(l." + ld + ") AS " + ld + " FROM latest AS l\n"
                + "    WHERE NOT EXISTS (SELECT 1 FROM open AS o WHERE " + dkEq("o", "l") + ")\n"
                + "    GROUP BY " + dkCols("l") + "\n"
                + "),\n"
                + "current AS (\n"
                + "    SELECT a.* FROM active AS a\n"
                + "    WHERE NOT EXISTS (SELECT 1 FROM open AS o WHERE " + dkEq("o", "a") + "\n"
                + "        AND (o." + sd + " > a.start_date OR o." + ld + " >= a." + ld + "))\n"
                + "    AND NOT EXISTS (SELECT 1 FROM settled AS z WHERE " + dkEq("z", "a") + "\n"
                + "        AND (z." + ed + " > a.start_date OR z." + ld + " >= a." + ld + "))\n"
                + "),\n"
                + "changes AS (\n"
                + "    SELECT a." + lk + ", " + keyCols("a") + ", a.start_date AS " + sd + ", " + end + " AS " + ed + ", a." + ld + ", a." + rs + "\n"
                + "    FROM current AS a WHERE a." + stopCol + " IS NULL AND NOT EXISTS (SELECT 1 FROM open AS o WHERE o." + lk + " = a." + lk + ")\n"
                + "    UNION ALL\n"
                // a row ending its open link closes the stored row: its start and, as AutomateDV's closing row, its source
                + "    SELECT a." + lk + ", " + keyCols("a") + ", COALESCE(o." + sd + ", a.start_date), a." + stopCol + ", a." + ld
                + ", COALESCE(o." + rs + ", a." + rs + ")\n"
                + "    FROM current AS a LEFT JOIN open AS o ON o." + lk + " = a." + lk + " WHERE a." + stopCol + " IS NOT NULL\n"
                + "    UNION ALL\n"
                // the closing row keeps the closed link's stored secondary key and record source, as AutomateDV's
                // takes the open row's (lo.*), with the stage row's load date (h.LOAD_DATETIME)
                + "    SELECT o." + lk + ", " + keyCols("o") + ", o." + sd + ", a.start_date, a." + ld + ", o." + rs + "\n"
                + "    FROM open AS o JOIN current AS a ON " + dkEq("a", "o") + " AND a." + lk + " <> o." + lk + "\n"
                + "),\n"
                + "inserted AS (\n"
                + "INSERT INTO " + eff + " (" + lk + ", " + keyCols(null) + ", " + sd + ", " + ed + ", " + ld + ", " + rs + ")\n"
                + "SELECT * FROM changes\n"
                + "RETURNING 1\n"
                + ")\n"
                + "SELECT (SELECT count(*) FROM inserted) AS inserted,\n"
                // joins, not EXISTS under OR (a subplan per row): a driving key has at most one open link and one
                // settled row, a link one latest row
                + "    (SELECT count(*) FROM active AS a\n"
                + "     LEFT JOIN open AS o ON " + dkEq("o", "a") + "\n"
                + "     LEFT JOIN settled AS z ON " + dkEq("z", "a") + "\n"
                + "     LEFT JOIN latest AS l ON l." + lk + " = a." + lk + "\n"
                + "     LEFT JOIN current AS k ON " + dkEq("k", "a") + "\n"
                + "     WHERE k." + dk + " IS NULL\n"
                + "     AND (o." + dk + " IS NOT NULL AND (o." + lk + " <> a." + lk + " OR a." + stopCol + " IS NOT NULL)\n"
                // a driving key with every link closed: a row whose link holds nothing as recent is dropped news
                + "          OR z." + dk + " IS NOT NULL AND (l." + lk + " IS NULL OR l." + ld + " < a." + ld + "))) AS skipped";
        // the CTEs' row estimates are guesses; a nested loop between two of them is quadratic in the batch (10k
        // driving keys took 20 s), so joins between them hash (the LATERAL lookup above stays a nested loop)
        String joins = "SET LOCAL enable_nestloop = off";
        return check == null ? List.of(lock(c), joins, sql) : List.of(lock(c), check, joins, sql);
    }
}
