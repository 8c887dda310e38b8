/**
 * The shared vocabulary of mds; start with {@link dev.mds.core.TableName} and {@link dev.mds.core.Identifiers}
 * (names and the one quoting helper), {@link dev.mds.core.Schema} and {@link dev.mds.core.RecordBatch} (data in
 * flight), {@link dev.mds.core.ChangeBatch} (change data capture), {@link dev.mds.core.StateStore} (resumable
 * positions) and {@link dev.mds.core.PostgresDialect}.
 */
package dev.mds.core;
