package dev.mds.load;

import dev.mds.core.MdsException;

/**
 * {@link MergeLoader#loadAll} stopped before the end of its stream: the stream's first {@link #committedBatches()}
 * batches are committed, and nothing after them. The cause is what stopped it (the failure of the earliest batch
 * that failed, of the stream, or of the listener); later failures are suppressed on it. A listener failing in
 * {@code onDone}, once the whole stream is committed, is reported so too, every batch counted as committed.
 *
 * <pre>{@code
 * try {
 *     loader.loadAll(batches, 2, listener);
 * } catch (PartialLoadException e) {
 *     resumeAfter(e.committedRows());   // e.g. skip that many records of the input and load the rest
 * }
 * }</pre>
 */
public final class PartialLoadException extends MdsException {
    private static final long serialVersionUID = 1L;

    private final long committedBatches;
    private final long committedRows;

    PartialLoadException(String message, Throwable cause, long committedBatches, long committedRows) {
        super(message, cause);
        this.committedBatches = committedBatches;
        this.committedRows = committedRows;
    }

    /** How many batches of the stream, counted from its first, are committed; none after them is. */
    public long committedBatches() {
        return committedBatches;
    }

    /** How many records those batches held (as given, before duplicates of a key were collapsed). */
    public long committedRows() {
        return committedRows;
    }
}
