package dev.mds.load.internal;

/**
 * The commit order of a stream of batches loaded in parallel: batch {@code i} (from 0) gets its {@link WriteTurn}
 * when batches {@code 0..i-1} have committed, so the committed batches are always a prefix of the stream. Once a
 * batch fails (or the whole load is stopped), no batch after it that has not had its turn gets one: it rolls back.
 * Thread-safe.
 */
public final class StreamOrder {
    /** Batches {@code 0..connected-1} have asked the pool for their connection (and got it, or failed). */
    private long connected;
    private long committedBatches;
    private long committedRows;
    /** No batch from this index on gets its turn. */
    private long closedFrom = Long.MAX_VALUE;

    /** The turn of batch {@code index}. */
    public WriteTurn turn(long index) {
        return new WriteTurn() {
            @Override
            public boolean ready() {
                synchronized (StreamOrder.this) {
                    return committedBatches == index && index < closedFrom;
                }
            }

            @Override
            public void await() {
                synchronized (StreamOrder.this) {
                    while (committedBatches < index && index < closedFrom) {
                        try {
                            StreamOrder.this.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            closedFrom = Math.min(closedFrom, index);
                            StreamOrder.this.notifyAll();
                        }
                    }
                    if (index >= closedFrom) {
                        throw new Withdrawn();
                    }
                }
            }
        };
    }

    /**
     * Waits until the batches before {@code index} have taken their connections, so that connections are taken in
     * stream order: a pool with fewer connections than running batches then never leaves a batch holding one while
     * the batch it waits for cannot get one.
     *
     * @throws Withdrawn when batch {@code index} must not write anyway
     */
    public synchronized void awaitConnectTurn(long index) {
        while (connected < index && index < closedFrom) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closedFrom = Math.min(closedFrom, index);
                notifyAll();
            }
        }
        if (index >= closedFrom) {
            throw new Withdrawn();
        }
    }

    /** Batch {@code index} has taken its connection (or failed to). */
    public synchronized void connectTurnDone(long index) {
        connected = Math.max(connected, index + 1);
        notifyAll();
    }

    /** Batch {@code index}, of {@code rows} records, has committed (after its turn). */
    public synchronized void committed(long index, long rows) {
        if (index != committedBatches) {
            throw new IllegalStateException("batch " + index + " committed out of turn, after " + committedBatches);
        }
        committedBatches++;
        committedRows += rows;
        notifyAll();
    }

    /** Batch {@code index} failed or rolled back: no batch after it gets its turn. */
    public synchronized void failed(long index) {
        closedFrom = Math.min(closedFrom, index + 1);
        notifyAll();
    }

    /** The load stops: no batch that has not had its turn yet gets one. */
    public synchronized void stop() {
        closedFrom = Math.min(closedFrom, committedBatches);
        notifyAll();
    }

    /** How many batches, from the first, have committed. */
    public synchronized long committedBatches() {
        return committedBatches;
    }

    /** How many records those batches held. */
    public synchronized long committedRows() {
        return committedRows;
    }

    /** Thrown by {@link WriteTurn#await()} to a batch that must not write: it rolls back. */
    public static final class Withdrawn extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Withdrawn() {
            super("withdrawn: an earlier batch of the stream failed or the load stopped", null, false, false);
        }
    }
}
