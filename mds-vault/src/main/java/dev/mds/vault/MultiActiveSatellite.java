package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.TableName;
import dev.mds.vault.internal.Jdbc;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * A multi-active satellite, AutomateDV's {@code ma_sat}: per parent key and load date a SET of rows, one per
 * child key (a customer's phone numbers by phone type), stored as a whole whenever the set changes. A definition:
 * configure it, then {@link #createTable()}, {@link #sql()} or {@link #load()}. Not thread-safe.
 *
 * <pre>{@code
 * vault.multiActiveSatellite("dds.ma_sat_phones").parent("user_hk").childKeys("phone_type")
 *     .hashDiff("phone_hashdiff").payload("phone_number").from(phones).load();
 * }</pre>
 *
 * <p>What it matches of AutomateDV ({@code macros/tables/ma_sat.sql}, {@code default__ma_sat}, and
 * {@code macros/tables/sqlserver/ma_sat.sql}, which {@code postgres__ma_sat} calls, in Datavault-UK/automate-dv):
 * stage rows whose parent key or any child key is NULL are not loaded; a stage set is compared with a stored set
 * by its number of distinct (child keys, hashdiff) pairs and by how many of them the stored set holds, and when
 * they differ in any way ({@code source_count != target_count} or a pair not matched) every row of the stage set
 * is inserted; a parent key with no stored set has its set inserted. The stored columns are the parent key, the
 * child keys, the hashdiff, the payload, {@code effective_from} (optional), {@code load_date} and
 * {@code record_source}.
 *
 * <p>Where it deliberately differs, because AutomateDV is unsafe there: AutomateDV takes all the stage's rows of a
 * key as ONE set (counted over every load date) and compares it with the latest stored set only; mds takes each
 * (parent key, load date) as its own set, so several load dates of one key in one stage are compared in time
 * order, each with the set before it (a set equal to the one before it is not stored). A set is compared with the
 * set before it in time: the latest stored one for new data, the preceding stored or staged one for a
 * late-arriving set (as {@link Satellite} does with late rows); a stored set is never changed. A stage set whose
 * (parent key, load date) is already stored is skipped, so re-loading a stage inserts nothing (in AutomateDV a
 * re-load of a stage with several load dates per key inserts again); the primary key (parent key, child keys, load
 * date) backs this, and an index on (parent key, load date) serves "latest set per key". Two stage rows with the
 * same parent key, child keys and load date are one row: the one with the latest effective-from (when the satellite
 * stores one, as precise as the stage holds it; a NULL one counts as earliest), then the smallest hashdiff,
 * then record source, then child keys
 * by their text (1.0 and 1.00 are one child key), payload and effective-from (by value, then by text in byte order,
 * as {@link Link} breaks ties) is kept, so the stored row does not depend on the order of the stage's rows (under
 * AUTOMATEDV {@code 'abc'} and {@code 'ABC '} have one hashdiff). Child keys are told apart by the table's column
 * (its type and collation), not the stage's: a stage column with a case-insensitive collation does not merge
 * {@code 'home'} and {@code 'Home'}, which the table stores as two rows.
 * Concurrent loads of one satellite take turns (a {@code SHARE ROW EXCLUSIVE} table lock, which readers do not
 * wait for; a role that may only insert and select takes an advisory lock on the table's name instead). A stage's load date is taken as the table stores it: a
 * {@code date} or {@code timestamp} where the table's is a {@code timestamptz} (or the reverse) is read as UTC, and
 * then cast to the table's type, so that a stage of timestamps loaded into a table of dates has one set per day: of
 * a key's sets of that day in a stage (one per stage timestamp, as a table of timestamps stores them), the one of the
 * latest timestamp, the key's set at the end of the day (09:00 {home, work}, 23:00 {home} stores {home}); the last
 * sets of several stages are unioned, as their sets of one load date are. Rows of one batch of a stage must share
 * their load date, as in a table of timestamps, where each load date is a set. An
 * effective-from of another type than the table's is read the same way, or refused naming it when PostgreSQL cannot
 * assign it (an {@code integer} or {@code text} into a {@code timestamptz}).
 *
 * <p>Several stages ({@code from(crm, web)}) are unioned: the set of a (parent key, load date) is its rows in all of
 * them, and a child key in two stages is one row (the tie-break above). Load every stage that feeds one load date in
 * ONE load: a (parent key, load date) already stored is skipped, so the rows a second, separate load brings for it
 * are not added to the stored set (a set is stored once, whole).
 *
 * <p>What a multi-active satellite cannot say (as in AutomateDV): that a parent key lost all its rows. A key absent
 * from a stage is a set nobody loaded, not an empty set, so nothing is inserted; record disappearance in an
 * effectivity or status satellite. A late set is compared with the stored set before it, and the stored set after
 * it is not compared again: if the late set equals that later set, both stay stored (as {@link Satellite} does).
 */
public final class MultiActiveSatellite extends Structure {
    private String parent;
    private final List<String> childKeys = new ArrayList<>();
    private String hashDiff;
    private final List<String> payload = new ArrayList<>();
    private String effectiveFrom;
    private final List<Stage> stages = new ArrayList<>();

    MultiActiveSatellite(Vault vault, TableName table) {
        super(vault, table, "multi-active satellite");
    }

    /** The parent's hash key column (a hub's or a link's). */
    public MultiActiveSatellite parent(String hashKeyColumn) {
        this.parent = Identifiers.check(hashKeyColumn);
        return this;
    }

    /** The columns that tell the rows of one set apart (AutomateDV's {@code src_cdk}), stored as the stage has them. */
    public MultiActiveSatellite childKeys(String... columns) {
        addColumns(childKeys, columns);
        return this;
    }

    /** The stage's hashdiff column of each row (usually over the child keys and the payload). */
    public MultiActiveSatellite hashDiff(String column) {
        this.hashDiff = Identifiers.check(column);
        return this;
    }

    /** The descriptive columns stored with each row. */
    public MultiActiveSatellite payload(String... columns) {
        addColumns(payload, columns);
        return this;
    }

    /** A stage column stored as {@code effective_from}. */
    public MultiActiveSatellite effectiveFrom(String column) {
        this.effectiveFrom = Identifiers.check(column);
        return this;
    }

    /**
     * The stages it loads from. Several are unioned: a set is every row of one (parent key, load date) in all of them
     * (a customer's phones from the CRM and from the web shop), each row with its own stage's record source.
     */
    public MultiActiveSatellite from(Stage... stages) {
        addStages(this.stages, stages);
        return this;
    }

    @Override
    List<String> storedColumns() {
        List<String> all = new ArrayList<>();
        all.add(parent);
        all.addAll(childKeys);
        all.add(hashDiff);
        all.addAll(payload);
        if (effectiveFrom != null) {
            all.add(Satellite.EFFECTIVE_FROM);
        }
        all.add(Stage.LOAD_DATE);
        all.add(Stage.RECORD_SOURCE);
        return all;
    }

    /** A key's set at one load date is a row per child key: a key of the table holds them all (see {@link #checkKeysHoldRows}). */
    @Override
    List<String> rowKey() {
        List<String> out = new ArrayList<>();
        out.add(parent);
        out.addAll(childKeys);
        out.add(Stage.LOAD_DATE);
        return out;
    }

    @Override
    String rowKeyWhy() {
        return "a key's set at one load date is a row per child key, and every key changed at a load date has its set,"
                + " so a set of two rows (or two keys' sets) would break it";
    }

    @Override
    void missingSettings(List<String> missing) {
        if (parent == null) {
            missing.add("parent");
        }
        if (childKeys.isEmpty()) {
            missing.add("childKeys");
        }
        if (hashDiff == null) {
            missing.add("hashDiff");
        }
        if (stages.isEmpty()) {
            missing.add("from");
        }
    }

    /**
     * The DDL: primary key (parent key, child keys, load date), and an index on (parent key, load date) that makes
     * "the latest set of a key" an index lookup.
     */
    @Override
    List<String> tableDdl(Connection c) {
        Stage stage = stages.get(0);
        Relation s = Vault.relation(c, name(), stage.target());
        String where = nameFrom(stage);
        Vault.checkBytea(where, s, parent);
        Vault.checkBytea(where, s, hashDiff);
        StringJoiner cols = new StringJoiner(",\n    ");
        cols.add(vault.hashColumnDdl(parent));
        for (String k : childKeys) {
            Relation.Column col = s.require(where, k);
            if (!col.ordered() && !sortable(c, stage.target(), k)) {
                throw new MdsException(where + ": child key '" + k + "' is " + col.sqlType() + ", which PostgreSQL cannot"
                        + " order (it has no btree operator class), so it can be neither part of the primary key nor compared"
                        + " within a set; cast it in a derived column (json to jsonb or text, point to text)");
            }
            cols.add(Identifiers.quote(k) + " " + col.sqlType() + " NOT NULL");
        }
        cols.add(vault.hashColumnDdl(hashDiff));
        for (String p : payload) {
            cols.add(Identifiers.quote(p) + " " + s.require(where, p).sqlType());
        }
        if (effectiveFrom != null) {
            cols.add(Identifiers.quote(Satellite.EFFECTIVE_FROM) + " " + effectiveFromType(where, s, effectiveFrom));
        }
        addMetadataDdl(cols, s, where);
        List<String> pk = new ArrayList<>();
        pk.add(parent);
        pk.addAll(childKeys);
        pk.add(Stage.LOAD_DATE);
        cols.add("PRIMARY KEY (" + Identifiers.quoteAll(pk) + ")");
        return vault.tableDdl(c, table, cols,
                Vault.indexDdl(c, table, new HashSet<>(), parent, Stage.LOAD_DATE).toArray(String[]::new));
    }

    /** The collation of the table's column, qualified and quoted, if its type has one. */
    private Optional<String> collation(Connection c, String column) {
        return Jdbc.firstRow(c, "SELECT quote_ident(n.nspname) || '.' || quote_ident(co.collname) FROM pg_attribute AS a"
                + " JOIN pg_collation AS co ON co.oid = a.attcollation JOIN pg_namespace AS n ON n.oid = co.collnamespace"
                + " WHERE a.attrelid = " + PostgresDialect.INSTANCE.relationOid(table) + " AND a.attname = "
                + Identifiers.literal(column)).map(row -> row.get(0));
    }

    /** Whether PostgreSQL can sort the column (planning an ORDER BY, which runs nothing, tells). */
    private static boolean sortable(Connection c, TableName relation, String column) {
        String probe = "EXPLAIN SELECT 1 FROM " + relation.quoted() + " ORDER BY " + Identifiers.quote(column);
        try {
            return Jdbc.refusal(c, probe).isEmpty();
        } catch (SQLException e) {
            throw new MdsException("cannot check whether " + relation + "." + column + " can be sorted: " + e.getMessage(), e);
        }
    }

    @Override
    List<Stage> stagesRead() {
        return List.copyOf(stages);
    }

    @Override
    List<String> nonNullHashColumns() {
        return hashDiff == null ? List.of() : List.of(hashDiff);
    }

    @Override
    LoadResult run(List<String> statements) {
        return vault.load(table, statements, 1, List.of(parent, Stage.LOAD_DATE));
    }

    /**
     * Inserts the ghost record if the ghost key has no set yet: as {@link Satellite#insertGhostRecord()}, a set of one
     * row with the ghost key, an all-zero hashdiff, NULL payload, load date (and effective-from, if stored)
     * 1900-01-01 (midnight UTC for a {@code timestamptz}, whatever the session's TimeZone) and the vault's
     * {@link Vault#ghostRecordSource() ghost record source}. A second call inserts nothing. AutomateDV's {@code ma_sat}
     * has no ghost record (its {@code create_ghost_record} serves {@code sat} only and knows no child keys); this one
     * is what that macro gives a satellite, plus child keys. They are part of the primary key, so they cannot be NULL
     * (AutomateDV's ghost for a string): each gets the empty value of its type, as the table stores it: {@code ''}
     * for text, {@code 0} for numbers, {@code false}, 1900-01-01 00:00 (UTC) for a date, timestamp or time (as
     * AutomateDV's {@code ghost_for_type}), an all-zero hash for {@code bytea} (as its {@code binary_ghost}), the nil
     * UUID, a zero interval, an empty array, an enum's first label.
     *
     * @throws MdsException naming the child key when its type has none of these (an {@code inet}, a range), before
     *     anything is written; naming the satellite when the insert fails (nothing is inserted)
     */
    public LoadResult insertGhostRecord() {
        List<String> filled = new ArrayList<>(storedColumns());
        filled.removeAll(payload);
        return runGhostRecordSql(this::ghostRecordSql, filled);
    }

    /**
     * The statement {@link #insertGhostRecord()} runs, to show before it runs: the ghost record's insert, unless the
     * ghost key's set at the ghost load date is stored already (read-only: it reads the table's column types).
     *
     * @throws MdsException naming the child key when its type has no empty value
     */
    public String ghostRecordSql() {
        validate();
        return Jdbc.withConnection(vault.dataSource(), this::ghostRecordSql);
    }

    private String ghostRecordSql(Connection c) {
        Relation target = Vault.relation(c, name(), table);
        Vault.checkBytea(name(), target, parent);
        Vault.checkBytea(name(), target, hashDiff);
        vault.checkWidth(c, name(), table, parent);
        vault.checkWidth(c, name(), table, hashDiff);
        String ghost = vault.hashSql().ghostLiteral();
        String epoch = GHOST_DATE;
        List<String> columns = new ArrayList<>();
        List<String> values = new ArrayList<>();
        columns.add(parent);
        values.add(ghost);
        for (String k : childKeys) {
            columns.add(k);
            values.add("CAST(" + ghostChildKey(c, target, k, ghost, epoch) + " AS " + target.require(name(), k).sqlType() + ")");
        }
        columns.add(hashDiff);
        values.add(ghost);
        if (effectiveFrom != null) {
            columns.add(Satellite.EFFECTIVE_FROM);
            values.add("CAST(" + epoch + " AS " + target.require(name(), Satellite.EFFECTIVE_FROM).sqlType() + ")");
        }
        String ldType = target.require(name(), Stage.LOAD_DATE).sqlType();
        columns.add(Stage.LOAD_DATE);
        values.add("CAST(" + epoch + " AS " + ldType + ")");
        columns.add(Stage.RECORD_SOURCE);
        values.add(Identifiers.literal(vault.ghostRecordSource()));
        String hk = Identifiers.quote(parent);
        String ld = Identifiers.quote(Stage.LOAD_DATE);
        // a ghost set already stored, whatever its child keys, is the ghost record (as a stored set is never added to)
        return "INSERT INTO " + table.quoted() + " (" + Identifiers.quoteAll(columns) + ")\n"
                + "SELECT " + String.join(", ", values) + "\n"
                + "WHERE NOT EXISTS (SELECT 1 FROM " + table.quoted() + " AS t WHERE t." + hk + " = " + ghost
                + " AND t." + ld + " = CAST(" + epoch + " AS " + ldType + "))\n"
                + "ON CONFLICT DO NOTHING";
    }

    /** The ghost value of a child key, a literal of the table column's type, or a refusal naming the column. */
    private String ghostChildKey(Connection c, Relation target, String column, String ghost, String epoch) {
        // bt is the base type (through every level of domains) for the category, the names and enum labels
        String oid = PostgresDialect.INSTANCE.relationOid(table);
        List<String> type = Jdbc.firstRow(c, Relation.withBaseTypes(oid) + " SELECT bt.typcategory, bt.typname,"
                + " bt.typtype, (SELECT e.enumlabel FROM pg_enum AS e WHERE e.enumtypid = bt.oid ORDER BY e.enumsortorder"
                + " LIMIT 1) FROM pg_attribute AS a JOIN based AS d ON d.attnum = a.attnum JOIN pg_type AS bt ON bt.oid = d.base"
                + " WHERE a.attrelid = " + oid + " AND a.attname = " + Identifiers.literal(column)).orElseThrow();
        String category = type.get(0);
        String typname = type.get(1);
        if ("bytea".equals(typname)) {
            return ghost;
        }
        if ("uuid".equals(typname)) {
            return "'00000000-0000-0000-0000-000000000000'";
        }
        if ("e".equals(type.get(2)) && type.get(3) != null) {
            return Identifiers.literal(type.get(3));
        }
        return switch (category) {
            case "S" -> "''";
            case "N" -> "'0'";
            case "B" -> "'false'";
            case "D" -> epoch;             // date, timestamp(tz): 1900-01-01 00:00 UTC; time(tz): 00:00 (the date is ignored)
            case "T" -> "'00:00:00'";
            case "A" -> "'{}'";
            default -> throw new MdsException(name() + ": cannot insert a ghost record: child key '" + column + "' is "
                    + target.require(name(), column).sqlType() + ", which has no ghost value (text, number, boolean, date"
                    + " or time, interval, uuid, bytea, array and enum child keys have one); the ghost set's child keys"
                    + " are part of the primary key and cannot be NULL");
        };
    }

    /**
     * The lock, then one insert: the stage's sets not stored yet ({@code cand}), merged in time with the stored sets
     * of their keys that matter (the latest one before the earliest staged set, and every later one), each set
     * summarised as the sorted array of its (child keys, hashdiff) pairs; a staged set is inserted, all its rows,
     * when that array differs from the one of the set before it.
     */
    @Override
    List<String> statements(Connection c) {
        Relation target = Vault.relation(c, name(), table);
        Vault.checkBytea(name(), target, parent);
        Vault.checkBytea(name(), target, hashDiff);
        vault.checkWidth(c, name(), table, parent);
        vault.checkWidth(c, name(), table, hashDiff);
        String hk = Identifiers.quote(parent);
        String hd = Identifiers.quote(hashDiff);
        String ld = Identifiers.quote(Stage.LOAD_DATE);
        String rs = Identifiers.quote(Stage.RECORD_SOURCE);
        String sat = table.quoted();
        Relation.Column tLd = target.require(name(), Stage.LOAD_DATE);
        List<Relation> read = new ArrayList<>();
        StringJoiner union = new StringJoiner("\n        UNION ALL\n        ");
        List<String[]> perStage = new ArrayList<>();   // per stage: its select list, its FROM and WHERE, its last load date
        // stage load dates the table stores coarser (timestamps of one day into a date column) are one stored load
        // date: of a key's sets of that day in a stage, the one of its latest timestamp is its set at the end of the day
        boolean coarser = false;
        String stageLdCol = intermediate("stage_load_date");
        String stageEfCol = intermediate("stage_effective_from");
        for (Stage stage : stages) {
            String where = nameFrom(stage);
            String rel = vault.stageRelation(c, stage);
            Relation s = Vault.relation(c, name(), stage.target());
            read.add(s);
            Vault.checkBytea(where, s, parent);
            Vault.checkBytea(where, s, hashDiff);
            vault.checkWidth(c, where, stage.target(), parent);
            vault.checkWidth(c, where, stage.target(), hashDiff);
            // the stage's load date as the table stores it: a set is one (parent key, load date) of the TABLE, so two
            // stage timestamps of one day are one set of a date column (grouped apart, the insert broke the primary key)
            stageLoadDateType(where, s);
            String sld = storedLoadDate(s.require(where, Stage.LOAD_DATE), tLd);
            // the stage's own load date, read in UTC as the table's: finer than the table's when it casts
            String stageLd = inUtc("s." + ld, s.require(where, Stage.LOAD_DATE).baseSqlType(), tLd.baseSqlType());
            coarser |= !sld.equals(stageLd);
            s.require(where, Stage.RECORD_SOURCE);
            StringJoiner items = new StringJoiner(", ");
            StringJoiner notNull = new StringJoiner(" AND ");
            items.add("s." + hk);
            notNull.add("s." + hk + " IS NOT NULL");
            for (String k : childKeys) {
                String item = storedItem(c, where, s, k, target);
                Optional<String> collation = collation(c, k);
                if (collation.isPresent()) {
                    // the table's equality, not the stage's: under a case-insensitive collation of the stage, 'Home'
                    // and 'home' were one child key and one row was dropped, though the table stores both
                    String alias = " AS " + Identifiers.quote(k);
                    String expr = item.endsWith(alias) ? item.substring(0, item.length() - alias.length()) : item;
                    item = "(" + expr + ") COLLATE " + collation.get() + alias;
                }
                items.add(item);
                notNull.add("s." + Identifiers.quote(k) + " IS NOT NULL");
            }
            items.add("s." + hd);
            for (String p : payload) {
                items.add(storedItem(c, where, s, p, target));
            }
            if (effectiveFrom != null) {
                items.add(effectiveFromItem(c, where, s, effectiveFrom, target));
            }
            items.add(sld + " AS " + ld);
            items.add("s." + rs);
            items.add(stageLd + " AS " + stageLdCol);
            if (effectiveFrom != null) {
                // the stage's own effective-from, read in UTC as the table's: rows are ordered by it, as finely as the
                // stage holds it (cast to a date column, two changes of one day tied and the smaller hashdiff won)
                items.add(inUtc("s." + Identifiers.quote(effectiveFrom), s.require(where, effectiveFrom).baseSqlType(),
                        target.require(name(), Satellite.EFFECTIVE_FROM).baseSqlType()) + " AS " + stageEfCol);
            }
            perStage.add(new String[] {items.toString(), "        FROM " + rel + " AS s\n"
                    + "        WHERE " + notNull + "\n"
                    + "          AND NOT EXISTS (SELECT 1 FROM " + sat + " AS t WHERE t." + hk + " = s." + hk + " AND t." + ld + " = " + sld + ")",
                    "max(" + stageLd + ") OVER (PARTITION BY s." + hk + ", " + sld + ")"});
        }
        // stage load dates the table stores coarser: a stage's load dates of one stored load date (a day's timestamps)
        // are its sets one after the other, and it gives the day its last set, the key's set at the end of the day
        // (merged per child key, a set that shrank within the day was stored as the union, holding child keys no
        // longer there); the sets several stages give one day are unioned, as the stages' sets of one load date are
        String lastLd = intermediate("last_stage_load_date");
        for (String[] m : perStage) {
            union.add("SELECT " + m[0] + (coarser ? ", " + m[2] + " AS " + lastLd : "") + "\n" + m[1]);
        }
        read.add(target);            // a stage column of another type is cast to the table's: its order counts too
        StringBuilder tieBreak = new StringBuilder();
        for (String k : childKeys) {
            if (order(read, k) != Order.VALUE) {
                // equal child keys that print differently (1.0 and 1.00): the stored spelling must not depend on row order
                tieBreak.append(", ").append(orderBy("s." + Identifiers.quote(k), Order.TEXT));
            }
        }
        for (String p : payload) {
            tieBreak.append(", ").append(orderBy("s." + Identifiers.quote(p), order(read, p)));
        }
        if (effectiveFrom != null) {
            tieBreak.append(", ").append(orderBy("s." + Identifiers.quote(Satellite.EFFECTIVE_FROM),
                    order(List.of(target), Satellite.EFFECTIVE_FROM)));
        }

        // rows of one child key and load date with several effective-froms are changes of it within one batch, of which
        // the set keeps one: the latest, as a satellite does (see Satellite), not the smallest hashdiff
        String latestFirst = (effectiveFrom == null ? "" : ", s." + stageEfCol + " DESC NULLS LAST")
                + (coarser ? ", s." + stageLdCol + " DESC NULLS LAST" : "");
        String cks = Identifiers.quoteAll(childKeys);
        String sCks = Identifiers.quoteAll("s", childKeys);
        String tCks = Identifiers.quoteAll("t", childKeys);
        String xCks = Identifiers.quoteAll("x", childKeys);
        String insertCols = Identifiers.quoteAll(storedColumns());
        // the load's own columns, named apart from the stored ones (a child key 'is_new' made "is_new" ambiguous)
        String minLd = intermediate("min_ld");
        String isNew = intermediate("is_new");
        String members = intermediate("members");
        String prevMembers = intermediate("prev_members");
        String staged = "(\n"
                + "        " + union + "\n"
                + "        OFFSET 0\n"
                + "    ) AS s\n";
        if (coarser) {
            staged += "    WHERE s." + stageLdCol + " IS NULL OR s." + stageLdCol + " = s." + lastLd + "\n";
        }
        String sql = "WITH cand AS MATERIALIZED (\n"
                + "    SELECT DISTINCT ON (s." + hk + ", " + sCks + ", s." + ld + ") s.*\n"
                + "    FROM " + staged
                + "    ORDER BY s." + hk + ", " + sCks + ", s." + ld + latestFirst + ", s." + hd + ", s." + rs + " COLLATE \"C\"" + tieBreak + "\n"
                + "),\n"
                + "keys AS (SELECT " + hk + ", min(" + ld + ") AS " + minLd + " FROM cand GROUP BY " + hk + "),\n"
                + "prior AS (\n"
                + "    SELECT t." + hk + ", " + tCks + ", t." + hd + ", t." + ld + "\n"
                + "    FROM keys AS k\n"
                + "    CROSS JOIN LATERAL (SELECT t2." + ld + " FROM " + sat + " AS t2 WHERE t2." + hk + " = k." + hk
                + " AND t2." + ld + " < k." + minLd + " ORDER BY t2." + ld + " DESC LIMIT 1) AS p\n"
                + "    JOIN " + sat + " AS t ON t." + hk + " = k." + hk + " AND t." + ld + " = p." + ld + "\n"
                + "    UNION ALL\n"
                + "    SELECT t." + hk + ", " + tCks + ", t." + hd + ", t." + ld + "\n"
                + "    FROM " + sat + " AS t JOIN keys AS k ON t." + hk + " = k." + hk + " AND t." + ld + " > k." + minLd + "\n"
                + "),\n"
                + "sets AS (\n"
                + "    SELECT x." + hk + ", x." + ld + ", bool_and(x." + isNew + ") AS " + isNew + ",\n"
                + "        array_agg(ROW(" + xCks + ", x." + hd + ") ORDER BY " + xCks + ", x." + hd + ") AS " + members + "\n"
                + "    FROM (\n"
                + "        SELECT " + hk + ", " + cks + ", " + hd + ", " + ld + ", true AS " + isNew + " FROM cand\n"
                + "        UNION ALL\n"
                + "        SELECT " + hk + ", " + cks + ", " + hd + ", " + ld + ", false FROM prior\n"
                + "    ) AS x\n"
                + "    GROUP BY x." + hk + ", x." + ld + "\n"
                + "),\n"
                + "changed AS (\n"
                + "    SELECT w." + hk + ", w." + ld + " FROM (\n"
                + "        SELECT sets.*, lag(sets." + members + ") OVER (PARTITION BY sets." + hk + " ORDER BY sets." + ld + ") AS " + prevMembers + "\n"
                + "        FROM sets\n"
                + "    ) AS w\n"
                + "    WHERE w." + isNew + " AND w." + prevMembers + " IS DISTINCT FROM w." + members + "\n"
                + ")\n"
                + "INSERT INTO " + sat + " (" + insertCols + ")\n"
                + "SELECT " + Identifiers.quoteAll("c", storedColumns()) + "\n"
                // a row without a load date is not silently dropped: the table's NOT NULL refuses it, naming the stage
                + "FROM cand AS c WHERE c." + ld + " IS NULL OR (c." + hk + ", c." + ld + ") IN (SELECT ch." + hk + ", ch." + ld + " FROM changed AS ch)";
        return List.of(lock(c), sql);
    }
}
