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
 * A hub: one row per business key, with its hash key, first load date and record source. A definition:
 * configure it, then {@link #createTable()}, {@link #sql()} or {@link #load()}. Not thread-safe.
 *
 * <pre>{@code
 * Hub users = vault.hub("dds.hub_users").hashKey("user_hk").businessKey("email").from(usersStage);
 * users.createTable();
 * LoadResult r = users.load();
 * }</pre>
 *
 * A load inserts the business keys not yet present, each with its earliest load date in the stages; on equal
 * load dates the smallest record source wins. NULL keys are skipped ({@link NullKeys#SKIP}, the default) or
 * mapped to the ghost key. Re-running a load inserts nothing. Concurrent loads of one hub take turns (a
 * {@code SHARE ROW EXCLUSIVE} table lock, which readers do not wait for).
 */
public final class Hub {
    private final Vault vault;
    private final TableName table;
    private String hashKey;
    private final List<String> businessKeys = new ArrayList<>();
    private final List<Stage> stages = new ArrayList<>();
    private NullKeys nullKeys = NullKeys.SKIP;

    Hub(Vault vault, TableName table) {
        this.vault = vault;
        this.table = table;
    }

    /** The hash key column (same name in the stages and the hub). */
    public Hub hashKey(String column) {
        this.hashKey = Identifiers.check(column);
        return this;
    }

    /** The business key columns (same names in the stages and the hub). */
    public Hub businessKey(String... columns) {
        for (String c : columns) {
            businessKeys.add(Identifiers.check(c));
        }
        return this;
    }

    /** The stages that feed the hub. */
    public Hub from(Stage... stages) {
        this.stages.addAll(List.of(stages));
        return this;
    }

    public Hub nullKeys(NullKeys nullKeys) {
        this.nullKeys = Objects.requireNonNull(nullKeys, "nullKeys");
        return this;
    }

    private String name() {
        return "hub " + table;
    }

    private void validate() {
        List<String> missing = new ArrayList<>();
        if (hashKey == null) {
            missing.add("hashKey");
        }
        if (businessKeys.isEmpty()) {
            missing.add("businessKey");
        }
        if (stages.isEmpty()) {
            missing.add("from");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(name() + ": set " + String.join(", ", missing));
        }
    }

    /** The DDL: the table with the hash key as primary key, checked to the vault's hash width. */
    public List<String> createTableSql() {
        validate();
        return Jdbc.withConnection(vault.dataSource(), c -> {
            Relation s = Vault.relation(c, name(), stages.get(0).target());
            StringJoiner cols = new StringJoiner(",\n    ");
            cols.add(vault.hashColumnDdl(hashKey) + " PRIMARY KEY");
            for (String bk : businessKeys) {
                cols.add(Identifiers.quote(bk) + " " + s.require(name(), bk).sqlType());
            }
            cols.add(Identifiers.quote(Stage.LOAD_DATE) + " " + s.require(name(), Stage.LOAD_DATE).sqlType() + " NOT NULL");
            cols.add(Identifiers.quote(Stage.RECORD_SOURCE) + " text NOT NULL");
            return Vault.tableDdl(table, cols);
        });
    }

    /** Creates the table (and its schema) if it does not exist. */
    public void createTable() {
        List<String> ddl = createTableSql();
        vault.run(name(), ddl, -1);
    }

    /** The statements {@link #load()} runs (read-only: it checks the stages' columns). */
    public List<String> sql() {
        validate();
        return Jdbc.withConnection(vault.dataSource(), this::statements);
    }

    /** Loads the new business keys in one transaction. */
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
        StringJoiner union = new StringJoiner("\n    UNION ALL\n    ");
        for (Stage st : stages) {
            Relation s = Vault.relation(c, name(), st.target());
            Vault.checkBytea(name() + " from " + st, s, hashKey);
            for (String bk : businessKeys) {
                s.require(name() + " from " + st, bk);
            }
            s.require(name(), Stage.LOAD_DATE);
            s.require(name(), Stage.RECORD_SOURCE);
            vault.checkWidth(c, name() + " from " + st, st.target(), hashKey);
            String key = nullKeys == NullKeys.GHOST ? "COALESCE(s." + hk + ", " + vault.hashSql().ghostLiteral() + ")" : "s." + hk;
            // OFFSET 0 keeps the subquery whole, so a stage view's hash is computed once per row, not once per use
            union.add("SELECT * FROM (SELECT " + key + " AS " + hk + ", " + Identifiers.quoteAll("s", businessKeys) + ", s."
                    + Identifiers.quote(Stage.LOAD_DATE) + ", s." + Identifiers.quote(Stage.RECORD_SOURCE)
                    + " FROM " + st.target().quoted() + " AS s OFFSET 0) AS s"
                    + (nullKeys == NullKeys.SKIP ? " WHERE s." + hk + " IS NOT NULL" : ""));
        }
        String cols = hk + ", " + Identifiers.quoteAll(businessKeys) + ", " + Identifiers.quote(Stage.LOAD_DATE) + ", "
                + Identifiers.quote(Stage.RECORD_SOURCE);
        String insert = "INSERT INTO " + table.quoted() + " (" + cols + ")\n"
                + "SELECT DISTINCT ON (u." + hk + ") " + Identifiers.quoteAll("u", columnsOf()) + "\n"
                + "FROM (\n    " + union + "\n) AS u\n"
                + "WHERE NOT EXISTS (SELECT 1 FROM " + table.quoted() + " AS h WHERE h." + hk + " = u." + hk + ")\n"
                + "ORDER BY u." + hk + ", u." + Identifiers.quote(Stage.LOAD_DATE) + ", u." + Identifiers.quote(Stage.RECORD_SOURCE) ;
        // loads of one structure take turns (readers are not blocked), so the anti-join is exact and the insert
        // needs no ON CONFLICT; the primary key still refuses a duplicate from any other writer
        return List.of("LOCK TABLE " + table.quoted() + " IN SHARE ROW EXCLUSIVE MODE", insert);
    }

    private List<String> columnsOf() {
        List<String> all = new ArrayList<>();
        all.add(hashKey);
        all.addAll(businessKeys);
        all.add(Stage.LOAD_DATE);
        all.add(Stage.RECORD_SOURCE);
        return all;
    }
}
