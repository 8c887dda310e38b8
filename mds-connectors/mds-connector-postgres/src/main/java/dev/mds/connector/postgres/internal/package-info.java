/**
 * Internals of the PostgreSQL connector; the entry point is {@link dev.mds.connector.postgres.internal.RecordMapper},
 * which maps Debezium records to mds change events, with the warehouse-backed offset store
 * {@link dev.mds.connector.postgres.internal.StateStoreOffsetBackingStore}. Not API.
 */
package dev.mds.connector.postgres.internal;
