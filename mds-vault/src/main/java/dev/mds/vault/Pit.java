package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.TableName;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A point-in-time table over a hub and its satellites: for each hub key and each as-of date, the key and load
 * date of each satellite's row in effect then (the ghost key and 1900-01-01 when there is none). Rebuilt in
 * full by each {@link #load()}: loads of one PIT take turns, and readers see the previous rows until a load commits.
 * A definition; not thread-safe.
 *
 * <pre>{@code
 * vault.pit("dds.pit_users").hub("dds.hub_users", "user_hk").satellites("dds.sat_users")
 *     .asOf(List.of(LocalDate.of(2024, 1, 31), LocalDate.of(2024, 2, 29))).load();
 * }</pre>
 *
 * Columns: the hash key, {@code as_of_date}, and per satellite {@code <sat>_pk} and {@code <sat>_ldts}.
 */
public final class Pit extends Structure {
    /** The as-of column. */
    public static final String AS_OF_DATE = "as_of_date";

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
     * of the same table name (in different schemas) are refused, as their columns would clash.
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
     * {@code timestamptz} as-of). Against a {@code timestamp} hub load date a value with an offset is refused at load.
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

    private static String prefix(TableName sat) {
        return sat.name();
    }

    @Override
    List<String> tableDdl(Connection c) {
        Relation h = Vault.relation(c, name(), hub);
        String ldType = h.require(name(), Stage.LOAD_DATE).sqlType();
        StringJoiner cols = new StringJoiner(",\n    ");
        cols.add(Identifiers.quote(hashKey) + " bytea NOT NULL");
        cols.add(Identifiers.quote(AS_OF_DATE) + " " + ldType + " NOT NULL");
        for (TableName s : satellites) {
            Relation sr = Vault.relation(c, name(), s);
            cols.add(Identifiers.quote(prefix(s) + "_pk") + " bytea NOT NULL");
            cols.add(Identifiers.quote(prefix(s) + "_ldts") + " " + sr.require(name(), Stage.LOAD_DATE).sqlType() + " NOT NULL");
        }
        cols.add("PRIMARY KEY (" + Identifiers.quote(hashKey) + ", " + Identifiers.quote(AS_OF_DATE) + ")");
        return Vault.tableDdl(table, cols);
    }

    /** Rebuilds the table. */
    @Override
    LoadResult run(List<String> statements) {
        return vault.run(table.toString(), statements, statements.size() - 1);
    }

    /**
     * The as-of value as text whose meaning does not depend on the session: against a {@code timestamptz} load date
     * a {@link LocalDate} or {@link LocalDateTime} is read in UTC (PostgreSQL would read it in the session's
     * TimeZone); against a {@code timestamp} a value with an offset is refused (PostgreSQL would drop the offset).
     */
    private String asOfText(Object d, String ldType) {
        boolean withZone = ldType.endsWith("with time zone");
        if (withZone && d instanceof LocalDate ld) {
            return ld.atStartOfDay().atOffset(ZoneOffset.UTC).toString();
        }
        if (withZone && d instanceof LocalDateTime ldt) {
            return ldt.atOffset(ZoneOffset.UTC).toString();
        }
        if (!withZone && ldType.startsWith("timestamp") && (d instanceof OffsetDateTime || d instanceof Instant)) {
            throw new MdsException(name() + ": as-of date " + d + " has an offset, but the load date of " + hub + " is "
                    + ldType + ", which has none; give a LocalDateTime or a LocalDate");
        }
        return d.toString();
    }

    @Override
    List<String> statements(Connection c) {
        Relation h = Vault.relation(c, name(), hub);
        Vault.checkBytea(name(), h, hashKey);
        Vault.relation(c, name(), table);
        String ldType = h.require(name(), Stage.LOAD_DATE).sqlType();
        String hk = Identifiers.quote(hashKey);
        String ld = Identifiers.quote(Stage.LOAD_DATE);
        String ghost = vault.hashSql().ghostLiteral();
        StringJoiner dates = new StringJoiner(", ");
        for (Object d : asOf) {
            dates.add("(" + Identifiers.literal(asOfText(d, ldType)) + "::" + ldType + ")");
        }
        StringJoiner sel = new StringJoiner(", ");
        StringJoiner cols = new StringJoiner(", ");
        StringJoiner joins = new StringJoiner("\n");
        sel.add("h." + hk).add("a.d");
        cols.add(hk).add(Identifiers.quote(AS_OF_DATE));
        int i = 0;
        for (TableName s : satellites) {
            Relation sr = Vault.relation(c, name(), s);
            sr.require(name(), hashKey);
            String satLd = sr.require(name(), Stage.LOAD_DATE).sqlType();
            String alias = "s" + (i++);
            sel.add("COALESCE(" + alias + ".k, " + ghost + ")");
            sel.add("COALESCE(" + alias + ".ld, '1900-01-01 00:00:00+00'::" + satLd + ")");
            cols.add(Identifiers.quote(prefix(s) + "_pk")).add(Identifiers.quote(prefix(s) + "_ldts"));
            // each row of the satellite with the load date of its key's next row: it is in effect as of a date from
            // its own load date up to (not including) the next one. One ordered pass over the satellite's primary key
            // and a merge join on the hash key; a LATERAL "latest row at or before the date" per key and date was an
            // index probe per PIT row (the select of 200k keys x 30 dates over two 1M-row satellites: 31 s, now 15 s)
            String asOfHere = inUtc("a.d", ldType, satLd);
            joins.add("LEFT JOIN (SELECT t." + hk + ", t." + ld + ", lead(t." + ld + ") OVER (PARTITION BY t." + hk
                    + " ORDER BY t." + ld + ") FROM " + s.quoted() + " AS t WHERE t." + ld + " IS NOT NULL) AS " + alias
                    + "(k, ld, next_ld)\n    ON " + alias + ".k = h." + hk + " AND " + alias + ".ld <= " + asOfHere
                    + " AND (" + alias + ".next_ld IS NULL OR " + alias + ".next_ld > " + asOfHere + ")");
        }
        // the lock: loads take turns (readers are not blocked), so a second load's insert cannot meet the rows a
        // concurrent one committed after this one's delete. Nested loops off: a nested loop over a satellite's
        // windowed rows (if the planner misjudged a size) would read them all once per hub key and date; the hub x
        // dates cross join, which has no other plan, stays a nested loop
        return List.of(lock(), "SET LOCAL enable_nestloop = off", "DELETE FROM " + table.quoted(),
                "INSERT INTO " + table.quoted() + " (" + cols + ")\nSELECT " + sel + "\nFROM " + hub.quoted() + " AS h\n"
                        // DISTINCT: two as-of values for one instant (a repeated date, or a LocalDate and the same
                        // midnight as an OffsetDateTime) would be one (key, as-of) twice, refused by the primary key;
                        // ordered, so that over the hub read in key order the rows come in primary-key order for the insert
                        + "CROSS JOIN (SELECT DISTINCT v.d FROM (VALUES " + dates + ") AS v(d) ORDER BY v.d) AS a(d)\n" + joins);
    }
}
