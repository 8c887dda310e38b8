package dev.mds.vault;

import dev.mds.core.Identifiers;
import dev.mds.core.TableName;
import dev.mds.vault.internal.Relation;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A transactional (non-historised) link, AutomateDV's {@code t_link}: one row per transaction, identified by its
 * own hash key, with the hub keys it references, its payload and its effective-from, never updated. A definition:
 * configure it, then {@link #createTable()}, {@link #sql()} or {@link #load()}. Not thread-safe.
 *
 * <pre>{@code
 * vault.transactionalLink("dds.t_link_purchases").hashKey("purchase_hk").refs("user_hk", "product_hk")
 *     .payload("amount", "currency").effectiveFrom("purchased_at").from(purchases).load();
 * }</pre>
 *
 * <p>What it matches of AutomateDV ({@code macros/tables/t_link.sql}, {@code default__t_link}, which
 * {@code postgres__t_link} calls, in Datavault-UK/automate-dv): rows whose transaction hash key or any reference
 * is NULL are not loaded ({@link NullKeys#SKIP}, the default; {@link NullKeys#GHOST} maps a NULL reference to the
 * ghost key as {@link Link} does); a row is inserted only when its hash key is not stored yet (AutomateDV's
 * {@code LEFT JOIN this ... WHERE tgt.pk IS NULL}); the stored columns are the hash key, the references, the
 * payload, {@code effective_from}, {@code load_date} and {@code record_source}.
 *
 * <p>Where it deliberately differs: AutomateDV selects {@code DISTINCT} over all the stage's columns, so two
 * stage rows of one transaction hash key that differ in payload, load date or record source are both inserted
 * (a duplicate transaction; its tables have no key to refuse it). mds inserts exactly one row per hash key: the
 * earliest by load date, then the smallest record source, references, payload and effective-from (as {@link Hub}
 * and {@link Link} break ties), so the result depends neither on the order of the stage's rows nor on the session;
 * and the table's primary key on the hash key backs this. Re-loading a stage inserts nothing. Concurrent loads of
 * one link take turns (a {@code SHARE ROW EXCLUSIVE} table lock, which readers do not wait for; a role that may only insert and select takes an advisory lock on the table's name instead). A stage whose
 * load date (or effective-from) is a {@code date} or {@code timestamp} where the table's is a {@code timestamptz}
 * (or the reverse) is read as UTC; an effective-from PostgreSQL cannot assign to the table's (an {@code integer} or
 * {@code text} into a {@code timestamptz}) is refused naming the column.
 */
public final class TransactionalLink extends Structure {
    private String hashKey;
    private final List<String> refs = new ArrayList<>();
    private final List<String> payload = new ArrayList<>();
    private String effectiveFrom;
    private final List<Stage> stages = new ArrayList<>();
    private NullKeys nullKeys = NullKeys.SKIP;

    TransactionalLink(Vault vault, TableName table) {
        super(vault, table, "transactional link");
    }

    /** The transaction's hash key column (the table's primary key). */
    public TransactionalLink hashKey(String column) {
        this.hashKey = Identifiers.check(column);
        return this;
    }

    /** The hash key columns of the hubs (or links) it references (same names in the stages and the link). */
    public TransactionalLink refs(String... columns) {
        addColumns(refs, columns);
        return this;
    }

    /** The transaction's own columns (amounts, codes...), stored as the stage has them. */
    public TransactionalLink payload(String... columns) {
        addColumns(payload, columns);
        return this;
    }

    /** A stage column stored as {@code effective_from} (AutomateDV's {@code src_eff}, e.g. the transaction time). */
    public TransactionalLink effectiveFrom(String column) {
        this.effectiveFrom = Identifiers.check(column);
        return this;
    }

    /** The stages it loads from (several are unioned; ties between them are broken as described above). */
    public TransactionalLink from(Stage... stages) {
        addStages(this.stages, stages);
        return this;
    }

    /** What a NULL reference does: {@link NullKeys#SKIP} (the default, as AutomateDV) or {@link NullKeys#GHOST}. */
    public TransactionalLink nullKeys(NullKeys nullKeys) {
        this.nullKeys = Objects.requireNonNull(nullKeys, "nullKeys");
        return this;
    }

    @Override
    List<String> storedColumns() {
        List<String> all = new ArrayList<>();
        all.add(hashKey);
        all.addAll(refs);
        all.addAll(payload);
        if (effectiveFrom != null) {
            all.add(Satellite.EFFECTIVE_FROM);
        }
        all.add(Stage.LOAD_DATE);
        all.add(Stage.RECORD_SOURCE);
        return all;
    }

    @Override
    void missingSettings(List<String> missing) {
        if (hashKey == null) {
            missing.add("hashKey");
        }
        if (refs.isEmpty()) {
            missing.add("refs");
        }
        if (stages.isEmpty()) {
            missing.add("from");
        }
    }

    /** The DDL: the transaction hash key as primary key, an index per reference. */
    @Override
    List<String> tableDdl(Connection c) {
        Relation s = Vault.relation(c, name(), stages.get(0).target());
        String where = nameFrom(stages.get(0));
        Vault.checkBytea(where, s, hashKey);
        for (String r : refs) {
            Vault.checkBytea(where, s, r);
        }
        return Link.linkTableDdl(this, c, s, where, hashKey, refs, payload, effectiveFrom);
    }

    @Override
    List<Stage> stagesRead() {
        return List.copyOf(stages);
    }

    @Override
    LoadResult run(List<String> statements) {
        return runNewKeys(statements, hashKey);
    }

    /**
     * The lock, then the insert of the transactions whose hash key is not stored yet, one row per hash key (see
     * the class doc).
     */
    @Override
    List<String> statements(Connection c) {
        return Link.insertNewLinks(this, c, hashKey, refs, payload, effectiveFrom, stages, nullKeys, storedColumns());
    }
}
