package dev.mds.load;

/**
 * How {@link SyncMode#OVERWRITE} empties the table before it COPYs the batch (or, in
 * {@link MergeLoader#loadAll}, the stream) into it, in the load's transaction. Either way the old rows stay until
 * the commit and a failed load keeps them; the modes differ in what other sessions see meanwhile and in what they
 * cost.
 *
 * <pre>{@code
 * MergeLoader.into(dataSource, "raw.customers").mode(SyncMode.OVERWRITE).key("id")
 *     .overwriteMode(OverwriteMode.DELETE)   // readers keep reading the old rows until the commit
 *     .build();
 * }</pre>
 */
public enum OverwriteMode {
    /**
     * {@code truncate table <t>} (the default): fast, and the table's space is given back at once, but TRUNCATE
     * takes the table's ACCESS EXCLUSIVE lock until the commit, so every reader of the table (a dashboard, another
     * job) waits for the whole load, for {@code loadAll} the whole stream; a table referenced by a foreign key cannot
     * be truncated (the load fails, nothing changes); a REPEATABLE READ snapshot taken before the commit sees the
     * table empty (TRUNCATE is not MVCC-safe); the table's truncate triggers fire.
     */
    TRUNCATE,
    /**
     * {@code delete from <t>}, after {@code lock table <t> in exclusive mode}: readers are not blocked and keep
     * reading the old rows until the commit, then the new ones; a REPEATABLE READ snapshot keeps seeing the rows it
     * saw; writers (and {@code SELECT … FOR UPDATE/SHARE}) wait for the commit, as behind a truncate, so that the
     * table holds exactly the load's rows when it commits (a batch that adds or widens columns still takes ALTER
     * TABLE's lock, which readers wait for); a table referenced by foreign keys can be overwritten as long as the
     * rows referencing it allow it (a {@code NOT DEFERRABLE} constraint is checked at the
     * delete, so no row may reference the table then; a {@code DEFERRABLE} {@code NO ACTION} one at the commit, against
     * the new rows; a refusal fails the load naming the table and the constraint, and nothing changes). A foreign
     * key whose {@code ON DELETE} would change the referencing table ({@code CASCADE}, {@code SET NULL},
     * {@code SET DEFAULT}) is refused before anything is written: an overwrite would wipe or alter rows of another
     * table. The cost: the delete reads and marks every old row, so it is slower than a truncate, and the old rows
     * stay in the table's files as dead rows until (auto)vacuum removes them, so the table (and its indexes) grows
     * by up to its size until then. The table's delete triggers fire; one that keeps a row (a {@code BEFORE DELETE}
     * trigger returning NULL, a rule) fails the load, as the table would not be replaced.
     */
    DELETE
}
