package dev.mds.connector.csv;

/**
 * Receives the rows {@link CsvSource} could not read when it runs with {@link OnBadRow#DEAD_LETTER}. Called on
 * the thread that consumes the batches, in file order, before the batch that follows the bad row.
 *
 * <pre>{@code
 * List<BadRow> rejected = new ArrayList<>();
 * CsvSource.builder().path(file).onBadRow(OnBadRow.DEAD_LETTER, rejected::add).build();
 * }</pre>
 */
@FunctionalInterface
public interface BadRowSink {
    /** Takes one bad row; an exception thrown here stops the reading and reaches the consumer. */
    void accept(BadRow row);
}
