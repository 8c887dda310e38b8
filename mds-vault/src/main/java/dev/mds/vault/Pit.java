package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.vault.internal.HashSql;
import dev.mds.vault.internal.Jdbc;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A point-in-time table over a hub and its satellites: for each hub key and each as-of date, the key and load
 * date of each satellite's row in effect then (the ghost key and 1900-01-01 when there is none; under AUTOMATEDV,
 * for a satellite holding AutomateDV's ghost record and not mds's, that record's key and load date). After each
 * {@link #load()} the table holds exactly those rows for the hub's keys and the given dates, as a full rebuild would,
 * but only the difference is written: missing rows inserted, rows whose satellite rows changed updated, rows of other
 * dates or of keys no longer in the hub deleted; {@link LoadResult#rowsInserted()} counts the rows inserted or
 * updated (0 for a re-run over unchanged satellites). Loads of one PIT take turns, and readers see the previous rows
 * until a load commits. A definition; not thread-safe.
 *
 * <pre>{@code
 * vault.pit("dds.pit_users").hub("dds.hub_users", "user_hk").satellites("dds.sat_users")
 *     .asOf(List.of(LocalDate.of(2024, 1, 31), LocalDate.of(2024, 2, 29))).load();
 * }</pre>
 *
 * Columns: the hash key, {@code as_of_date}, and per satellite {@code <sat>_pk} and {@code <sat>_ldts}.
 */
public final class Pit extends Structure {
    private static final Logger LOG = LoggerFactory.getLogger(Pit.class);
    /** The as-of column. */
    public static final String AS_OF_DATE = "as_of_date";
    /** The precision of a {@code timestamp(p)} type. */
    private static final Pattern PRECISION = Pattern.compile("timestamp\\((\\d)\\).*");

    private TableName hub;
    private String hashKey;
    private final List<TableName> satellites = new ArrayList<>();
    private final List<Object> asOf = new ArrayList<>();

    Pit(Vault vault, TableName table) {
        super(vault, table, "pit");
    }

    /** The hub and its hash key column (the satellites' parent column has the same name). */
    public Pit hub(String hubTable, String hashKeyColumn) {
        this.hub = TableName.parse(hubTable);
        this.hashKey = Identifiers.check(hashKeyColumn);
        return this;
    }

    /**
     * The satellites, each giving the columns {@code <table name>_pk} and {@code <table name>_ldts}: two satellites
     * of the same table name (in different schemas) are refused, as their columns would clash, and so is a
     * satellite whose name is too long for them (over 58 bytes). A satellite one of whose columns would be the hub's
     * hash key (a table {@code customer} under a hub key {@code customer_pk}) is refused by {@link #createTable()},
     * {@link #sql()} and {@link #load()}, before any statement runs, naming the PIT, the satellite and the column.
     *
     * @throws IllegalArgumentException naming the PIT and the satellite
     */
    public Pit satellites(String... tables) {
        for (String t : tables) {
            TableName sat = TableName.parse(t);
            for (TableName other : satellites) {
                if (prefix(other).equals(prefix(sat))) {
                    throw new IllegalArgumentException(name() + ": satellites " + other + " and " + sat + " would both give"
                            + " the columns " + prefix(sat) + "_pk and " + prefix(sat) + "_ldts; a PIT takes one satellite"
                            + " of each table name");
                }
            }
            for (String column : List.of(prefix(sat) + "_pk", prefix(sat) + "_ldts")) {
                try {
                    Identifiers.check(column);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(name() + ": satellite " + sat + " would give the column " + column
                            + ", which PostgreSQL cannot hold: " + e.getMessage(), e);
                }
            }
            satellites.add(sat);
        }
        return this;
    }

    /**
     * The as-of dates: {@link LocalDate}, {@link LocalDateTime}, {@link OffsetDateTime}, {@link ZonedDateTime} or
     * {@link Instant}, stored in {@code as_of_date} in the hub's load-date type. A satellite row is in effect as of a
     * date when its load date is at or before it; a {@code LocalDate} means the start of that day (its midnight), as
     * AutomateDV's PIT compares a date with a timestamp. Values without a zone are UTC wherever they meet a
     * {@code timestamptz}, whatever the session's TimeZone: a {@code LocalDate} or {@code LocalDateTime} against a
     * {@code timestamptz} hub load date, and a hub's {@code date} or {@code timestamp} as-of against a satellite's
     * {@code timestamptz} load date (or a satellite's {@code date} or {@code timestamp} load date against a
     * {@code timestamptz} as-of). Against a {@code timestamp} or {@code date} hub load date a value with an offset is
     * refused at load (PostgreSQL would drop the offset, so one instant would give different as-of dates by how it is
     * written); against a {@code date} a {@code LocalDateTime} is its day, as PostgreSQL casts it. A value finer than
     * the hub's load-date type holds (nanoseconds; fractions of a {@code timestamp(p)}) is cut to it, never rounded
     * up, so no row loaded after the value is in effect as of it.
     */
    public Pit asOf(List<?> dates) {
        for (Object d : dates) {
            if (!(d instanceof LocalDate || d instanceof LocalDateTime || d instanceof OffsetDateTime
                    || d instanceof ZonedDateTime || d instanceof Instant)) {
                throw new IllegalArgumentException(name() + ": as-of date " + d + " is not a java.time date or timestamp");
            }
            asOf.add(d instanceof ZonedDateTime z ? z.toOffsetDateTime() : d);
        }
        return this;
    }

    @Override
    List<String> rowKey() {
        return List.of(hashKey, AS_OF_DATE);
    }

    @Override
    String rowKeyWhy() {
        return "the PIT writes a row per (" + hashKey + ", " + AS_OF_DATE + "): a hub key's row at every as-of date,"
                + " and every hub key at an as-of date";
    }

    @Override
    void missingSettings(List<String> missing) {
        if (hub == null) {
            missing.add("hub");
        }
        if (satellites.isEmpty()) {
            missing.add("satellites");
        }
        if (asOf.isEmpty()) {
            missing.add("asOf");
        }
    }

    /**
     * Refuses a hub hash key named like a satellite's column ({@code <table name>_pk} or {@code _ldts}), naming the
     * satellite. The names stay: they are the ones AutomateDV's PIT gives with the usual {@code pk: {PK: …}} and
     * {@code ldts: {LDTS: …}} (which would clash there too), and queries over a PIT use them.
     */
    @Override
    void checkCombinations() {
        for (TableName s : satellites) {
            for (String column : List.of(prefix(s) + "_pk", prefix(s) + "_ldts")) {
                if (column.equals(hashKey)) {
                    throw new IllegalArgumentException(name() + ": satellite " + s + " gives the column '" + column
                            + "' (a PIT names each satellite's key and load date <table name>_pk and <table name>_ldts),"
                            + " which is also the hub's hash key '" + hashKey + "', so the PIT would"
                            + " have that column twice; rename the satellite's table (or the hub's hash key)");
                }
            }
        }
    }

    @Override
    List<String> storedColumns() {
        List<String> out = new ArrayList<>();
        out.add(hashKey);
        out.add(AS_OF_DATE);
        for (TableName s : satellites) {
            out.add(prefix(s) + "_pk");
            out.add(prefix(s) + "_ldts");
        }
        return out;
    }

    private static String prefix(TableName sat) {
        return sat.name();
    }

    @Override
    List<String> tableDdl(Connection c) {
        Relation h = Vault.relation(c, name(), hub);
        // a hash, as the load needs (statements() refuses it too): named before the PIT is created over it
        Vault.checkBytea(name(), h, hashKey);
        String ldType = stageLoadDateType(name(), h);
        StringJoiner cols = new StringJoiner(",\n    ");
        cols.add(Identifiers.quote(hashKey) + " bytea NOT NULL");
        cols.add(Identifiers.quote(AS_OF_DATE) + " " + ldType + " NOT NULL");
        for (TableName s : satellites) {
            Relation sr = Vault.relation(c, name(), s);
            Vault.checkBytea(name(), sr, hashKey);
            cols.add(Identifiers.quote(prefix(s) + "_pk") + " bytea NOT NULL");
            cols.add(Identifiers.quote(prefix(s) + "_ldts") + " " + stageLoadDateType(name(), sr) + " NOT NULL");
        }
        cols.add("PRIMARY KEY (" + Identifiers.quote(hashKey) + ", " + Identifiers.quote(AS_OF_DATE) + ")");
        return vault.tableDdl(c, table, cols);
    }

    /**
     * Brings the table to the rows of the hub's keys and the dates: the lock, a flag saying whether the table is
     * empty, then the insert (which runs only into an empty table), the delete and the merge (which run only into
     * one holding rows, and write only what differs). Each statement checks the flag once, so running all of them
     * in order, as {@link #sql()} shows them, is the load.
     */
    @Override
    LoadResult run(List<String> statements) {
        long t0 = System.nanoTime();
        String structure = table.toString();
        // load() names the PIT in the error (Structure#explained)
        long rows = Jdbc.withConnection(vault.dataSource(), conn -> Jdbc.transaction(conn, "", c -> {
            long written = 0;
            for (int i = 0; i < statements.size(); i++) {
                long n = Sql.update(c, statements.get(i));
                written += i == 3 || i == 5 ? n : 0;              // the insert and the merge; not the delete
            }
            return written;
        }));
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("{}: {} rows inserted or updated in {} ms", structure, rows, d.toMillis());
        return new LoadResult(structure, rows, d);
    }

    /**
     * The as-of value as text whose meaning does not depend on the session: against a {@code timestamptz} load date
     * a {@link LocalDate} or {@link LocalDateTime} is read in UTC (PostgreSQL would read it in the session's
     * TimeZone); against a {@code timestamp} or a {@code date} a value with an offset is refused (PostgreSQL would drop
     * the offset).
     */
    private String asOfText(Object d, String ldType) {
        d = cut(d, ldType);
        boolean withZone = ldType.endsWith("with time zone");
        if (withZone && d instanceof LocalDate ld) {
            return ld.atStartOfDay().atOffset(ZoneOffset.UTC).toString();
        }
        if (withZone && d instanceof LocalDateTime ldt) {
            return ldt.atOffset(ZoneOffset.UTC).toString();
        }
        // a date drops the offset as a timestamp does (and the time of day too): 2024-01-02T20:00-05:00 was 2 January,
        // the same instant as an Instant (2024-01-03T01:00Z) 3 January
        boolean date = ldType.equals("date");
        if (!withZone && (date || ldType.startsWith("timestamp")) && (d instanceof OffsetDateTime || d instanceof Instant)) {
            throw new MdsException(name() + ": as-of date " + d + " has an offset, but the load date of " + hub + " is "
                    + ldType + ", which has none; give " + (date ? "a LocalDate" : "a LocalDateTime or a LocalDate"));
        }
        return d.toString();
    }

    /**
     * The value cut to the fractional digits of the timestamp type {@code ldType} (6, or its precision): PostgreSQL
     * rounds, so an as-of a fraction before a row's load date became that load date and the row was in effect then.
     */
    private static Object cut(Object d, String ldType) {
        if (!ldType.startsWith("timestamp")) {
            return d;
        }
        Matcher m = PRECISION.matcher(ldType);
        int unit = (int) Math.pow(10, 9 - (m.matches() ? Integer.parseInt(m.group(1)) : 6));
        if (d instanceof LocalDateTime x) {
            return x.withNano(x.getNano() - x.getNano() % unit);
        }
        if (d instanceof OffsetDateTime x) {
            return x.withNano(x.getNano() - x.getNano() % unit);
        }
        if (d instanceof Instant x) {
            return Instant.ofEpochSecond(x.getEpochSecond(), x.getNano() - x.getNano() % unit);
        }
        return d;
    }

    /**
     * Whether, under AUTOMATEDV, the satellite holds AutomateDV's ghost record ({@link HashSql#automateDvGhostLiteral})
     * and not mds's: the PIT then points at AutomateDV's, where a satellite has no row in effect, so that joining the
     * PIT to the satellite finds the ghost row as AutomateDV's own PIT (with ghost records enabled) does.
     */
    private boolean automateDvGhostOnly(Connection c, TableName satellite) {
        if (vault.standard() != HashStandard.AUTOMATEDV) {
            return false;
        }
        String hk = "g." + Identifiers.quote(hashKey);
        String own = vault.hashSql().ghostLiteral();
        String adv = HashSql.automateDvGhostLiteral(vault.algorithm());
        // one query, one pass at most over a satellite AutomateDV created (it has no index on its key)
        return Jdbc.queryLong(c, "SELECT coalesce(max(CASE WHEN x.k = " + own + " THEN 2 ELSE 1 END), 0) FROM (SELECT DISTINCT "
                + hk + " AS k FROM " + satellite.quoted() + " AS g WHERE " + hk + " IN (" + own + ", " + adv + ") LIMIT 2) AS x") == 1;
    }

    @Override
    List<String> statements(Connection c) {
        Relation h = Vault.relation(c, name(), hub);
        Vault.checkBytea(name(), h, hashKey);
        Vault.relation(c, name(), table);
        String ldType = stageLoadDateType(name(), h);
        String hk = Identifiers.quote(hashKey);
        String ld = Identifiers.quote(Stage.LOAD_DATE);
        String ghost = vault.hashSql().ghostLiteral();
        StringJoiner dates = new StringJoiner(", ");
        for (Object d : asOf) {
            dates.add("(" + Identifiers.literal(asOfText(d, baseType(h, Stage.LOAD_DATE))) + "::" + ldType + ")");
        }
        StringJoiner sel = new StringJoiner(", ");
        StringJoiner cols = new StringJoiner(", ");
        StringJoiner joins = new StringJoiner("\n");
        sel.add("h." + hk).add("a.d");
        cols.add(hk).add(Identifiers.quote(AS_OF_DATE));
        int i = 0;
        for (TableName s : satellites) {
            Relation sr = Vault.relation(c, name(), s);
            // a hash, as the hub's: named here, not by PostgreSQL's "operator does not exist: text = bytea" in the load
            Vault.checkBytea(name(), sr, hashKey);
            String satLd = stageLoadDateType(name(), sr);
            String alias = "s" + (i++);
            String ghostKey = ghost;
            String ghostLd = GHOST_DATE + "::" + satLd;
            if (automateDvGhostOnly(c, s)) {
                // AutomateDV's ghost row, at the load date it has: AutomateDV casts '1900-01-01 00:00:00' to the
                // column's type, a timestamptz in the dbt session's TimeZone
                ghostKey = HashSql.automateDvGhostLiteral(vault.algorithm());
                ghostLd = "COALESCE((SELECT min(g." + ld + ") FROM " + s.quoted() + " AS g WHERE g." + hk + " = " + ghostKey
                        + "), " + ghostLd + ")";
            }
            sel.add("COALESCE(" + alias + ".k, " + ghostKey + ")");
            sel.add("COALESCE(" + alias + ".ld, " + ghostLd + ")");
            cols.add(Identifiers.quote(prefix(s) + "_pk")).add(Identifiers.quote(prefix(s) + "_ldts"));
            // each row of the satellite with the load date of its key's next row: it is in effect as of a date from
            // its own load date up to (not including) the next one. One ordered pass over the satellite's primary key
            // and a merge join on the hash key; a LATERAL "latest row at or before the date" per key and date was an
            // index probe per PIT row (the select of 200k keys x 30 dates over two 1M-row satellites: 31 s, now 15 s)
            String asOfHere = inUtc("a.d", baseType(h, Stage.LOAD_DATE), baseType(sr, Stage.LOAD_DATE));
            joins.add("LEFT JOIN (SELECT t." + hk + ", t." + ld + ", lead(t." + ld + ") OVER (PARTITION BY t." + hk
                    + " ORDER BY t." + ld + ") FROM " + s.quoted() + " AS t WHERE t." + ld + " IS NOT NULL) AS " + alias
                    + "(k, ld, next_ld)\n    ON " + alias + ".k = h." + hk + " AND " + alias + ".ld <= " + asOfHere
                    + " AND (" + alias + ".next_ld IS NULL OR " + alias + ".next_ld > " + asOfHere + ")");
        }
        // the rows the PIT must hold, in primary-key order (an incremental sort of each key's dates, as the hub is
        // read in key order), so that the merge below meets the stored rows in one ordered pass over both
        String rows = "SELECT " + sel + "\nFROM " + hub.quoted() + " AS h\n"
                // DISTINCT: two as-of values for one instant (a repeated date, or a LocalDate and the same midnight
                // as an OffsetDateTime) would be one (key, as-of) twice, refused by the primary key. Ordered, so that
                // over the hub read in key order the rows come in primary-key order
                + "CROSS JOIN (SELECT DISTINCT v.d FROM (VALUES " + dates + ") AS v(d) ORDER BY v.d) AS a(d)\n" + joins;
        // set by the load's third statement: whether the PIT was empty (see below)
        String flag = "current_setting('mds.pit_load_into_empty')";
        String want = rows + "\nWHERE " + flag + " = 'false'\nORDER BY h." + hk + ", a.d";
        StringJoiner names = new StringJoiner(", ");
        StringJoiner differ = new StringJoiner(", ");
        StringJoiner to = new StringJoiner(", ");
        StringJoiner set = new StringJoiner(", ");
        StringJoiner values = new StringJoiner(", ");
        List<String> colNames = new ArrayList<>();
        colNames.add(hk);
        colNames.add(Identifiers.quote(AS_OF_DATE));
        for (TableName s : satellites) {
            colNames.add(Identifiers.quote(prefix(s) + "_pk"));
            colNames.add(Identifiers.quote(prefix(s) + "_ldts"));
        }
        for (int k = 0; k < colNames.size(); k++) {
            String w = "w.c" + k;
            names.add("c" + k);
            values.add(w);
            if (k >= 2) {
                differ.add("p." + colNames.get(k));
                to.add(w);
                set.add(colNames.get(k) + " = " + w);
            }
        }
        // the lock: loads take turns (readers are not blocked), so a second load cannot meet rows a concurrent one
        // committed after it read the table. Nested loops off: a nested loop over a satellite's windowed rows (if
        // the planner misjudged a size) would read them all once per hub key and date; the hub x dates cross join,
        // which has no other plan, stays a nested loop.
        // Into an empty PIT the rows are inserted. Into one holding rows only what changed is written: the rows of
        // dates no longer asked for or keys no longer in the hub are deleted, and the merge inserts missing rows and
        // updates those whose satellite rows changed (deleting and re-inserting every row made a re-run of the same
        // dates cost twice the first load). A transaction-local setting says which case this is: each statement
        // tests it once (a one-time filter), so the other case's statements read nothing.
        return List.of(lock(c), "SET LOCAL enable_nestloop = off",
                "SELECT set_config('mds.pit_load_into_empty', (NOT EXISTS (SELECT 1 FROM " + table.quoted() + "))::text, true)",
                "INSERT INTO " + table.quoted() + " (" + cols + ")\n" + rows + "\nWHERE " + flag + " = 'true'",
                "DELETE FROM " + table.quoted() + " AS p WHERE " + flag + " = 'false' AND (p." + Identifiers.quote(AS_OF_DATE)
                        + " NOT IN (SELECT v.d FROM (VALUES " + dates + ") AS v(d)) OR NOT EXISTS (SELECT 1 FROM "
                        + hub.quoted() + " AS h WHERE h." + hk + " = p." + hk + "))",
                "MERGE INTO " + table.quoted() + " AS p\nUSING (" + want + ") AS w(" + names + ")\nON p." + hk + " = w.c0 AND p." + Identifiers.quote(AS_OF_DATE) + " = w.c1\nWHEN MATCHED AND (" + differ
                        + ") IS DISTINCT FROM (" + to + ") THEN UPDATE SET " + set + "\nWHEN NOT MATCHED THEN INSERT (" + cols
                        + ") VALUES (" + values + ")");
    }
}
