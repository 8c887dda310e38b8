package dev.mds.core;

/**
 * The order of a change event in its source: the position of the transaction's commit, then the position of
 * the change inside the transaction. For PostgreSQL these are the commit LSN and the change's LSN. A loader
 * applies an event only when it is newer than what the target row already reflects, so replayed or
 * reordered events change nothing. Positions compare as unsigned 64-bit numbers, as PostgreSQL's LSNs do; mds-load
 * stores them in {@code bigint} columns and so refuses a position beyond 2^63 - 1 (no LSN reaches it), naming it.
 *
 * @param commit the position of the commit of the event's transaction (all events of a transaction share it)
 * @param change the position of the change within the log (increases within a transaction)
 */
public record EventPosition(long commit, long change) implements Comparable<EventPosition> {
    /** Before every real position. */
    public static final EventPosition ZERO = new EventPosition(0, 0);

    @Override
    public int compareTo(EventPosition o) {
        int c = Long.compareUnsigned(commit, o.commit);
        return c != 0 ? c : Long.compareUnsigned(change, o.change);
    }

    /** Whether this position comes after {@code o} in the stream. */
    public boolean isAfter(EventPosition o) {
        return compareTo(o) > 0;
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(commit) + "/" + Long.toUnsignedString(change);
    }
}
