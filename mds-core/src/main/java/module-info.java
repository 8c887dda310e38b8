/**
 * mds-core: the types every mds module shares (records, schemas, positions, change events, the SQL quoting helper,
 * state stores and the exception family). {@code dev.mds.core.internal} is not exported.
 */
module dev.mds.core {
    requires transitive java.sql;
    requires org.slf4j;

    exports dev.mds.core;
}
