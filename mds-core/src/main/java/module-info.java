/**
 * mds-core: the types every mds module shares (records, schemas, positions, change events, the SQL quoting helper,
 * state stores and the exception family). {@code dev.mds.core.internal} is exported only to mds-load (for its
 * JSON text of dead letters).
 */
@SuppressWarnings("module")   // the qualified export names mds-load, which mds-core's build cannot see
module dev.mds.core {
    requires transitive java.sql;
    requires org.slf4j;

    exports dev.mds.core;
    exports dev.mds.core.internal to dev.mds.load;
}
