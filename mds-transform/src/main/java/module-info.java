/**
 * mds-transform: SQL models run in dependency order (dbt-like); start with
 * {@code dev.mds.transform.TransformProject}. {@code dev.mds.transform.internal} is not exported.
 */
module dev.mds.transform {
    requires transitive dev.mds.core;
    requires org.slf4j;
    requires org.postgresql.jdbc;
    requires org.apache.commons.csv;

    exports dev.mds.transform;
}
