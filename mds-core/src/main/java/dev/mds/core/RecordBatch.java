package dev.mds.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Records that travel together from a source to a loader: a schema, the records, the source position after
 * the last of them (commit it with the load so a restart resumes right after this batch) and the records the
 * source could not read in the same range (stored by the loader in the batch's transaction). Immutable.
 *
 * <pre>{@code
 * RecordBatch batch = RecordBatch.of(schema, List.of(Record.of(1L, "a"), Record.of(2L, "b")));
 * loader.load(batch);
 * }</pre>
 *
 * @param schema the columns of every record
 * @param records the records, in source order
 * @param position where the source is after the last record, when the source can resume
 * @param rejected records the source found in the batch's range but could not read, in source order (empty for
 *     most sources); mds-load stores them in {@code <table>_rejected} under {@code OnBadRow.DEAD_LETTER}
 */
public record RecordBatch(Schema schema, List<Record> records, Optional<SourcePosition> position,
        List<BadRecord> rejected) {
    public RecordBatch {
        Objects.requireNonNull(schema, "schema");
        records = List.copyOf(records);
        Objects.requireNonNull(position, "position");
        rejected = List.copyOf(rejected);
        for (int i = 0; i < records.size(); i++) {
            if (records.get(i).size() != schema.size()) {
                throw new IllegalArgumentException("record " + (i + 1) + " has " + records.get(i).size()
                        + " values but the schema has " + schema.size() + " columns " + schema.names());
            }
        }
    }

    /** A batch without rejected records. */
    public RecordBatch(Schema schema, List<Record> records, Optional<SourcePosition> position) {
        this(schema, records, position, List.of());
    }

    /** A batch without a source position. */
    public static RecordBatch of(Schema schema, List<Record> records) {
        return new RecordBatch(schema, records, Optional.empty());
    }

    /** A batch whose records end at {@code position} of their source. */
    public static RecordBatch of(Schema schema, List<Record> records, SourcePosition position) {
        return new RecordBatch(schema, records, Optional.of(position));
    }

    /** This batch carrying {@code rejected}, the records its source could not read in its range, instead. */
    public RecordBatch withRejected(List<BadRecord> rejected) {
        return new RecordBatch(schema, records, position, rejected);
    }

    /** The number of records. */
    public int size() {
        return records.size();
    }

    /** Whether the batch holds no record. */
    public boolean isEmpty() {
        return records.isEmpty();
    }
}
