package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * A load inserts the business keys not yet present, each with its earliest load date in the stages (a key stored
 * already keeps its row, even when a later load brings it with an earlier load date: a hub is insert-only, as
 * AutomateDV's); on equal
 * load dates the smallest record source wins, then the smallest business key by its text in byte order (under
 * AUTOMATEDV {@code 'ann'} and {@code 'ANN'} share a hash key: {@code 'ANN'} is stored). NULL keys are skipped ({@link NullKeys#SKIP}, the default) or
 * mapped to the ghost key. A stage whose load date is a {@code date} or {@code timestamp} where the hub's is a
 * {@code timestamptz} (or the reverse) is read as UTC (a date as its midnight), whatever the session's TimeZone.
 * Re-running a load inserts nothing. Concurrent loads of one hub take turns (a
 * {@code SHARE ROW EXCLUSIVE} table lock, which readers do not wait for; a role that may only insert and select takes an advisory lock on the table's name instead).
 */
public final class Hub extends Structure {
    private String hashKey;
    private final List<String> businessKeys = new ArrayList<>();
    private final List<Stage> stages = new ArrayList<>();
    private NullKeys nullKeys = NullKeys.SKIP;

    Hub(Vault vault, TableName table) {
        super(vault, table, "hub");
    }

    /** The hash key column (same name in the stages and the hub). */
    public Hub hashKey(String column) {
        this.hashKey = Identifiers.check(column);
        return this;
    }

    /** The business key columns (same names in the stages and the hub). */
    public Hub businessKey(String... columns) {
        addColumns(businessKeys, columns);
        return this;
    }

    /** The stages that feed the hub. */
    public Hub from(Stage... stages) {
        addStages(this.stages, stages);
        return this;
    }

    /** What a stage row with a NULL business key does: skipped (the default) or loaded as the ghost key. */
    public Hub nullKeys(NullKeys nullKeys) {
        this.nullKeys = Objects.requireNonNull(nullKeys, "nullKeys");
        return this;
    }

    @Override
    List<String> storedColumns() {
        List<String> all = new ArrayList<>();
        all.add(hashKey);
        all.addAll(businessKeys);
        all.add(Stage.LOAD_DATE);
        all.add(Stage.RECORD_SOURCE);
        return all;
    }

    @Override
    void missingSettings(List<String> missing) {
        if (hashKey == null) {
            missing.add("hashKey");
        }
        if (businessKeys.isEmpty()) {
            missing.add("businessKey");
        }
        if (stages.isEmpty()) {
            missing.add("from");
        }
    }

    /** The DDL: the table with the hash key as primary key, checked to the vault's hash width. */
    @Override
    List<String> tableDdl(Connection c) {
        Relation s = Vault.relation(c, name(), stages.get(0).target());
        // the hash column is bytea whatever the stages: read them for it, so a misnamed one creates no table
        for (Stage st : stages) {
            Vault.checkBytea(nameFrom(st), Vault.relation(c, name(), st.target()), hashKey);
        }
        StringJoiner cols = new StringJoiner(",\n    ");
        cols.add(vault.hashColumnDdl(hashKey) + " PRIMARY KEY");
        for (String bk : businessKeys) {
            cols.add(Identifiers.quote(bk) + " " + s.require(name(), bk).sqlType());
        }
        addMetadataDdl(cols, s, name());
        return vault.tableDdl(c, table, cols);
    }

    /** Loads the new business keys. */
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
        Relation target = Vault.relation(c, name(), table);
        Vault.checkBytea(name(), target, hashKey);
        vault.checkWidth(c, name(), table, hashKey);
        // a stage's load date of another type than the hub's is converted in UTC (see inUtc), so that the stages'
        // UNION ALL does not cast a date or timestamp in the session's TimeZone
        target.require(name(), Stage.LOAD_DATE);
        String hk = Identifiers.quote(hashKey);
        StringJoiner union = new StringJoiner("\n    UNION ALL\n    ");
        List<Relation> read = new ArrayList<>();
        for (Stage st : stages) {
            Relation s = Vault.relation(c, name(), st.target());
            read.add(s);
            Vault.checkBytea(nameFrom(st), s, hashKey);
            StringJoiner keys = new StringJoiner(", ");
            for (String bk : businessKeys) {
                keys.add(storedItem(c, nameFrom(st), s, bk, target));
            }
            stageLoadDateType(name(), s);
            s.require(name(), Stage.RECORD_SOURCE);
            vault.checkWidth(c, nameFrom(st), st.target(), hashKey);
            String key = nullKeys == NullKeys.GHOST ? "COALESCE(s." + hk + ", " + vault.hashSql().ghostLiteral() + ")" : "s." + hk;
            String ld = Identifiers.quote(Stage.LOAD_DATE);
            // OFFSET 0 keeps the subquery whole, so a stage view's hash is computed once per row, not once per use
            union.add("SELECT * FROM (SELECT " + key + " AS " + hk + ", " + keys + ", "
                    + inUtc("s." + ld, baseType(s, Stage.LOAD_DATE), baseType(target, Stage.LOAD_DATE)) + " AS " + ld + ", s." + Identifiers.quote(Stage.RECORD_SOURCE)
                    + " FROM " + st.target().quoted() + " AS s OFFSET 0) AS s"
                    + (nullKeys == NullKeys.SKIP ? " WHERE s." + hk + " IS NOT NULL" : ""));
        }
        Map<String, Order> byValue = new HashMap<>();
        read.add(target);            // a stage column of another type is cast to the table's: its order counts too
        for (String bk : businessKeys) {
            byValue.put(bk, order(read, bk));
        }
        return insertNewKeys(c, storedColumns(), List.of(), byValue, union.toString());
    }
}
