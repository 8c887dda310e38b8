package dev.mds.connector.postgres;

/** What {@link PostgresCdcSource} does with rows that exist before the replication slot. */
public enum SnapshotMode {
    /** Reads every existing row once (as READ events) when no position is stored yet, then streams changes. */
    INITIAL("initial"),
    /** Never reads existing rows; streams changes from the slot's position. */
    NEVER("no_data"),
    /** Reads existing rows when no position is stored or the stored position is no longer in the slot. */
    WHEN_NEEDED("when_needed");

    private final String debezium;

    SnapshotMode(String debezium) {
        this.debezium = debezium;
    }

    /** Debezium's {@code snapshot.mode} value. */
    String debeziumValue() {
        return debezium;
    }
}
