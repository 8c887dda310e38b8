/**
 * mds-load: loads record batches and change batches into PostgreSQL (COPY into a staging table, then generated
 * MERGE); start with {@code dev.mds.load.MergeLoader}. {@code dev.mds.load.internal} is not exported.
 */
module dev.mds.load {
    requires transitive dev.mds.core;
    requires org.slf4j;
    requires org.postgresql.jdbc;

    exports dev.mds.load;
}
