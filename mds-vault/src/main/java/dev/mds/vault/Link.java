package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.vault.internal.Jdbc;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
 * ghost key ({@link NullKeys#GHOST}); a row whose link hash key is NULL is always dropped.
 */
public final class Link {
    private final Vault vault;
    private final TableName table;
    private String hashKey;
    private final List<String> refs = new ArrayList<>();
    private final List<String> payload = new ArrayList<>();
    private final List<Stage> stages = new ArrayList<>();
    private NullKeys nullKeys = NullKeys.SKIP;

    Link(Vault vault, TableName table) {
        this.vault = vault;
        this.table = table;
    }

    /** The link's hash key column. */
    public Link hashKey(String column) {
        this.hashKey = Identifiers.check(column);
        return this;
    }

    /** The hash key columns of the hubs it links (same names in the stages and the link). */
    public Link refs(String... columns) {
        for (String c : columns) {
            refs.add(Identifiers.check(c));
        }
        return this;
    }

    /** Extra columns stored with the link (taken from the row that first loaded it). */
    public Link payload(String... columns) {
        for (String c : columns) {
            payload.add(Identifiers.check(c));
        }
        return this;
    }

    public Link from(Stage... stages) {
        this.stages.addAll(List.of(stages));
        return this;
    }

    public Link nullKeys(NullKeys nullKeys) {
        this.nullKeys = Objects.requireNonNull(nullKeys, "nullKeys");
        return this;
    }

    private String name() {
        return "link " + table;
    }

    private void validate() {
        List<String> missing = new ArrayList<>();
        if (hashKey == null) {
            missing.add("hashKey");
        }
        if (refs.size() < 2) {
            missing.add("refs (at least two)");
        }
        if (stages.isEmpty()) {
            missing.add("from");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(name() + ": set " + String.join(", ", missing));
        }
    }

    /** The DDL: the link hash key as primary key, an index per reference. */
    public List<String> createTableSql() {
        validate();
        return Jdbc.withConnection(vault.dataSource(), c -> {
            Relation s = Vault.relation(c, name(), stages.get(0).target());
            StringJoiner cols = new StringJoiner(",\n    ");
            cols.add(vault.hashColumnDdl(hashKey) + " PRIMARY KEY");
            for (String r : refs) {
                cols.add(vault.hashColumnDdl(r));
            }
            for (String p : payload) {
                cols.add(Identifiers.quote(p) + " " + s.require(name(), p).sqlType());
            }
            cols.add(Identifiers.quote(Stage.LOAD_DATE) + " " + s.require(name(), Stage.LOAD_DATE).sqlType() + " NOT NULL");
            cols.add(Identifiers.quote(Stage.RECORD_SOURCE) + " text NOT NULL");
            List<String> indexes = new ArrayList<>();
            for (String r : refs) {
                indexes.add(Vault.indexDdl(table, r));
            }
            return Vault.tableDdl(table, cols, indexes.toArray(String[]::new));
        });
    }

    public void createTable() {
        vault.run(name(), createTableSql(), -1);
    }

    /** The statements {@link #load()} runs. */
    public List<String> sql() {
        validate();
        return Jdbc.withConnection(vault.dataSource(), this::statements);
    }

    /** Loads the new key combinations in one transaction. */
    public LoadResult load() {
        validate();
        List<String> st = Jdbc.withConnection(vault.dataSource(), this::statements);
        return vault.load(table, st, 1, List.of(hashKey));
    }

    private List<String> statements(Connection c) {
        Relation target = Vault.relation(c, name(), table);
        Vault.checkBytea(name(), target, hashKey);
        vault.checkWidth(c, name(), table, hashKey);
        String hk = Identifiers.quote(hashKey);
        String ghost = vault.hashSql().ghostLiteral();
        StringJoiner union = new StringJoiner("\n    UNION ALL\n    ");
        for (Stage st : stages) {
            String where = name() + " from " + st;
            Relation s = Vault.relation(c, name(), st.target());
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
                s.require(where, p);
                sel.add("s." + Identifiers.quote(p));
            }
            s.require(where, Stage.LOAD_DATE);
            s.require(where, Stage.RECORD_SOURCE);
            sel.add("s." + Identifiers.quote(Stage.LOAD_DATE));
            sel.add("s." + Identifiers.quote(Stage.RECORD_SOURCE));
            union.add("SELECT " + sel + " FROM " + st.target().quoted() + " AS s" + filter);
        }
        List<String> all = new ArrayList<>();
        all.add(hashKey);
        all.addAll(refs);
        all.addAll(payload);
        all.add(Stage.LOAD_DATE);
        all.add(Stage.RECORD_SOURCE);
        String insert = "INSERT INTO " + table.quoted() + " (" + Identifiers.quoteAll(all) + ")\n"
                + "SELECT DISTINCT ON (u." + hk + ") " + Identifiers.quoteAll("u", all) + "\n"
                + "FROM (\n    " + union + "\n) AS u\n"
                + "WHERE NOT EXISTS (SELECT 1 FROM " + table.quoted() + " AS l WHERE l." + hk + " = u." + hk + ")\n"
                + "ORDER BY u." + hk + ", u." + Identifiers.quote(Stage.LOAD_DATE) + ", u." + Identifiers.quote(Stage.RECORD_SOURCE) ;
        // loads of one structure take turns (readers are not blocked), so the anti-join is exact and the insert
        // needs no ON CONFLICT; the primary key still refuses a duplicate from any other writer
        return List.of("LOCK TABLE " + table.quoted() + " IN SHARE ROW EXCLUSIVE MODE", insert);
    }
}
