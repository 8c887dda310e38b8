package dev.mds.load;

import dev.mds.core.BadInputException;
import dev.mds.core.InputLocation;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The target table refused records of a batch when the load wrote them (a CHECK, NOT NULL, foreign key, unique or
 * exclusion constraint, a trigger raising an error, a row-level security policy): names the table, the constraint
 * when PostgreSQL gave one, and the record number and key of up to {@value #MAX_ROWS} of the refused records,
 * found after the failure by queries over the staged rows. Nothing of the batch was written. The cause is
 * PostgreSQL's own error.
 *
 * <pre>{@code
 * try {
 *     loader.load(batch);
 * } catch (RefusedRowsException e) {
 *     e.constraint();   // Optional[orders_customer_fk]
 *     e.rows();         // [RefusedRow[recordNumber=7, key=order_id=42]]
 * }
 * }</pre>
 *
 * <p>{@link #location()} is the first refused record's. When the records fail only together (two rows of the batch
 * swapping a unique value, a trigger looking at the whole table), {@link #together()} is true and {@link #rows()}
 * lists the first records of the smallest group found to fail. When no record could be found, {@link #rows()} is
 * empty and the location names the table only.
 */
public final class RefusedRowsException extends BadInputException {
    private static final long serialVersionUID = 1L;

    /** Most refused records an exception names. */
    public static final int MAX_ROWS = 10;

    private final String constraint;
    private final List<RefusedRow> rows;
    private final boolean together;

    /**
     * One refused record.
     *
     * @param recordNumber its 1-based number in the batch (the event number in a change batch)
     * @param key its key as a person reads it ({@code id=42}); empty when the load has no key
     */
    public record RefusedRow(long recordNumber, Optional<String> key) {
        public RefusedRow {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "record " + recordNumber + key.map(k -> " (key " + k + ")").orElse("");
        }
    }

    /** For mds-load; the rows are copied. */
    public RefusedRowsException(InputLocation location, String reason, String constraint, List<RefusedRow> rows,
            boolean together, Throwable cause) {
        super(location, reason, cause);
        this.constraint = constraint;
        this.rows = List.copyOf(rows);
        this.together = together;
    }

    /** The constraint PostgreSQL named (for a trigger or a policy: none). */
    public Optional<String> constraint() {
        return Optional.ofNullable(constraint);
    }

    /** The refused records found, in batch order, at most {@value #MAX_ROWS}. */
    public List<RefusedRow> rows() {
        return rows;
    }

    /** Whether the records of {@link #rows()} are refused only together, none of them on its own. */
    public boolean together() {
        return together;
    }
}
