package dev.mds.core;

import java.sql.Connection;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;

/**
 * Named state that lets a pipeline resume: source offsets, watermarks, checkpoints, each stored as JSON with
 * a version and an update time. Every operation exists twice: on its own (its own transaction) and on a
 * {@link Connection} the caller owns, so state commits atomically with the rows it describes:
 *
 * <pre>{@code
 * try (Connection c = dataSource.getConnection()) {
 *     c.setAutoCommit(false);
 *     loader.load(batch, c);
 *     state.put(c, "cdc:product", batch.position().orElseThrow().toJson());
 *     c.commit();                       // rows and offset together, or neither
 * }
 * }</pre>
 *
 * Concurrent writers of one key never silently overwrite each other: {@link #update} holds the row lock
 * while it computes the new value, and {@link #compareAndSet} only writes over the version it was given.
 */
public interface StateStore {
    /** The stored state of {@code key}, if any. */
    Optional<State> get(String key);

    /** As {@link #get(String)}, inside the caller's transaction. */
    Optional<State> get(Connection connection, String key);

    /** Stores {@code json} under {@code key}, whatever was there; returns the new version. */
    long put(String key, String json);

    /** As {@link #put(String, String)}, inside the caller's transaction. */
    long put(Connection connection, String key, String json);

    /**
     * Stores {@code json} only if the key is at {@code expectedVersion} (0: the key must not exist yet).
     *
     * @return whether it was stored
     */
    boolean compareAndSet(String key, long expectedVersion, String json);

    /** As {@link #compareAndSet(String, long, String)}, inside the caller's transaction. */
    boolean compareAndSet(Connection connection, String key, long expectedVersion, String json);

    /**
     * Reads the key under a row lock, stores what {@code change} makes of it (it receives empty for a new key)
     * and returns the stored state. Concurrent updates of one key queue up; none is lost.
     */
    State update(String key, Function<Optional<String>, String> change);

    /** As {@link #update(String, Function)}, inside the caller's transaction (the lock is held until it ends). */
    State update(Connection connection, String key, Function<Optional<String>, String> change);

    /** Removes the key; returns whether it existed. */
    boolean delete(String key);

    /**
     * One stored state.
     *
     * @param key the name
     * @param json the value, JSON text
     * @param version 1 after the first write, one more after each later write
     * @param updatedAt when the database last wrote it
     */
    record State(String key, String json, long version, Instant updatedAt) {
    }
}
