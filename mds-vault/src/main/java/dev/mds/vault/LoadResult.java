package dev.mds.vault;

import java.time.Duration;

/**
 * What one load did: the structure, the rows it inserted, and how long it took.
 *
 * <pre>{@code
 * LoadResult r = vault.satellite("dds.sat_users")....load();
 * if (r.rowsInserted() == 0) { ... }
 * }</pre>
 *
 * @param structure the structure's table, e.g. {@code dds.sat_users}
 * @param rowsInserted rows inserted by this load
 * @param elapsed wall time of the load, commit included
 */
public record LoadResult(String structure, long rowsInserted, Duration elapsed) {
}
