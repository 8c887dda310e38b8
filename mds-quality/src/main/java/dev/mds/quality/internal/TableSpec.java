package dev.mds.quality.internal;

import dev.mds.core.TableName;
import java.util.List;
import java.util.Optional;

/**
 * The checks declared on one table.
 *
 * @param table the table or view
 * @param where an SQL condition restricting the rows checked, if any
 * @param keyColumns the columns that identify a row in samples (empty: the primary key, if any)
 * @param checks the checks in declaration order
 */
public record TableSpec(TableName table, Optional<String> where, List<String> keyColumns, List<CheckSpec> checks) {
    public TableSpec {
        keyColumns = List.copyOf(keyColumns);
        checks = List.copyOf(checks);
    }
}
