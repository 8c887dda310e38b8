package dev.mds.core;

import java.util.List;

/**
 * A batch or stage whose columns do not match its target table: new columns the policy does not allow to add,
 * or a column whose type cannot hold the incoming values. The message names the table and the columns.
 */
public class SchemaMismatchException extends MdsException {
    private static final long serialVersionUID = 1L;

    private final TableName table;
    private final List<String> columns;

    /** A mismatch of {@code columns} of {@code table}, described by {@code message}. */
    public SchemaMismatchException(TableName table, List<String> columns, String message) {
        super(table + ": " + message);
        this.table = table;
        this.columns = List.copyOf(columns);
    }

    /** The table whose schema does not match. */
    public TableName table() {
        return table;
    }

    /** The columns the mismatch is about. */
    public List<String> columns() {
        return columns;
    }
}
