package dev.mds.load;

/** What a delete event does to the target row in {@link SyncMode#CDC}. */
public enum DeleteMode {
    /** Deletes the row. */
    HARD,
    /** Keeps the row and sets its {@code _deleted_at} column to the event's commit time. */
    SOFT
}
