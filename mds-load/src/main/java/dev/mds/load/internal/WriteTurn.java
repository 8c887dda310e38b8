package dev.mds.load.internal;

/**
 * When a load may start its write step (take the target's load lock and write the target). A batch of
 * {@code MergeLoader.loadAll} gets its turn when the batch before it in the stream has committed, so the batches
 * commit in stream order; a lone load has its turn at once.
 */
public interface WriteTurn {
    /** A turn that has always come: a load on its own. */
    WriteTurn NOW = new WriteTurn() {
        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public void await() {
            // always our turn
        }
    };

    /** Whether the turn has come, without waiting. */
    boolean ready();

    /**
     * Waits for the turn.
     *
     * @throws StreamOrder.Withdrawn when the load must not write at all (a batch before it failed, or the stream
     *     load was stopped): the load then rolls back
     */
    void await();
}
