package dev.mds.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Records that travel together from a source to a loader: a schema, the records and the source position after
 * the last of them (commit it with the load so a restart resumes right after this batch). Immutable.
 *
 * <pre>{@code
 * RecordBatch batch = RecordBatch.of(schema, List.of(Record.of(1L, "a"), Record.of(2L, "b")));
 * loader.load(batch);
 * }</pre>
 *
 * @param schema the columns of every record
 * @param records the records, in source order
 * @param position where the source is after the last record, when the source can resume
 */
public record RecordBatch(Schema schema, List<Record> records, Optional<SourcePosition> position) {
    public RecordBatch {
        Objects.requireNonNull(schema, "schema");
        records = List.copyOf(records);
        Objects.requireNonNull(position, "position");
        for (int i = 0; i < records.size(); i++) {
            if (records.get(i).size() != schema.size()) {
                throw new IllegalArgumentException("record " + (i + 1) + " has " + records.get(i).size()
                        + " values but the schema has " + schema.size() + " columns " + schema.names());
            }
        }
    }

    /** A batch without a source position. */
    public static RecordBatch of(Schema schema, List<Record> records) {
        return new RecordBatch(schema, records, Optional.empty());
    }

    /** A batch whose records end at {@code position} of their source. */
    public static RecordBatch of(Schema schema, List<Record> records, SourcePosition position) {
        return new RecordBatch(schema, records, Optional.of(position));
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
