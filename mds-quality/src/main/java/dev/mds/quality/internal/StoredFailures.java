package dev.mds.quality.internal;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where {@code storeFailures} writes a check's failing rows: one table per check in the configured schema, named
 * {@code <table>__<check id>}, and the statements that replace it.
 *
 * <p>A name longer than PostgreSQL's 63 bytes, or one that two checks of the suite would share (the same table name
 * in two schemas with the same check id; table {@code a__b} with id {@code c} and table {@code a} with id
 * {@code b__c}), is cut and ends in {@code _} and 8 hex digits of a hash of the checked table and the id, so it stays
 * the same from run to run.
 */
public final class StoredFailures {
    /** The start of the comment on every table this writes: only such tables are ever dropped or replaced. */
    static final String MARK = "mds-quality failing rows of check ";

    private final String schema;
    private final Map<String, String> names = new HashMap<>();
    /**
     * The check's other possible name (hashed when it is plain now, plain when hashed because shared): the name its
     * table had when the suite held other tables, which the run drops when it still holds this check's rows.
     */
    private final Map<String, String> alternates = new HashMap<>();

    /** The failure tables of {@code tables}' row-level checks, in {@code schema}. */
    public StoredFailures(String schema, List<TableSpec> tables) {
        this.schema = Identifiers.check(schema);
        Map<String, Integer> uses = new HashMap<>();
        for (TableSpec t : tables) {
            for (CheckSpec c : t.checks()) {
                if (c.rowLevel()) {
                    uses.merge(base(t.table(), c.id()), 1, Integer::sum);
                }
            }
        }
        for (TableSpec t : tables) {
            for (CheckSpec c : t.checks()) {
                if (!c.rowLevel()) {
                    continue;
                }
                String base = base(t.table(), c.id());
                String hashed = hashed(base, t.table() + "\0" + c.id());
                boolean fits = bytes(base) <= Identifiers.MAX_IDENTIFIER_BYTES;
                String name = uses.get(base) == 1 && fits ? base : hashed;
                names.put(key(t.table(), c.id()), name);
                if (fits) {
                    alternates.put(key(t.table(), c.id()), name.equals(base) ? hashed : base);
                }
            }
        }
    }

    /** The schema the tables are written to. */
    public String schema() {
        return schema;
    }

    /** The table holding the failing rows of check {@code id} of {@code table}. */
    public TableName table(TableName table, String id) {
        String name = names.get(key(table, id));
        if (name == null) {
            throw new IllegalArgumentException("no failures table for check " + id + " of " + table);
        }
        return TableName.of(schema, name);
    }

    /**
     * The name the failures table of check {@code id} of {@code table} has in a suite that does (or does not) hold
     * another check sharing its plain name: its table of such an earlier run, stale once the suite changed.
     */
    public java.util.Optional<TableName> alternate(TableName table, String id) {
        return java.util.Optional.ofNullable(alternates.get(key(table, id))).map(n -> TableName.of(schema, n));
    }

    /** Every failures table name of the suite, and every {@link #alternate} name. */
    public Set<String> names() {
        Set<String> all = new java.util.HashSet<>(names.values());
        all.addAll(alternates.values());
        return Set.copyOf(all);
    }

    /** {@code drop table if exists}: the first statement of a replacement, and all of it for a check that passed. */
    static String drop(TableName target) {
        return "drop table if exists " + target.quoted();
    }

    /**
     * The transaction-scoped advisory lock a run takes on {@code target} before it drops or replaces it, so that two
     * runs replacing the same table take turns: the first statement of every change to a failures table.
     */
    static String lock(TableName target) {
        return "select pg_advisory_xact_lock(hashtext(" + Identifiers.literal(MARK) + "), hashtext("
                + Identifiers.literal(target.quoted()) + "))";
    }

    /** The statements that replace {@code target} with the rows {@code select} returns, then mark it as this module's. */
    static List<String> replace(TableName target, String select, TableName table, String id) {
        return List.of(drop(target), "create table " + target.quoted() + " as " + select,
                "comment on table " + target.quoted() + " is " + Identifiers.literal(comment(table, id)));
    }

    /**
     * The comment on the failures table of check {@code id} of {@code table}: it names its owner, so that a table of
     * the same name written by another check (of another suite, whose table has the same name in another schema) is
     * told apart and left alone.
     */
    static String comment(TableName table, String id) {
        return MARK + id + " on " + table;
    }

    private static String key(TableName table, String id) {
        return table.schema() + "\0" + table.name() + "\0" + id;
    }

    private static String base(TableName table, String id) {
        return table.name() + "__" + id;
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** {@code base} cut at a character boundary to leave room for {@code _} and 8 hex digits of a hash of {@code what}. */
    private static String hashed(String base, String what) {
        return Identifiers.cutToBytes(base, Identifiers.MAX_IDENTIFIER_BYTES - 9) + "_" + Identifiers.shortHash(what);
    }
}
