package dev.mds.load;

import dev.mds.core.TableName;
import java.time.Duration;
import java.util.Objects;

/**
 * What one load did to its target table. Counts are exact.
 *
 * <pre>{@code
 * LoadResult r = loader.load(batch);
 * System.out.println(r);   // raw.users MERGE: 10 inserted, 2 updated, 0 deleted, 88 unchanged, 0 rejected in 45 ms
 * }</pre>
 *
 * @param table the target table
 * @param mode the sync mode of the load
 * @param inserted rows inserted
 * @param updated rows updated (their values changed)
 * @param deleted rows deleted (or marked deleted with {@link DeleteMode#SOFT})
 * @param unchanged records (after collapsing duplicates of a key) or change events (after collapsing the
 *     events of a key) that changed nothing: equal to the target's row, older than it, or replayed
 * @param rejected records written to the dead-letter table ({@link OnBadRow#DEAD_LETTER})
 * @param duration wall time of the load, including its commit
 */
public record LoadResult(TableName table, SyncMode mode, long inserted, long updated, long deleted, long unchanged,
        long rejected, Duration duration) {
    public LoadResult {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(duration, "duration");
    }

    /** Rows written: inserted + updated + deleted. */
    public long changed() {
        return inserted + updated + deleted;
    }

    /** This result plus another (for {@code loadAll}); keeps this table and mode, adds counts and durations. */
    public LoadResult plus(LoadResult o) {
        return new LoadResult(table, mode, inserted + o.inserted, updated + o.updated, deleted + o.deleted,
                unchanged + o.unchanged, rejected + o.rejected, duration.plus(o.duration));
    }

    @Override
    public String toString() {
        return table + " " + mode + ": " + inserted + " inserted, " + updated + " updated, " + deleted + " deleted, "
                + unchanged + " unchanged, " + rejected + " rejected in " + duration.toMillis() + " ms";
    }
}
