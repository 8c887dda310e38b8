/**
 * PostgreSQL sources: {@link dev.mds.connector.postgres.PostgresCdcSource} streams changes through the embedded
 * Debezium engine with offsets committed in the warehouse together with the rows,
 * {@link dev.mds.connector.postgres.CdcSetup} checks and prepares a server for it, and
 * {@link dev.mds.connector.postgres.JdbcIncrementalSource} reads new rows by a cursor column where CDC is not
 * available.
 */
package dev.mds.connector.postgres;
