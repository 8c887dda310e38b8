package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;

/**
 * A link: one row per combination of hub keys, with its own hash key, first load date and record source, and
 * optional extra columns. A definition: configure it, then {@link #createTable()}, {@link #sql()} or
 * {@link #load()}. Not thread-safe.
 *
 * <pre>{@code
 * vault.link("dds.link_purchases").hashKey("purchase_hk").refs("user_hk", "product_hk")
 *     .payload("purchased_at").from(purchases).load();
 * }</pre>
 *
 * A row with a NULL reference is dropped ({@link NullKeys#SKIP}, the default) or the reference becomes the
 * ghost key ({@link NullKeys#GHOST}); a row whose link hash key is NULL is always dropped. Each new link is stored
 * with its earliest load date; on equal load dates the smallest record source wins, then the smallest references
 * and payload (payload by its value, then by its text in byte order, which also orders types mds does not know, such
 * as an interval, a range, money or an enum; text, JSON and types PostgreSQL cannot order by their text alone), so
 * the result depends neither on the order of the stage's rows nor on session settings (DateStyle, TimeZone,
 * IntervalStyle).
 * A stage whose load date is a {@code date} or {@code timestamp} where the link's is a {@code timestamptz} (or the
 * reverse) is read as UTC (a date as its midnight), whatever the session's TimeZone.
 */
public final class Link extends Structure {
    private String hashKey;
    private final List<String> refs = new ArrayList<>();
    private final List<String> payload = new ArrayList<>();
    private final List<Stage> stages = new ArrayList<>();
    private NullKeys nullKeys = NullKeys.SKIP;

    Link(Vault vault, TableName table) {
        super(vault, table, "link");
    }

    /** The link's hash key column. */
    public Link hashKey(String column) {
        this.hashKey = Identifiers.check(column);
        return this;
    }

    /** The hash key columns of the hubs it links (same names in the stages and the link). */
    public Link refs(String... columns) {
        addColumns(refs, columns);
        return this;
    }

    /** Extra columns stored with the link (taken from the row that first loaded it). */
    public Link payload(String... columns) {
        addColumns(payload, columns);
        return this;
    }

    /** The stages that feed the link. */
    public Link from(Stage... stages) {
        addStages(this.stages, stages);
        return this;
    }

    /** What a stage row with a NULL reference does: skipped (the default) or loaded with the ghost key. */
    public Link nullKeys(NullKeys nullKeys) {
        this.nullKeys = Objects.requireNonNull(nullKeys, "nullKeys");
        return this;
    }

    @Override
    List<String> storedColumns() {
        List<String> all = new ArrayList<>();
        all.add(hashKey);
        all.addAll(refs);
        all.addAll(payload);
        all.add(Stage.LOAD_DATE);
        all.add(Stage.RECORD_SOURCE);
        return all;
    }

    @Override
    void missingSettings(List<String> missing) {
        if (hashKey == null) {
            missing.add("hashKey");
        }
        if (refs.size() < 2) {
            missing.add("refs (at least two)");
        }
        if (stages.isEmpty()) {
            missing.add("from");
        }
    }

    /** The DDL: the link hash key as primary key, an index per reference. */
    @Override
    List<String> tableDdl(Connection c) {
        Relation s = Vault.relation(c, name(), stages.get(0).target());
        // the hash columns are bytea whatever the stages: read them for those, so a misnamed one creates no table
        for (Stage st : stages) {
            Relation r = Vault.relation(c, name(), st.target());
            Vault.checkBytea(nameFrom(st), r, hashKey);
            for (String ref : refs) {
                Vault.checkBytea(nameFrom(st), r, ref);
            }
        }
        return linkTableDdl(this, c, s, name(), hashKey, refs, payload, null);
    }

    /**
     * The DDL of a link or a transactional link: the hash key as primary key, a hash column per reference, the payload
     * (and {@code effective_from}, when {@code effectiveFrom} is not {@code null}) and the load date of the types
     * {@code stage} has (a column it lacks named with {@code where}), the record source, and an index per reference.
     */
    static List<String> linkTableDdl(Structure structure, Connection c, Relation stage, String where, String hashKey,
            List<String> refs, List<String> payload, String effectiveFrom) {
        Vault vault = structure.vault;
        StringJoiner cols = new StringJoiner(",\n    ");
        cols.add(vault.hashColumnDdl(hashKey) + " PRIMARY KEY");
        for (String r : refs) {
            cols.add(vault.hashColumnDdl(r));
        }
        for (String p : payload) {
            cols.add(Identifiers.quote(p) + " " + stage.require(where, p).sqlType());
        }
        if (effectiveFrom != null) {
            cols.add(Identifiers.quote(Satellite.EFFECTIVE_FROM) + " " + effectiveFromType(where, stage, effectiveFrom));
        }
        addMetadataDdl(cols, stage, where);
        List<String> indexes = new ArrayList<>();
        Set<String> planned = new HashSet<>();
        for (String r : refs) {
            indexes.addAll(Vault.indexDdl(c, structure.table, planned, r));
        }
        return vault.tableDdl(c, structure.table, cols, indexes.toArray(String[]::new));
    }

    /** Loads the new key combinations. */
    @Override
    List<Stage> stagesRead() {
        return List.copyOf(stages);
    }

    @Override
    LoadResult run(List<String> statements) {
        return runNewKeys(statements, hashKey);
    }

    @Override
    List<String> statements(Connection c) {
        return insertNewLinks(this, c, hashKey, refs, payload, null, stages, nullKeys, storedColumns());
    }

    /**
     * The load of a link or a transactional link: the lock, then the insert of the hash keys not stored yet (see
     * {@link #insertNewKeys}), from the stages' rows with a hash key and, unless NULL references become the ghost
     * key, all references; payload columns cast to the table's types where they differ, load date (and
     * effective-from, when not {@code null}) read in UTC where the stage's and the table's types differ.
     */
    static List<String> insertNewLinks(Structure structure, Connection c, String hashKey, List<String> refs,
            List<String> payload, String effectiveFrom, List<Stage> stages, NullKeys nullKeys, List<String> stored) {
        String name = structure.name();
        Vault vault = structure.vault;
        Relation target = Vault.relation(c, name, structure.table);
        Vault.checkBytea(name, target, hashKey);
        vault.checkWidth(c, name, structure.table, hashKey);
        for (String r : refs) {
            Vault.checkBytea(name, target, r);
            vault.checkWidth(c, name, structure.table, r);
        }
        // a stage's load date of another type than the link's is converted in UTC (see inUtc), as in a hub
        target.require(name, Stage.LOAD_DATE);
        String hk = Identifiers.quote(hashKey);
        String ghost = vault.hashSql().ghostLiteral();
        StringJoiner union = new StringJoiner("\n    UNION ALL\n    ");
        List<Relation> read = new ArrayList<>();
        for (Stage st : stages) {
            String where = structure.nameFrom(st);
            Relation s = Vault.relation(c, name, st.target());
            read.add(s);
            Vault.checkBytea(where, s, hashKey);
            vault.checkWidth(c, where, st.target(), hashKey);
            StringJoiner sel = new StringJoiner(", ");
            StringJoiner filter = new StringJoiner(" AND ", " WHERE ", "");
            sel.add("s." + hk);
            filter.add("s." + hk + " IS NOT NULL");
            for (String r : refs) {
                Vault.checkBytea(where, s, r);
                vault.checkWidth(c, where, st.target(), r);
                String q = Identifiers.quote(r);
                if (nullKeys == NullKeys.GHOST) {
                    sel.add("COALESCE(s." + q + ", " + ghost + ") AS " + q);
                } else {
                    sel.add("s." + q);
                    filter.add("s." + q + " IS NOT NULL");
                }
            }
            for (String p : payload) {
                sel.add(structure.storedItem(c, where, s, p, target));
            }
            if (effectiveFrom != null) {
                sel.add(structure.effectiveFromItem(c, where, s, effectiveFrom, target));
            }
            stageLoadDateType(where, s);
            s.require(where, Stage.RECORD_SOURCE);
            sel.add(inUtc("s." + Identifiers.quote(Stage.LOAD_DATE), s.require(where, Stage.LOAD_DATE).baseSqlType(),
                    target.require(name, Stage.LOAD_DATE).baseSqlType()) + " AS " + Identifiers.quote(Stage.LOAD_DATE));
            sel.add("s." + Identifiers.quote(Stage.RECORD_SOURCE));
            union.add("SELECT " + sel + " FROM " + st.target().quoted() + " AS s" + filter);
        }
        Map<String, Order> byValue = new HashMap<>();
        read.add(target);            // a stage column of another type is cast to the table's: its order counts too
        for (String p : payload) {
            byValue.put(p, order(read, p));
        }
        if (effectiveFrom != null) {
            byValue.put(Satellite.EFFECTIVE_FROM, order(List.of(target), Satellite.EFFECTIVE_FROM));
        }
        return structure.insertNewKeys(c, stored, refs, byValue, union.toString());
    }
}
