package dev.mds.connector.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.connector.postgres.internal.DebeziumTableSchemas;
import dev.mds.connector.postgres.internal.RecordMapper;
import dev.mds.connector.postgres.internal.StateStoreOffsetBackingStore;
import dev.mds.connector.postgres.internal.TextValueConverter;
import dev.mds.connector.postgres.internal.UnsentToastReader;
import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.Identifiers;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.SourcePosition;
import dev.mds.core.StateStore;
import dev.mds.core.TableName;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the changes of PostgreSQL tables into a warehouse through the embedded Debezium engine (logical
 * decoding with {@code pgoutput}), with exactly-once effect: each batch is handed to a {@link Handler} inside a
 * warehouse transaction, the source position is written to the {@link StateStore} in that same transaction, and
 * only after the commit is the LSN confirmed to the replication slot. A restart resumes from the position in the
 * warehouse; events replayed after a crash carry their original {@link dev.mds.core.EventPosition}, so a loader
 * that ignores events not newer than the target (mds-load CDC mode) changes nothing twice.
 *
 * <pre>{@code
 * try (PostgresCdcSource source = PostgresCdcSource.builder()
 *         .connect("db.internal", 5432, "product").credentials("mds_cdc", secret)
 *         .tables("product.users", "product.subscriptions")
 *         .slot("mds_product").publication("mds_product")
 *         .warehouse(warehouseDataSource)            // offsets go to mds.state there
 *         .build()) {
 *     source.run((batch, tx) -> loaders.get(batch.table()).load(batch, tx.connection()));   // blocks until close()
 * }
 * }</pre>
 *
 * Defaults: port 5432, slot and publication {@code mds_<database>}, {@link SnapshotMode#INITIAL}, heartbeat every
 * 10 s, batches of at most 10,000 events or 500 ms (but always of whole source transactions: one larger than that
 * comes as one batch, up to {@link Builder#maxTransactionEvents} events, 100,000), offsets in {@code JdbcStateStore.create(warehouse)} under
 * {@code postgres-cdc:<database>:<slot>}, the slot kept on {@link #close()}, a lag warning above 1 GiB of retained
 * WAL, pipelining on. The handler runs on one loader thread per running source (or, with {@code pipeline(false)},
 * on Debezium's thread); {@code close()} may be called from any thread.
 */
public final class PostgresCdcSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresCdcSource.class);
    private static final Duration LAG_CHECK_EVERY = Duration.ofSeconds(30);
    /** The topic of Debezium's notifications (its sink channel), unless an engine property names another. */
    private static final String NOTIFICATIONS = "mds_notifications";

    /**
     * Receives each batch of one table inside the open warehouse transaction; must not commit it, roll it back or turn
     * auto-commit on (the source checks, and stops the run before storing the position when it did).
     */
    @FunctionalInterface
    public interface Handler {
        /**
         * Applies {@code batch} using {@code tx.connection()}. Throwing rolls back the transaction and stops the
         * source; the batch's position is then not stored and the events come again on the next run.
         */
        void handle(ChangeBatch batch, Transaction tx) throws Exception;
    }

    /** The warehouse transaction a batch is applied in; the source commits it together with the position. */
    public interface Transaction {
        /** The warehouse connection, auto-commit off. */
        Connection connection();
    }

    private record Tx(Connection connection) implements Transaction {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Builder config;
    private final StateStore offsets;
    private final String offsetKey;
    /** Where the tables of the last committed run are kept: a table added later has had no snapshot. */
    private final String tablesKey;
    /** The state key of the rows whose key-change insert was left out (see {@link BatchConsumer#goneKeys}). */
    private final String goneKey;
    /**
     * Where the run keeps how each table was in the publication ({@link CdcSetup#publicationMembership}): a table
     * taken out and put back since has changes in no stream.
     */
    private final String publicationKey;
    /** Each captured table's membership of the publication when this run started. */
    private volatile Map<String, String> membership = Map.of();
    private volatile boolean tablesRecorded;
    /** The captured tables' generated columns as {@code schema.table.column}, read by the preflight check. */
    private volatile List<String> generatedColumns = List.of();
    private final Object lock = new Object();
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private boolean closed;
    private boolean running;
    private final AtomicLong eventsCommitted = new AtomicLong();
    private final AtomicLong batchesCommitted = new AtomicLong();
    private final AtomicLong applyNanos = new AtomicLong();
    private final AtomicLong confirmNanos = new AtomicLong();
    private final AtomicLong slotLagBytes = new AtomicLong(-1);
    private final AtomicLong lagWarnings = new AtomicLong();
    private final AtomicLong handlerNanos = new AtomicLong();
    private final AtomicLong mapNanos = new AtomicLong();
    private final AtomicLong commitNanos = new AtomicLong();

    private PostgresCdcSource(Builder b) {
        this.config = b.copy();
        this.offsets = b.offsets != null ? b.offsets : JdbcStateStore.create(b.warehouse);
        this.offsetKey = b.offsetKey != null ? b.offsetKey : "postgres-cdc:" + b.database + ":" + b.slot;
        this.tablesKey = offsetKey + ":tables";
        this.goneKey = offsetKey + ":gone";
        this.publicationKey = offsetKey + ":publication";
    }

    /** A builder of a CDC source; see the class documentation for what it needs. */
    public static Builder builder() {
        return new Builder();
    }

    /** The key the position is stored under in the {@link StateStore}. */
    public String offsetKey() {
        return offsetKey;
    }

    /** The position stored in the warehouse, if any (Debezium's offset entries). */
    public Optional<SourcePosition> storedPosition() {
        return offsets.get(offsetKey).map(s -> SourcePosition.fromJson(s.json()));
    }

    /** Change events committed to the warehouse by this source object so far. */
    public long eventsCommitted() {
        return eventsCommitted.get();
    }

    /**
     * How far the slot was behind the source's current WAL position (bytes of WAL it retains) when last measured;
     * measured on the first batch and then at most every 30 s while the source runs, when
     * {@code lagWarningBytes} is above 0. Empty before the first measurement.
     */
    public OptionalLong slotLagBytes() {
        long lag = slotLagBytes.get();
        return lag < 0 ? OptionalLong.empty() : OptionalLong.of(lag);
    }

    /** How many times the slot's lag was above {@code lagWarningBytes} (each time logged as a warning). */
    public long lagWarnings() {
        return lagWarnings.get();
    }

    /** The Debezium engine properties this source runs with (the password masked). */
    public Properties engineProperties() {
        Properties p = properties("<registry-id>");
        p.setProperty("database.password", "********");
        return p;
    }

    /**
     * Streams changes into {@code handler} until {@link #close()} is called (from another thread) or a failure
     * occurs. Checks first that the source is reachable, set up for logical decoding and that the slot is free.
     *
     * @throws MdsException when the source is unreachable, its setup check fails, the slot is in use by another
     *     consumer, or the engine or the handler fails (the cause attached)
     */
    public void run(Handler handler) {
        Objects.requireNonNull(handler, "handler");
        preflight();
        String registryId = UUID.randomUUID().toString();
        StateStoreOffsetBackingStore.register(registryId, offsets);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<String> failureMessage = new AtomicReference<>();
        java.util.concurrent.ExecutorService loader = config.pipeline ? java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mds-cdc-load-" + config.slot);
            t.setDaemon(true);
            return t;
        }) : null;
        BatchConsumer consumer = new BatchConsumer(handler, failure, loader);
        try {
            DebeziumEngine<RecordChangeEvent<SourceRecord>> e;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                if (running) {
                    throw new IllegalStateException("this source is already running");
                }
                e = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                        .using(properties(registryId))
                        .notifying(consumer)
                        .using((success, message, error) -> {
                            if (!success) {
                                failureMessage.set(message);
                                if (error != null) {
                                    failure.compareAndSet(null, error);
                                }
                            }
                        })
                        .build();
                engine = e;
                running = true;
            }
            LOG.info("CDC from {}:{}/{} slot {} started for {}", config.host, config.port, config.database, config.slot,
                    config.tables);
            e.run();
        } finally {
            consumer.drain();
            if (loader != null) {
                loader.shutdown();
            }
            consumer.closeLagConnection();
            StateStoreOffsetBackingStore.unregister(registryId);
            synchronized (lock) {
                running = false;
                engine = null;
            }
        }
        Throwable t = failure.get();
        boolean closeRequested;
        synchronized (lock) {
            closeRequested = closed;
        }
        if (closeRequested && t != null && causedByShutdown(t)) {
            // Debezium rejects work that is in flight while close() shuts its executors down: a clean stop
            LOG.debug("CDC engine stopped by close() with: {}", t.toString());
            t = null;
            failureMessage.set(null);
        }
        if (t != null || failureMessage.get() != null) {
            Throwable root = t;
            while (root != null && root.getCause() != null && !(root instanceof MdsException)) {
                root = root.getCause();
            }
            if (root instanceof MdsException m && t != m) {
                throw new MdsException(m.getMessage(), t);
            }
            if (root instanceof SQLException sql && "55006".equals(sql.getSQLState()) && sql.getMessage() != null) {
                // another consumer took the slot between the preflight check and the start of the stream
                Matcher pid = ACTIVE_FOR_PID.matcher(sql.getMessage());
                if (pid.find()) {
                    throw slotInUse(pid.group(1), t);
                }
            }
            String why = failureMessage.get() != null ? failureMessage.get() : String.valueOf(t);
            if (t != null && t.getMessage() != null && !why.contains(t.getMessage())) {
                why = why + ": " + t.getMessage();
            }
            if (root != null && root != t && root.getMessage() != null && !why.contains(root.getMessage())) {
                why = why + "; cause: " + root.getMessage();
            }
            throw new MdsException("CDC from " + config.host + ":" + config.port + "/" + config.database + " slot "
                    + config.slot + " failed: " + why, t);
        }
        LOG.info("CDC from {}:{}/{} slot {} stopped after {} events in {} batches ({} ms mapping, {} ms applying and"
                + " committing: {} ms in the handler, {} ms storing the position and committing; {} ms confirming to"
                + " the slot)", config.host, config.port, config.database, config.slot, eventsCommitted.get(),
                batchesCommitted.get(), mapNanos.get() / 1_000_000, applyNanos.get() / 1_000_000,
                handlerNanos.get() / 1_000_000, commitNanos.get() / 1_000_000, confirmNanos.get() / 1_000_000);
    }

    /** PostgreSQL's error when a replication slot is taken: {@code replication slot "x" is active for PID 42}. */
    private static final Pattern ACTIVE_FOR_PID = Pattern.compile("is active for PID (\\d+)");

    /**
     * How long a start waits for an active slot to be released before refusing it as in use. A consumer that has just
     * stopped (this source's previous run, closed a moment ago) leaves the slot active until its walsender process on
     * the server has exited, after the client has gone.
     */
    private static final Duration SLOT_RELEASE_WAIT = Duration.ofSeconds(5);

    private static boolean slotActive(PreparedStatement slotQuery) throws SQLException {
        try (ResultSet rs = slotQuery.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private MdsException slotInUse(String pid, Throwable cause) {
        return new MdsException("replication slot " + config.slot + " on " + config.host + ":" + config.port + "/"
                + config.database + " is in use by another consumer (backend pid " + pid
                + "); stop that consumer or choose another slot", cause);
    }

    private static boolean causedByShutdown(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.util.concurrent.RejectedExecutionException || c instanceof InterruptedException) {
                return true;
            }
            if (c instanceof IllegalStateException && c.getMessage() != null
                    && c.getMessage().contains("current engine state is 'STOPPING'")) {
                // close() while the engine was still starting: it refuses to go on to its next start step
                return true;
            }
        }
        return false;
    }

    /** Stops the engine (the current batch finishes or rolls back); the slot is kept unless asked otherwise. */
    @Override
    public void close() {
        DebeziumEngine<RecordChangeEvent<SourceRecord>> e;
        synchronized (lock) {
            closed = true;
            e = engine;
        }
        if (e != null) {
            closeEngine(e);
        }
    }

    /**
     * Closes the engine. Debezium refuses to stop while its task is still starting ("Cannot stop engine while
     * tasks are starting"), so a close that comes right after {@link #run} began waits for the start, up to a minute.
     */
    private static void closeEngine(DebeziumEngine<RecordChangeEvent<SourceRecord>> e) {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (true) {
            try {
                e.close();
                return;
            } catch (IOException ex) {
                throw new MdsException("cannot stop the CDC engine: " + ex.getMessage(), ex);
            } catch (IllegalStateException starting) {
                if (System.nanoTime() > deadline) {
                    throw new MdsException("cannot stop the CDC engine: " + starting.getMessage(), starting);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new MdsException("interrupted while stopping the CDC engine", interrupted);
                }
            }
        }
    }

    /**
     * Drops the replication slot on the source (when no one uses it), so it no longer retains WAL. Call after
     * {@link #close()} when the pipeline is retired.
     *
     * @return whether a slot was dropped
     */
    public boolean dropSlot() {
        try (Connection c = sourceConnection();
             PreparedStatement ps = c.prepareStatement(
                     "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ? and not active")) {
            ps.setString(1, config.slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new MdsException("cannot drop replication slot " + config.slot + ": " + e.getMessage(), e);
        }
    }

    /**
     * The key columns of a source table: those given with {@code key(...)}, else its primary key in column order.
     * Asked only for a table-wide event that carries no key: a {@code TRUNCATE} that is the first event of a table.
     *
     * @param why what asks, for the error when there is no key
     */
    private List<String> keyColumns(TableName table, String why) {
        List<String> given = config.keys.get(table);
        if (given != null) {
            return given;
        }
        try (Connection c = sourceConnection()) {
            return keyColumns(c, table, why);
        } catch (SQLException e) {
            throw new MdsException("cannot read the primary key of " + table + " (" + why + "): " + e.getMessage(), e);
        }
    }

    /** As {@link #keyColumns(TableName, String)}, reading the primary key on {@code c}. */
    private List<String> keyColumns(Connection c, TableName table, String why) throws SQLException {
        List<String> given = config.keys.get(table);
        if (given != null) {
            return given;
        }
        List<String> keys = PostgresDialect.INSTANCE.primaryKey(c, table);
        if (keys.isEmpty()) {
            throw new MdsException(why + ", but " + table + " has no primary key and no key columns were given with"
                    + " key(...)");
        }
        return keys;
    }

    /** Whether {@code name} holds only ASCII characters (Debezium's pgoutput decoder reads names byte by byte). */
    static boolean isAscii(String name) {
        return name.chars().allMatch(c -> c < 0x80);
    }

    /** How often a running source checks that the publication still covers its tables. */
    private Duration publicationCheckInterval() {
        return config.heartbeat.isZero() ? LAG_CHECK_EVERY : config.heartbeat;
    }

    private Connection sourceConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + config.host + ":" + config.port + "/" + config.database,
                config.user, config.password);
    }

    /** Checks the source; returns whether the publication exists already. */
    /**
     * Refuses tables added since the runs that stored the position: Debezium snapshots only when there is no
     * position, so their existing rows would never arrive (only changes from now on).
     */
    private void refuseAddedTables() {
        if (offsets.get(offsetKey).isEmpty()) {
            return;
        }
        Optional<StateStore.State> recorded = offsets.get(tablesKey);
        if (recorded.isEmpty()) {
            return;   // a position stored before mds recorded the tables: nothing to compare with
        }
        Set<String> before = new HashSet<>();
        try {
            JsonNode array = JSON.readTree(recorded.get().json());
            array.forEach(n -> before.add(n.asText()));
        } catch (java.io.IOException e) {
            throw new MdsException("state " + tablesKey + " is not a JSON array of tables: " + e.getMessage(), e);
        }
        List<String> added = config.tables.stream().map(TableName::toString).filter(t -> !before.contains(t)).toList();
        if (!added.isEmpty()) {
            throw new MdsException("CDC slot " + config.slot + ": table(s) " + added + " were not captured by the runs"
                    + " that stored position " + offsetKey + " (they had " + before + "). Debezium snapshots only a"
                    + " slot without a position, so their existing rows would never arrive. Capture them with a new slot"
                    + " and offset key (every table is snapshotted again, which the load applies idempotently), or"
                    + " load them with a source of their own");
        }
    }

    /**
     * Refuses a stored position beyond the source's current WAL position: it was stored for another server (the
     * default offset key names database and slot, not the host: two servers with a database of the same name share
     * it) or the source was restored from a backup. Debezium would resume there, skipping every change until the WAL
     * reached it, and snapshot nothing (a position exists).
     */
    private void refusePositionAheadOfTheSource(Connection c, String where) throws SQLException {
        Optional<SourcePosition> stored = storedPosition();
        Optional<Long> lsn = stored.flatMap(p -> p.getLong("lsn"));
        if (lsn.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("select pg_wal_lsn_diff(case when pg_is_in_recovery()"
                + " then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end, '0/0')::bigint");
             ResultSet rs = ps.executeQuery()) {
            if (rs.next() && !rs.wasNull() && Long.compareUnsigned(lsn.get(), rs.getLong(1)) > 0) {
                throw new MdsException("the CDC position stored under " + offsetKey + " (LSN " + lsnText(lsn.get())
                        + ") is ahead of the current WAL position of " + where + " (" + lsnText(rs.getLong(1))
                        + "): it was stored for another server (the default offset key names the database and the"
                        + " slot, not the host) or the source was restored from a backup. Resuming there would skip"
                        + " every change until the WAL reaches it. Give this source its own offsetKey(...) (it then"
                        + " snapshots), or remove the stored position if the source was restored");
            }
        }
    }

    /**
     * Refuses a stored position whose slot no longer exists, unless the mode re-snapshots: the changes made until a
     * new slot exists are in no slot. Debezium refuses such a start too, but with a dump of its offset context that
     * names neither the slot nor mds's way out.
     */
    private void refuseLostSlot(String where) {
        if (config.snapshot == SnapshotMode.WHEN_NEEDED || storedPosition().flatMap(p -> p.getLong("lsn")).isEmpty()) {
            return;
        }
        throw new MdsException("replication slot " + config.slot + " does not exist on " + where + ", but a position"
                + " is stored under " + offsetKey + ": the slot was dropped (or lost on a failover) after that position,"
                + " so the changes made since are in no slot. Run with snapshot(SnapshotMode.WHEN_NEEDED) to read the"
                + " tables again (the load applies the snapshot idempotently and removes the rows it does not read), or"
                + " remove the stored position to start afresh under " + config.snapshot);
    }

    /**
     * Refuses a slot confirmed beyond every LSN of the stored position. The source confirms only what it has stored
     * (after the commit), so another consumer moved the slot on: a source sharing the slot name under another offset
     * key, a slot advanced by hand, or a warehouse restored from a backup. PostgreSQL streams from the slot's
     * confirmed position when asked for an earlier one, so the changes in between would be skipped.
     */
    private void refuseSlotConfirmedPastThePosition(long confirmed, String where) {
        Optional<SourcePosition> stored = storedPosition();
        if (stored.isEmpty()) {
            return;
        }
        OptionalLong highest = java.util.stream.Stream.of("lsn", "lsn_proc", "lsn_commit")
                .map(k -> stored.get().getLong(k)).flatMap(Optional::stream).mapToLong(Long::longValue)
                .reduce((a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
        if (highest.isEmpty() || Long.compareUnsigned(confirmed, highest.getAsLong()) <= 0) {
            return;
        }
        throw new MdsException("replication slot " + config.slot + " on " + where + " is confirmed up to LSN "
                + lsnText(confirmed) + ", past the position stored under " + offsetKey + " (LSN "
                + lsnText(highest.getAsLong()) + "): another consumer moved it on (a source sharing the slot name under"
                + " another offset key, a slot advanced by hand, or a warehouse restored from a backup), and the changes"
                + " in between can no longer be streamed. Give each source its own slot; to recover, run with a new slot"
                + " and offset key (it snapshots the tables again)");
    }

    private static String lsnText(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    /** Each captured table's membership of the publication ({@link CdcSetup#publicationMembership}), by name. */
    private Map<String, String> membership(Connection c) throws SQLException {
        Map<String, String> m = new LinkedHashMap<>();
        for (TableName t : config.tables) {
            CdcSetup.publicationMembership(c, config.publication, t).ifPresent(id -> m.put(t.toString(), id));
        }
        return Map.copyOf(m);
    }

    private String membershipJson() {
        var object = JSON.createObjectNode();
        new java.util.TreeMap<>(membership).forEach(object::put);
        return object.toString();
    }

    /**
     * Refuses tables that left the publication since the runs that stored the position and are in it again (taken
     * out and added back, the publication or the table dropped and created again while the source was stopped):
     * pgoutput decodes a change with the publication as it was when the change was made, so the changes made
     * meanwhile are in no stream, and the run would go on without them.
     */
    private void refuseTablesOutOfThePublicationSinceThePosition() {
        if (offsets.get(offsetKey).isEmpty()) {
            return;
        }
        Optional<StateStore.State> recorded = offsets.get(publicationKey);
        if (recorded.isEmpty()) {
            return;   // a position stored before mds recorded the membership: nothing to compare with
        }
        List<String> changed = new ArrayList<>();
        boolean optionsChanged = false;
        try {
            JsonNode before = JSON.readTree(recorded.get().json());
            for (TableName t : config.tables) {
                JsonNode id = before.get(t.toString());
                String now = membership.get(t.toString());
                if (id == null) {
                    continue;
                }
                if (now == null || !CdcSetup.sameTables(id.asText(), now)) {
                    changed.add(t.toString());
                } else if (!CdcSetup.sameOptions(id.asText(), now)) {
                    optionsChanged = true;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            throw new MdsException("state " + publicationKey + " is not a JSON object of tables: " + e.getMessage(), e);
        }
        if (!changed.isEmpty()) {
            throw new MdsException("CDC slot " + config.slot + ": table(s) " + changed + " left publication "
                    + config.publication + " after position " + offsetKey + " was stored and are in it again (taken"
                    + " out and added back, or the publication or the table dropped and created again): pgoutput"
                    + " sends a change only if the table was in the publication when it was made, so the changes made"
                    + " in between are in no stream. Capture the tables again with a new slot and offset key (a"
                    + " snapshot reads their rows); if nothing was written to them in between (the publication got new"
                    + " ids from a dump and restore or an upgrade), delete state " + publicationKey + " to go on");
        }
        if (optionsChanged) {
            throw new MdsException("CDC slot " + config.slot + ": the options of publication " + config.publication
                    + " were changed after position " + offsetKey + " was stored (ALTER PUBLICATION ... SET (publish"
                    + " = ...), perhaps set back since): " + UNPUBLISHED_OPERATIONS + " Capture the tables again with a"
                    + " new slot and offset key (a snapshot reads their rows); if every operation stayed published"
                    + " (the same options set again, another owner), delete state " + publicationKey + " to go on");
        }
    }

    /** Why a change of a publication's options loses changes. */
    private static final String UNPUBLISHED_OPERATIONS = "pgoutput sends no insert, update, delete or truncate made while"
            + " the publication did not publish that operation, so such changes made in between are in no stream.";

    /**
     * Refuses a {@code key(...)} naming columns outside the replica identity of a table (or of a partition) that is
     * not {@code REPLICA IDENTITY FULL}: a delete then logs only the primary key, so it arrived with an empty key and
     * deleted nothing, and an update of those columns carried no old row, so it came as an update of the new key and
     * left the row of the old one in the target.
     */
    private void refuseKeysTheWalDoesNotCarry(Connection c, boolean streaming) throws SQLException {
        for (Map.Entry<TableName, List<String>> e : config.keys.entrySet()) {
            String oid = PostgresDialect.INSTANCE.relationOid(e.getKey());
            // the tables whose WAL holds the rows: the table, or a partitioned table's leaf partitions
            try (PreparedStatement ps = c.prepareStatement("select n.nspname, r.relname, r.relreplident,"
                    + " coalesce((select array_agg(a.attname::text order by a.attnum) from pg_index i join pg_attribute a"
                    + " on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = r.oid and case"
                    + " r.relreplident when 'i' then i.indisreplident else i.indisprimary end), '{}') from pg_class r"
                    + " join pg_namespace n on n.oid = r.relnamespace where r.relkind = 'r' and (r.oid = " + oid
                    + " or r.oid in (select p.relid from pg_partition_tree(" + oid + ") p where p.isleaf))"
                    + " order by 1, 2")) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        char identity = rs.getString(3).charAt(0);
                        List<String> carried = List.of((String[]) rs.getArray(4).getArray());
                        if (identity == 'f' || carried.containsAll(e.getValue())) {
                            continue;
                        }
                        TableName table = TableName.of(rs.getString(1), rs.getString(2));
                        throw new MdsException("table " + e.getKey() + ": key(...) names " + e.getValue() + ", which"
                                + " the WAL of " + table + " does not carry for a deleted or re-keyed row: under REPLICA"
                                + " IDENTITY " + (identity == 'i' ? "USING INDEX" : "DEFAULT") + " a delete logs only "
                                + carried + ", so its deletes would arrive without their key and be lost, and a change"
                                + " of " + e.getValue() + " would leave the row of the old key in the target. Fix: ALTER"
                                + " TABLE " + table.quoted() + " REPLICA IDENTITY FULL; or leave key(...) out to key"
                                + " the table by its primary key" + (streaming ? ". It changed while streaming: the"
                                + " deletes and key changes made since are not in the target; after the fix, capture"
                                + " the table again with a new slot and offset key" : ""));
                    }
                }
            }
        }
    }

    private String tablesJson() {
        var array = JSON.createArrayNode();
        config.tables.forEach(t -> array.add(t.toString()));
        return array.toString();
    }

    private void preflight() {
        refuseAddedTables();
        String where = config.host + ":" + config.port + "/" + config.database;
        try (Connection c = sourceConnection()) {
            refusePositionAheadOfTheSource(c, where);
            try (PreparedStatement ps = c.prepareStatement(
                    "select active, active_pid, database, pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint"
                            + " from pg_replication_slots where slot_name = ?")) {
                ps.setString(1, config.slot);
                long releaseBy = System.nanoTime() + SLOT_RELEASE_WAIT.toNanos();
                while (slotActive(ps) && System.nanoTime() < releaseBy) {
                    Thread.sleep(100);   // a consumer that has just stopped: its walsender releases the slot as it exits
                }
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        refuseLostSlot(where);
                    } else {
                        if (rs.getBoolean(1)) {
                            throw slotInUse(Integer.toString(rs.getInt(2)), null);
                        }
                        if (!config.database.equals(rs.getString(3))) {
                            throw new MdsException("replication slot " + config.slot + " on " + where
                                    + " belongs to database " + rs.getString(3) + "; choose another slot name");
                        }
                        long confirmed = rs.getLong(4);
                        if (!rs.wasNull()) {
                            refuseSlotConfirmedPastThePosition(confirmed, where);
                        }
                    }
                }
            }
            List<String> generated = new ArrayList<>();
            for (TableName t : config.tables) {
                for (String column : CdcSetup.generatedColumns(c, t)) {
                    generated.add(t.schema() + "." + t.name() + "." + column);
                }
            }
            generatedColumns = List.copyOf(generated);
            // the check also refuses a primary key column with a non-ASCII name (Debezium garbles it: no key)
            SetupReport report = CdcSetup.check(c, CdcSetup.spec().tables(config.tables).slot(config.slot)
                    .publication(config.publication).keyColumns(config.keys.keySet()).build());
            if (!report.ok()) {
                throw new MdsException("source " + where + " is not ready for CDC:\n" + report);
            }
            refuseKeysTheWalDoesNotCarry(c, false);
            for (SetupReport.Item item : report.items()) {
                if (item.severity() == SetupReport.Severity.WARNING) {
                    LOG.warn("CDC setup of {}: {} (fix: {})", where, item.problem(), item.fix());
                }
            }
            boolean publicationExists;
            try (PreparedStatement ps = c.prepareStatement("select 1 from pg_publication where pubname = ?")) {
                ps.setString(1, config.publication);
                try (ResultSet rs = ps.executeQuery()) {
                    publicationExists = rs.next();
                }
            }
            if (!publicationExists) {
                // Created here rather than by Debezium, whose CREATE PUBLICATION has no publish_via_partition_root: the
                // changes of a partitioned table then came under its partitions' names and were never captured
                String create = CdcSetup.createPublicationSql(c, config.publication, config.tables);
                LOG.info("creating publication {}: {}", config.publication, create);
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute(create);
                }
            }
            membership = membership(c);
            refuseTablesOutOfThePublicationSinceThePosition();
        } catch (SQLException e) {
            throw new MdsException("cannot connect to the CDC source " + where + " as " + config.user + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MdsException("CDC from " + where + ": interrupted while waiting for slot " + config.slot
                    + " to be released", e);
        }
    }

    private Properties properties(String registryId) {
        Properties p = new Properties();
        p.setProperty("name", "mds-" + config.slot);
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("topic.prefix", "mds_" + config.slot);
        p.setProperty("database.hostname", config.host);
        p.setProperty("database.port", Integer.toString(config.port));
        p.setProperty("database.user", config.user);
        p.setProperty("database.password", config.password);
        p.setProperty("database.dbname", config.database);
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slot);
        p.setProperty("publication.name", config.publication);
        // The publication exists when the engine starts: an existing one is used as it is (the setup check made sure
        // it covers the tables; altering it needs ownership), a missing one was created by the preflight
        p.setProperty("publication.autocreate.mode", "disabled");
        StringJoiner include = new StringJoiner(",");
        for (TableName t : config.tables) {
            // Debezium matches the list ignoring case: e4."Users" would capture e4.users too
            include.add("(?-i)" + regex(t.schema() + "." + t.name()));
        }
        p.setProperty("table.include.list", include.toString());
        if (!generatedColumns.isEmpty()) {
            // pgoutput does not publish generated columns: the snapshot read them and the stream did not, so the
            // target kept the values of the snapshot (and NULL for new rows) while the source's changed
            StringJoiner exclude = new StringJoiner(",");
            generatedColumns.forEach(column -> exclude.add("(?-i)" + regex(column)));
            String own = config.engineProperties.get("column.exclude.list");
            p.setProperty("column.exclude.list", own == null || own.isBlank() ? exclude.toString() : own + "," + exclude);
        }
        if (!config.keys.isEmpty()) {
            StringJoiner keys = new StringJoiner(";");
            config.keys.forEach((t, cols) -> keys.add("(?-i)" + regex(t.schema() + "." + t.name()) + ":"
                    + String.join(",", cols)));
            p.setProperty("message.key.columns", keys.toString());
        }
        p.setProperty("snapshot.mode", config.snapshot.debeziumValue());
        p.setProperty("decimal.handling.mode", "precise");   // money; numeric goes through TextValueConverter:
        // Debezium's precise mode sends NULL for NaN and the infinities, the converter sends them as text to refuse
        p.setProperty("converters", "mds_text");
        p.setProperty("mds_text.type", TextValueConverter.class.getName());
        // without it the stream hands NULL to the converter for the types Debezium does not know (name, tsvector...)
        p.setProperty("include.unknown.datatypes", "true");
        p.setProperty("time.precision.mode", "adaptive_time_microseconds");
        p.setProperty("binary.handling.mode", "bytes");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("hstore.handling.mode", "json");
        p.setProperty("unavailable.value.placeholder", RecordMapper.PLACEHOLDER);
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("skipped.operations", "none");   // Debezium skips TRUNCATE by default; mds carries it
        p.setProperty("heartbeat.interval.ms", Long.toString(config.heartbeat.toMillis()));
        if (!config.heartbeat.isZero()) {
            // A heartbeat alone cannot move the slot when only uncaptured tables change (pgoutput sends nothing for
            // them); a tiny transactional logical message gives the stream a position to confirm.
            p.setProperty("heartbeat.action.query", "select pg_logical_emit_message(true, 'mds_heartbeat', '')");
        }
        p.setProperty("max.batch.size", Integer.toString(config.maxBatchEvents));
        p.setProperty("max.queue.size", Integer.toString(Math.max(config.maxBatchEvents * 4, 8192)));
        p.setProperty("poll.interval.ms", Long.toString(Math.max(1, config.maxBatchWait.toMillis())));
        p.setProperty("slot.drop.on.stop", Boolean.toString(config.dropSlotOnClose));
        p.setProperty("slot.max.retries", "3");
        p.setProperty("slot.retry.delay.ms", "2000");
        p.setProperty("status.update.interval.ms", "1000");
        p.setProperty("offset.storage", StateStoreOffsetBackingStore.class.getName());
        p.setProperty(StateStoreOffsetBackingStore.REGISTRY_ID, registryId);
        p.setProperty(StateStoreOffsetBackingStore.STATE_KEY, offsetKey);
        // The offset is durable when the batch's transaction commits; flush (and confirm the LSN) after every batch.
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("offset.flush.timeout.ms", "60000");
        p.setProperty("errors.max.retries", "0");
        if (sweepsAfterSnapshots()) {
            // an empty table has no last read that ends its snapshot; Debezium's notification tells it instead
            p.setProperty("notification.enabled.channels", "sink");
            p.setProperty("notification.sink.topic.name", NOTIFICATIONS);
        }
        String excluded = p.getProperty("column.exclude.list");
        config.engineProperties.forEach(p::setProperty);
        // BEGIN/END records around each streamed transaction: batches end only at a transaction's END (see
        // BatchConsumer#wholeTransactions); not to be turned off by an engine property
        p.setProperty("provide.transaction.metadata", "true");
        if (excluded != null) {
            p.setProperty("column.exclude.list", excluded);   // the caller's own list is in it
        }
        String converters = p.getProperty("converters");
        if (!java.util.Arrays.asList(converters.split("\\s*,\\s*")).contains("mds_text")) {
            // the caller's own converters come after mds's, which must see numeric values before Debezium's NULL
            p.setProperty("converters", "mds_text," + converters);
        }
        return p;
    }

    /**
     * Whether the end of a table's snapshot removes the rows it did not read (README: re-snapshots); not for a
     * snapshot filtered by {@code snapshot.select.statement.overrides}, which does not read every row.
     */
    private boolean sweepsAfterSnapshots() {
        return !config.engineProperties.containsKey("snapshot.select.statement.overrides");
    }

    private static String regex(String literal) {
        StringBuilder sb = new StringBuilder();
        for (char ch : literal.toCharArray()) {
            if ("\\.[]{}()<>*+-=!?^$|,;:".indexOf(ch) >= 0) {
                sb.append('\\');
            }
            sb.append(ch);
        }
        return sb.toString();
    }

    /** Receives Debezium batches, applies them with the handler and commits rows and offset together. */
    private final class BatchConsumer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
        private final Handler handler;
        private final AtomicReference<Throwable> failure;
        private final RecordMapper mapper = new RecordMapper(t -> keyColumns(t, "a TRUNCATE of " + t + " arrived"));
        /**
         * The [table, key values...] ({@link #goneId}) of rows whose key-change insert was left out: the source no
         * longer held them, so a later event of the stream removes them, and until then their updates leaning on the
         * values the insert never had are left out too. Stored with the offset in each batch's transaction that changes
         * it, so that a restart in between still leaves those updates out (kept in memory only, it stopped every later
         * run at such an update: mds-load refuses unchanged values without a target row to keep them from).
         */
        private final Set<List<String>> goneKeys = new HashSet<>();
        /** Whether {@link #goneKeys} differs from what is stored under {@link #goneKey}. */
        private boolean goneChanged;
        /** Reads the TOASTed values a primary-key update leaves unsent (REPLICA IDENTITY DEFAULT). */
        private final UnsentToastReader unsentToast = new UnsentToastReader(PostgresCdcSource.this::sourceConnection);
        private final boolean sweepAfterSnapshots = sweepsAfterSnapshots();
        private final String notifications =
                config.engineProperties.getOrDefault("notification.sink.topic.name", NOTIFICATIONS);
        private final java.util.concurrent.ExecutorService loader;
        /*
         * Tables with snapshot reads whose snapshot has not ended yet. Debezium marks the last read of a table
         * last_in_data_collection, but the marker "first" wins over it: the single row of the first table never
         * carries it. Such a table's snapshot ends with the whole snapshot (its last read, Debezium's COMPLETED
         * notification, or the first streamed change, whichever comes first).
         */
        private final Map<TableName, OpenSnapshot> openSnapshots = new LinkedHashMap<>();
        // with parallel snapshot threads, other tables may still be reading when the read marked last arrives
        private final boolean singleSnapshotThread =
                "1".equals(config.engineProperties.getOrDefault("snapshot.max.threads", "1").trim());
        private Pending pending;
        private Connection lagConnection;
        private long nextLagCheck = System.nanoTime();
        private long nextPublicationCheck = System.nanoTime() + publicationCheckInterval().toNanos();
        /**
         * The records after the end of the last whole transaction: the start of a transaction whose END has not
         * arrived yet. They are neither handed to the handler nor marked processed (so neither their offsets nor the
         * slot move past them) until the END arrives, however many events and waits that takes.
         */
        private final List<RecordChangeEvent<SourceRecord>> held = new ArrayList<>();
        /**
         * The change events among {@link #held} (records of a transaction's tables: not its BEGIN, nor heartbeats or
         * messages), which {@code maxTransactionEvents} bounds.
         */
        private int heldEvents;
        /** Whether the last record seen (held or handed) is inside a source transaction. */
        private boolean inTransaction;
        /** Whether the transaction in progress was too large to hold and has been handed on in parts (warned once). */
        private boolean handedInParts;
        /**
         * Debezium's schemas of the captured tables, read at the first table the snapshot finds empty, closed when the
         * snapshot completes (or the run ends).
         */
        private DebeziumTableSchemas emptyTableSchemas;

        BatchConsumer(Handler handler, AtomicReference<Throwable> failure, java.util.concurrent.ExecutorService loader) {
            this.handler = handler;
            this.failure = failure;
            this.loader = loader;
            Optional<StateStore.State> stored = offsets.get(goneKey);
            if (stored.isPresent() && offsets.get(offsetKey).isEmpty()) {
                goneChanged = true;   // left by runs whose position was removed since: cleared with the first batch
            } else if (stored.isPresent()) {
                try {
                    for (JsonNode id : JSON.readTree(stored.get().json())) {
                        List<String> parts = new ArrayList<>();
                        id.forEach(n -> parts.add(n.asText()));
                        goneKeys.add(List.copyOf(parts));
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    throw new MdsException("state " + goneKey + " is not a JSON array of [table, key values...] arrays: "
                            + e.getMessage(), e);
                }
            }
        }

        /**
         * A row's identity in {@link #goneKeys}, as text that survives a restart: the table, then per key value its
         * Java class and text (numbers without trailing zeros, as the source's key equality has it; bytes in hex).
         */
        private static List<String> goneId(ChangeEvent event) {
            List<String> id = new ArrayList<>();
            id.add(event.source().toString());
            for (Object v : event.key().values()) {
                if (v == null) {
                    id.add("null");
                } else if (v instanceof byte[] bytes) {
                    id.add("bytes:" + java.util.HexFormat.of().formatHex(bytes));
                } else if (v instanceof java.math.BigDecimal d) {
                    id.add("decimal:" + (d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString()));
                } else if (v.getClass().isArray()) {
                    id.add(v.getClass().getName() + ":" + java.util.Arrays.deepToString(new Object[] {v}));
                } else {
                    id.add(v.getClass().getName() + ":" + v);
                }
            }
            return List.copyOf(id);
        }

        private String goneJson() {
            var array = JSON.createArrayNode();
            goneKeys.stream().sorted(java.util.Comparator.comparing(Object::toString)).forEach(id -> {
                var parts = array.addArray();
                id.forEach(parts::add);
            });
            return array.toString();
        }

        @Override
        public void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
            List<RecordChangeEvent<SourceRecord>> batch = wholeTransactions(records);
            Prepared prepared;
            try {
                refuseTablesGoneFromThePublication();
                prepared = batch.isEmpty() ? null : prepare(batch);
            } catch (RuntimeException | Error e) {
                failure.compareAndSet(null, e);
                throw e;
            }
            records = batch;
            if (loader == null) {
                if (prepared != null) {
                    commitBatch(prepared);
                }
                confirm(records, committer);
                maybeCheckLag();
                return;
            }
            // Pipelined: this batch was mapped while the previous one was loading. Confirm the previous batch only
            // once its transaction has committed, then hand this one to the loader thread.
            finishPending();
            CompletableFuture<Void> done = prepared == null ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.runAsync(() -> commitBatch(prepared), loader);
            pending = new Pending(records, committer, done);
            maybeCheckLag();
        }

        /**
         * The records of the held ones and {@code records} up to the end of the last whole source transaction (or
         * the last record outside any: snapshot reads, heartbeats, notifications, which batch as Debezium batches
         * them); the rest is held for a later call. Debezium cuts its batches every {@code maxBatch} records or when
         * the wait runs out, inside a transaction too; a batch cut there let mds-load fold half a transaction (a key's
         * insert in one batch, the delete of its other row under a DEFERRABLE key in the next: the row was lost), and
         * stored a position inside it. So a transaction larger than {@code maxBatch} comes as one batch, after its END.
         * An END without a transaction in progress here (Debezium ends the transaction of a position it resumed from)
         * is not a cut: it is held with what follows, whose position it may carry.
         */
        private List<RecordChangeEvent<SourceRecord>> wholeTransactions(List<RecordChangeEvent<SourceRecord>> records) {
            int end = -1;   // in records: the last one a batch may end with
            for (int i = 0; i < records.size(); i++) {
                switch (RecordMapper.transactionMark(records.get(i).record())) {
                    case BEGIN, INSIDE -> inTransaction = true;
                    case END -> {
                        if (inTransaction) {
                            inTransaction = false;
                            handedInParts = false;
                            end = i;
                        }
                    }
                    case OUTSIDE -> {
                        if (!inTransaction) {
                            end = i;
                        }
                    }
                }
            }
            if (end < 0) {
                held.addAll(records);
                heldEvents += events(records);
                if (heldEvents > config.maxTransactionEvents) {
                    return inParts();
                }
                if (held.size() > config.maxBatchEvents && LOG.isDebugEnabled()) {
                    LOG.debug("holding {} records of a source transaction larger than maxBatch ({}) until its end",
                            held.size(), config.maxBatchEvents);
                }
                return List.of();
            }
            List<RecordChangeEvent<SourceRecord>> batch = new ArrayList<>(held.size() + end + 1);
            batch.addAll(held);
            batch.addAll(records.subList(0, end + 1));
            held.clear();
            held.addAll(records.subList(end + 1, records.size()));
            heldEvents = events(held);
            return batch;
        }

        /** The change events among {@code records} (a transaction's BEGIN and END, heartbeats, messages are not). */
        private static int events(List<RecordChangeEvent<SourceRecord>> records) {
            int n = 0;
            for (RecordChangeEvent<SourceRecord> r : records) {
                if (RecordMapper.transactionMark(r.record()) == RecordMapper.TransactionMark.INSIDE
                        && RecordMapper.isDataChange(r.record())) {
                    n++;
                }
            }
            return n;
        }

        /**
         * The held records of a transaction too large to hold (maxTransactionEvents), handed on as a part: all but the
         * last ones of the last record's WAL position, which more records of the next Debezium batch may share. A
         * resumed stream leaves out every change at or before the stored position's LSN, and one WAL record can hold
         * several changes: a COPY logs the rows of a heap page in one record (heap_multi_insert), a key change its
         * delete and insert. A part ending inside such a record stored its LSN, and the rows of the record after the
         * part's end never arrived after a stop (a COPY of 600 rows stopped between parts three times lost 342).
         */
        private List<RecordChangeEvent<SourceRecord>> inParts() {
            int cut = held.size();
            Object lastLsn = lsn(held.get(cut - 1).record());
            while (lastLsn != null && cut > 0 && lastLsn.equals(lsn(held.get(cut - 1).record()))) {
                cut--;
            }
            if (cut > 0 && splitsKeyChange(held.get(cut - 1).record())) {
                cut--;
            }
            if (cut == 0) {
                return List.of();
            }
            if (!handedInParts) {
                handedInParts = true;
                LOG.warn("CDC from {}:{}/{}: a source transaction{} holds more than maxTransactionEvents ({}) events; it is handed"
                        + " on in parts, not as one batch (under a DEFERRABLE key, a part ending between a key's insert and"
                        + " the delete of its other row loses that row: raise maxTransactionEvents and the heap)",
                        config.host, config.port, config.database, transactionId(held),
                        config.maxTransactionEvents);
            }
            List<RecordChangeEvent<SourceRecord>> part = new ArrayList<>(held.subList(0, cut));
            held.subList(0, cut).clear();
            heldEvents = events(held);
            return part;
        }

        /** The LSN of the WAL record a change was decoded from, as Debezium's offset gives it; null when none. */
        private static Object lsn(SourceRecord r) {
            return r.sourceOffset() == null ? null : r.sourceOffset().get("lsn");
        }

        /**
         * Whether a record is the delete Debezium emits first for a primary-key update (it carries the new key in a
         * header); the insert follows from the same WAL message, with the same offset.
         */
        private static boolean splitsKeyChange(SourceRecord r) {
            return r.headers() != null && r.headers().lastWithName("__debezium.newkey") != null;
        }

        /**
         * {@code " <id>"} of the transaction the held records belong to, from the first that names it: Debezium's BEGIN
         * record (its {@code id}) or an event's transaction block; "" when none does. (The first held record is most
         * often the BEGIN, which has no transaction block: reading that alone left the warning without the id.) Not
         * from an END: one held before the BEGIN ends the transaction of a position Debezium resumed from.
         */
        private static String transactionId(List<RecordChangeEvent<SourceRecord>> records) {
            for (RecordChangeEvent<SourceRecord> rce : records) {
                if (!(rce.record().value() instanceof org.apache.kafka.connect.data.Struct v)) {
                    continue;
                }
                RecordMapper.TransactionMark mark = RecordMapper.transactionMark(rce.record());
                if (mark == RecordMapper.TransactionMark.BEGIN && v.schema().field("id") != null && v.get("id") != null) {
                    return " " + v.get("id");
                }
                if (mark == RecordMapper.TransactionMark.INSIDE
                        && v.get("transaction") instanceof org.apache.kafka.connect.data.Struct t
                        && t.schema().field("id") != null) {
                    return " " + t.get("id");
                }
            }
            return "";
        }

        /** Waits for the batch being loaded and confirms it; rethrows its failure. */
        void finishPending() throws InterruptedException {
            Pending p = pending;
            if (p == null) {
                return;
            }
            // pending is cleared only once the batch's transaction is over: when close() interrupts this wait, the
            // batch is still committing on the loader thread and drain() must wait for it before run() returns
            try {
                p.done.get();
                pending = null;
            } catch (java.util.concurrent.ExecutionException e) {
                pending = null;
                Throwable cause = e.getCause();
                failure.compareAndSet(null, cause);
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                throw new MdsException("a CDC batch failed: " + cause.getMessage(), cause);
            }
            confirm(p.records, p.committer);
        }

        /**
         * After the engine stopped: waits for the last batch's transaction (it cannot be confirmed any more), so that
         * nothing writes to the warehouse once {@link #run} has returned.
         */
        void drain() {
            if (!held.isEmpty()) {
                // never handed on nor marked processed: the next run streams the transaction again from its start
                // (or, when parts of it were handed on, from the end of the last part committed)
                LOG.debug("stopped with {} records of an unfinished source transaction held; they come again on the"
                        + " next run", held.size());
                held.clear();
                heldEvents = 0;
            }
            Pending p = pending;
            pending = null;
            if (p != null) {
                try {
                    p.done.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failure.compareAndSet(null, e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void confirm(List<RecordChangeEvent<SourceRecord>> records,
                DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
            long t1 = System.nanoTime();
            for (RecordChangeEvent<SourceRecord> r : records) {
                committer.markProcessed(r);
            }
            committer.markBatchFinished();
            confirmNanos.addAndGet(System.nanoTime() - t1);
        }

        private Prepared prepare(List<RecordChangeEvent<SourceRecord>> records) {
            long t0 = System.nanoTime();
            Groups groups = new Groups();
            Map<String, ?> lastOffset = null;
            int events = 0;
            mapper.startBatch(() -> records.stream().map(RecordChangeEvent::record).iterator());
            for (RecordChangeEvent<SourceRecord> rce : records) {
                SourceRecord r = rce.record();
                if (notifications.equals(r.topic())) {
                    if (r.sourceOffset() != null && !r.sourceOffset().isEmpty() && !r.sourceOffset().containsKey("snapshot")) {
                        // a notification while streaming (an incremental snapshot's) carries the stream's offset, which
                        // Debezium confirms to the slot once it is marked processed: store it too, or the slot would be
                        // confirmed past the stored position (a commit read after the last event) and the next start
                        // refused
                        lastOffset = r.sourceOffset();
                    }
                    // during a snapshot, notifications give no position, except the ones that end it or an empty table's scan
                    Optional<RecordMapper.EmptyTableScan> scan = sweepAfterSnapshots ? RecordMapper.emptyTableScan(r)
                            : Optional.empty();
                    Optional<TableName> table = scan.flatMap(s -> config.tables.stream().filter(s::is).findFirst());
                    if (sweepAfterSnapshots && RecordMapper.isSnapshotCompleted(r) && !openSnapshots.isEmpty()) {
                        Map<String, ?> ended = endOpenSnapshots(groups);
                        lastOffset = r.sourceOffset() != null ? r.sourceOffset() : ended;
                    }
                    if (table.isPresent()) {
                        Group g = groups.of(emptyTableShape(table.get()));
                        g.events.add(ChangeEvent.snapshotComplete(table.get(), scan.get().position(), scan.get().at()));
                        g.offset = r.sourceOffset();
                        lastOffset = r.sourceOffset();
                        events++;
                    }
                    if (RecordMapper.isSnapshotCompleted(r)) {
                        closeEmptyTableSchemas();   // no table scan comes after it: the connection is not kept while streaming
                    }
                    continue;
                }
                if (r.sourceOffset() != null) {
                    lastOffset = r.sourceOffset();
                }
                if (!RecordMapper.isDataChange(r)) {
                    continue;
                }
                Optional<RecordMapper.Mapped> mapped = mapper.map(r);
                if (mapped.isEmpty()) {
                    continue;
                }
                ChangeEvent event = mapped.get().event();
                if (UnsentToastReader.needsValues(event)) {
                    // the insert half of a key change (no target row of the new key to keep the unsent values from),
                    // or a snapshot timestamp the driver may have moved out of a daylight-saving gap
                    Optional<ChangeEvent> completed = unsentToast.complete(event, mapped.get().shape().schema(),
                            mapped.get().shape().keyColumns());
                    if (completed.isEmpty() && !UnsentToastReader.leavesUnsent(event)) {
                        completed = Optional.of(UnsentToastReader.withGuesses(event));   // gone: a later event removes it
                    }
                    if (completed.isEmpty()) {
                        // the row is gone from the source, so a later event of the stream removes it: until then its
                        // changes that lean on the values it never had are left out too
                        goneChanged |= goneKeys.add(goneId(event));
                        continue;
                    }
                    event = completed.get();
                } else if (!goneKeys.isEmpty()) {
                    if (event.operation() == ChangeEvent.Operation.TRUNCATE) {
                        String truncated = event.source().toString();
                        goneChanged |= goneKeys.removeIf(k -> k.get(0).equals(truncated));
                    } else if (!event.operation().isTableWide()) {
                        List<String> id = goneId(event);
                        if (event.operation() == ChangeEvent.Operation.UPDATE && goneKeys.contains(id)
                                && event.after().map(a -> a.values().contains(dev.mds.core.Unchanged.VALUE)).orElse(false)) {
                            continue;
                        }
                        if (event.operation() != ChangeEvent.Operation.UPDATE) {
                            goneChanged |= goneKeys.remove(id);
                        }
                    }
                }
                boolean read = event.operation() == ChangeEvent.Operation.READ;
                if (!read && !openSnapshots.isEmpty()) {
                    endOpenSnapshots(groups);   // streaming started: the snapshot is over
                }
                Group g = groups.of(mapped.get().shape());
                g.events.add(event);
                g.offset = r.sourceOffset();
                events++;
                if (read && sweepAfterSnapshots && !RecordMapper.isIncrementalRead(r)) {
                    // a table's snapshot is complete: rows it did not read are gone (see README: re-snapshots);
                    // not after an incremental snapshot's reads: chunks of a table read between streamed changes,
                    // which would have ended the table's snapshot (one sweep of the whole target) after every chunk
                    if (RecordMapper.endsTableSnapshot(r)) {
                        openSnapshots.remove(event.source());
                        g.events.add(ChangeEvent.snapshotComplete(event.source(), event.position(), event.commitTime()));
                    } else {
                        openSnapshots.put(event.source(), new OpenSnapshot(mapped.get().shape(), event, r.sourceOffset()));
                    }
                    if (singleSnapshotThread && RecordMapper.endsSnapshot(r)) {
                        endOpenSnapshots(groups);   // in this batch, with the offset that says the snapshot is done
                    }
                }
            }
            mapNanos.addAndGet(System.nanoTime() - t0);
            if (lastOffset == null) {
                return null;
            }
            String gone = null;
            if (goneChanged) {
                gone = goneJson();   // this batch's view: with pipelining the next batch is prepared while it commits
                goneChanged = false;
            }
            return new Prepared(List.copyOf(groups.list), SourcePosition.of(offsetKey, lastOffset), events, gone);
        }

        /**
         * The shape of a table the snapshot found empty: the one its reads would have had, from the row and key schemas
         * Debezium builds for it from the engine's own properties (as its snapshot builds them), mapped as
         * {@link RecordMapper} maps a read. The loader creates the target from it, with the columns a first read would
         * have given it.
         */
        private RecordMapper.Shape emptyTableShape(TableName table) {
            if (emptyTableSchemas == null) {
                emptyTableSchemas = DebeziumTableSchemas.open(properties("mds-empty-table-schemas"));
            }
            return emptyTableSchemas.shape(table);
        }

        /** Ends the snapshot of every table still open, after its last read; returns the last one's offset. */
        private Map<String, ?> endOpenSnapshots(Groups groups) {
            Map<String, ?> offset = null;
            for (OpenSnapshot open : openSnapshots.values()) {
                Group g = groups.of(open.shape());
                ChangeEvent last = open.lastRead();
                g.events.add(ChangeEvent.snapshotComplete(last.source(), last.position(), last.commitTime()));
                if (g.offset == null) {
                    g.offset = open.offset();
                }
                offset = open.offset();
            }
            openSnapshots.clear();
            return offset;
        }

        /**
         * Runs the handler on one table's batch. An exception of the handler's own (not an {@link MdsException}, whose
         * message says where already) is wrapped in one naming the table and the keys of the batch, its cause kept:
         * without it the run's error said only "failed: java.lang.IllegalStateException: ...", or, for an
         * SQLException of the handler, that the warehouse commit failed.
         */
        private void handle(ChangeBatch batch, Tx tx) throws Exception {
            try {
                handler.handle(batch, tx);
            } catch (MdsException | InterruptedException e) {
                throw e;   // an interrupt is close() stopping the run
            } catch (Exception e) {
                List<ChangeEvent> events = batch.events();
                String keys = events.isEmpty() ? "" : events.size() == 1 ? " (key " + events.get(0).key() + ")"
                        : " (keys " + events.get(0).key() + " .. " + events.get(events.size() - 1).key() + ")";
                throw new MdsException("the CDC handler failed on " + events.size() + " event"
                        + (events.size() == 1 ? "" : "s") + " of " + batch.table() + keys + ": " + e, e);
            }
        }

        /** The warehouse transaction's id (assigning one), to tell that a handler committed it. */
        private static long transactionId(Connection c) throws SQLException {
            try (java.sql.Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("select txid_current()")) {
                rs.next();
                return rs.getLong(1);
            }
        }

        private void commitBatch(Prepared p) {
            long t0 = System.nanoTime();
            try (Connection c = config.warehouse.getConnection()) {
                c.setAutoCommit(false);
                try {
                    Tx tx = new Tx(c);
                    long xact = transactionId(c);
                    for (Group g : p.groups) {
                        RecordMapper.Shape shape = g.shape;
                        ChangeBatch batch = new ChangeBatch(shape.table(), shape.schema(), shape.keyColumns(), g.events,
                                Optional.of(SourcePosition.of(offsetKey, g.offset)));
                        handle(batch, tx);
                    }
                    long handled = System.nanoTime();
                    if (c.getAutoCommit() || transactionId(c) != xact) {
                        // the rows went (or some of them) without the position: a crash now would apply them again
                        throw new MdsException("the CDC handler " + (c.getAutoCommit() ? "turned auto-commit on for"
                                : "committed") + " the warehouse transaction of a batch of " + p.events + " event"
                                + (p.events == 1 ? "" : "s") + " ("
                                + p.groups.stream().map(g -> g.shape.table().toString()).distinct()
                                        .collect(java.util.stream.Collectors.joining(", "))
                                + "): the source commits the rows together with the position, so the handler must"
                                + " only write on tx.connection() and never commit, roll back or change auto-commit");
                    }
                    offsets.put(c, offsetKey, p.position.toJson());
                    if (!tablesRecorded) {
                        offsets.put(c, tablesKey, tablesJson());
                        offsets.put(c, publicationKey, membershipJson());
                    }
                    if (p.gone != null) {
                        offsets.put(c, goneKey, p.gone);
                    }
                    c.commit();
                    tablesRecorded = true;
                    handlerNanos.addAndGet(handled - t0);
                    commitNanos.addAndGet(System.nanoTime() - handled);
                } catch (Exception e) {
                    try {
                        c.rollback();
                    } catch (SQLException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                }
            } catch (MdsException e) {
                throw e;
            } catch (SQLException e) {
                throw new MdsException("cannot commit a CDC batch of " + p.events + " events to the warehouse: "
                        + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new MdsException("the CDC handler failed on a batch of " + p.events + " events: " + e.getMessage(), e);
            }
            eventsCommitted.addAndGet(p.events);
            batchesCommitted.incrementAndGet();
            applyNanos.addAndGet(System.nanoTime() - t0);
            if (LOG.isDebugEnabled()) {
                LOG.debug("committed {} events in {} table batches, position {}", p.events, p.groups.size(), p.position);
            }
        }

        /**
         * Stops the run when a captured table has left the publication while streaming: dropped (and perhaps created
         * again under its name, which a {@code FOR TABLE} publication does not cover) or removed from it. pgoutput then
         * sends nothing more of the table, so the rows of a re-created table were missed without a word, while a
         * restart was refused by the setup check. Checked once per heartbeat interval (30 s without heartbeats), before
         * the batch is committed.
         */
        private void refuseTablesGoneFromThePublication() {
            if (System.nanoTime() - nextPublicationCheck < 0) {
                return;
            }
            nextPublicationCheck = System.nanoTime() + publicationCheckInterval().toNanos();
            List<TableName> gone = new ArrayList<>();
            boolean optionsChanged = false;
            try {
                Connection c = sourceSession();
                for (TableName t : config.tables) {
                    String started = membership.get(t.toString());
                    String now = CdcSetup.publicationMembership(c, config.publication, t).orElse("");
                    if (!CdcSetup.inPublication(c, config.publication, t)
                            || (started != null && !CdcSetup.sameTables(started, now))) {
                        gone.add(t);   // out of it now, or out and back in since the run started
                    } else if (started != null && !CdcSetup.sameOptions(started, now)) {
                        optionsChanged = true;
                    }
                }
                // a key(...) the replica identity stopped carrying (FULL switched to DEFAULT): deletes lose their key
                refuseKeysTheWalDoesNotCarry(c, true);
            } catch (SQLException e) {
                LOG.debug("cannot check that publication {} still covers the tables: {}", config.publication,
                        e.getMessage());
                return;
            }
            if (!gone.isEmpty()) {
                throw new MdsException("table(s) " + gone.stream().map(TableName::toString)
                        .collect(java.util.stream.Collectors.joining(", ")) + " left publication " + config.publication
                        + " while streaming (dropped, dropped and created again, renamed, or removed from it, perhaps"
                        + " added back since): pgoutput sends no change made while a table is out of it, and the"
                        + " changes made since are in no stream. Add them back"
                        + " (ALTER PUBLICATION " + Identifiers.quote(config.publication) + " ADD TABLE ...) and"
                        + " capture them again with a new slot and offset key, so a snapshot reads their rows");
            }
            if (optionsChanged) {
                throw new MdsException("the options of publication " + config.publication + " were changed while"
                        + " streaming (ALTER PUBLICATION ... SET (publish = ...), perhaps set back since): "
                        + UNPUBLISHED_OPERATIONS + " Capture the tables again with a new slot and offset key, so a"
                        + " snapshot reads their rows; if every operation stayed published (the same options set"
                        + " again, another owner), delete state " + publicationKey + " and start again");
            }
        }

        /** The source session of the periodic checks (lag, publication), opened again when closed. */
        private Connection sourceSession() throws SQLException {
            if (lagConnection == null || lagConnection.isClosed()) {
                lagConnection = sourceConnection();
            }
            return lagConnection;
        }

        private void maybeCheckLag() {
            if (config.lagWarningBytes <= 0 || System.nanoTime() - nextLagCheck < 0) {
                return;
            }
            nextLagCheck = System.nanoTime() + LAG_CHECK_EVERY.toNanos();
            try {
                try (PreparedStatement ps = sourceSession().prepareStatement(
                        "select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
                                + " from pg_replication_slots where slot_name = ?")) {
                    ps.setString(1, config.slot);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            slotLagBytes.set(rs.getLong(1));
                        }
                        if (slotLagBytes.get() > config.lagWarningBytes) {
                            lagWarnings.incrementAndGet();
                            LOG.warn("replication slot {} is {} bytes behind the current WAL position (warning above {})",
                                    config.slot, slotLagBytes.get(), config.lagWarningBytes);
                        }
                    }
                }
            } catch (SQLException e) {
                LOG.debug("cannot check the lag of slot {}: {}", config.slot, e.getMessage());
            }
        }

        private void closeEmptyTableSchemas() {
            if (emptyTableSchemas != null) {
                emptyTableSchemas.close();
                emptyTableSchemas = null;
            }
        }

        void closeLagConnection() {
            unsentToast.close();
            closeEmptyTableSchemas();
            if (lagConnection != null) {
                try {
                    lagConnection.close();
                } catch (SQLException e) {
                    LOG.debug("closing the lag connection: {}", e.getMessage());
                }
            }
        }
    }

    /** A batch ready to load; {@code gone}: the left-out keys to store with its offset, null when unchanged. */
    private record Prepared(List<Group> groups, SourcePosition position, int events, String gone) {
    }

    private record Pending(List<RecordChangeEvent<SourceRecord>> records,
            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer, CompletableFuture<Void> done) {
    }

    /** A table whose snapshot reads arrived without the one that ends its snapshot, with its last read. */
    private record OpenSnapshot(RecordMapper.Shape shape, ChangeEvent lastRead, Map<String, ?> offset) {
    }

    /** A table's events of one shape, handed to the handler as one {@link ChangeBatch}, and the offset of its last. */
    private static final class Group {
        final RecordMapper.Shape shape;
        final List<ChangeEvent> events = new ArrayList<>();
        Map<String, ?> offset;

        Group(RecordMapper.Shape shape) {
            this.shape = shape;
        }
    }

    /**
     * A Debezium batch's events in the handler's order: a group per table while the table's events keep one shape, and
     * a new group of the table each time its shape changes (a column added or dropped, a type changed), after the
     * groups before it. So a table's events reach the handler in source order even when an earlier shape comes back
     * (a column added and dropped again, a type changed and changed back: Debezium gives the later events a schema
     * equal to the first, and {@link RecordMapper} the same shape), where grouping by shape alone handed the events
     * after the change back on with the ones before it, ahead of the events between (an update leaving an unchanged
     * out-of-line value then met no row in the target). Events of different tables keep no order between them.
     */
    private static final class Groups {
        final List<Group> list = new ArrayList<>();
        private final Map<TableName, Group> lastOfTable = new java.util.HashMap<>();

        /** The group to add an event of {@code shape} to: its table's last group if of that shape, else a new one. */
        Group of(RecordMapper.Shape shape) {
            Group g = lastOfTable.get(shape.table());
            if (g == null || g.shape != shape) {
                g = new Group(shape);
                list.add(g);
                lastOfTable.put(shape.table(), g);
            }
            return g;
        }
    }

    /**
     * Configures a {@link PostgresCdcSource}; see its class documentation for the defaults. {@link #build()}
     * requires {@link #connect}, {@link #credentials}, at least one table and a warehouse {@link DataSource}.
     */
    public static final class Builder {
        /** {@link #maxTransactionEvents}' default. */
        public static final int DEFAULT_MAX_TRANSACTION_EVENTS = 100_000;

        private String host;
        private int port = 5432;
        private String database;
        private String user;
        private String password;
        private final List<TableName> tables = new ArrayList<>();
        private final Map<TableName, List<String>> keys = new LinkedHashMap<>();
        private String slot;
        private String publication;
        private SnapshotMode snapshot = SnapshotMode.INITIAL;
        private Duration heartbeat = Duration.ofSeconds(10);
        private int maxBatchEvents = 10_000;
        private Duration maxBatchWait = Duration.ofMillis(500);
        private int maxTransactionEvents = DEFAULT_MAX_TRANSACTION_EVENTS;
        private DataSource warehouse;
        private StateStore offsets;
        private String offsetKey;
        private boolean dropSlotOnClose;
        private long lagWarningBytes = 1L << 30;
        private boolean pipeline = true;
        private final Map<String, String> engineProperties = new LinkedHashMap<>();

        private Builder() {
        }

        private Builder copy() {
            Builder b = new Builder();
            b.host = host;
            b.port = port;
            b.database = database;
            b.user = user;
            b.password = password;
            b.tables.addAll(tables);
            keys.forEach((k, v) -> b.keys.put(k, List.copyOf(v)));
            // a slot name is at most 63 bytes, as the slot(...) setter checks: a long database name is cut
            b.slot = slot != null ? slot : Identifiers.cutToBytes("mds_"
                    + database.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_"), Identifiers.MAX_IDENTIFIER_BYTES);
            b.publication = publication != null ? publication : b.slot;
            b.snapshot = snapshot;
            b.heartbeat = heartbeat;
            b.maxBatchEvents = maxBatchEvents;
            b.maxBatchWait = maxBatchWait;
            b.maxTransactionEvents = maxTransactionEvents;
            b.warehouse = warehouse;
            b.offsets = offsets;
            b.offsetKey = offsetKey;
            b.dropSlotOnClose = dropSlotOnClose;
            b.lagWarningBytes = lagWarningBytes;
            b.pipeline = pipeline;
            b.engineProperties.putAll(engineProperties);
            return b;
        }

        /** The source server and database. */
        public Builder connect(String host, int port, String database) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1..65535, not " + port);
            }
            this.host = Objects.requireNonNull(host, "host");
            this.port = port;
            this.database = Objects.requireNonNull(database, "database");
            return this;
        }

        /** A user with the REPLICATION attribute and SELECT on the tables (see {@link CdcSetup}). */
        public Builder credentials(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** The tables to capture, as {@code schema.table} ({@link TableName#parse} rules). */
        public Builder tables(String... qualifiedNames) {
            for (String t : qualifiedNames) {
                tables.add(asciiNamed(TableName.parse(t)));
            }
            return this;
        }

        /** The tables to capture. */
        public Builder tables(List<TableName> tableNames) {
            tableNames.forEach(t -> tables.add(asciiNamed(t)));
            return this;
        }

        /**
         * Refuses a schema or table name with a non-ASCII character: Debezium 3.2's pgoutput decoder reads the names
         * of a relation message byte by byte, so such a table matches no captured table and every streamed change of
         * it would be dropped without a word after the snapshot.
         */
        private static TableName asciiNamed(TableName table) {
            if (!isAscii(table.schema()) || !isAscii(table.name())) {
                throw new IllegalArgumentException("table " + table + ": a schema or table name with a non-ASCII"
                        + " character cannot be captured (Debezium's pgoutput decoder garbles it, and every streamed"
                        + " change of the table would be dropped after the snapshot); rename it to ASCII, or read the"
                        + " table with JdbcIncrementalSource");
            }
            return table;
        }

        /**
         * The key columns of a table without a primary key (Debezium's {@code message.key.columns}). Such a table
         * needs {@code REPLICA IDENTITY FULL} so updates and deletes carry the old row; so does a table with a
         * primary key keyed here by other columns (a start is refused otherwise: its deletes would carry no key).
         */
        public Builder key(String qualifiedTable, String... columns) {
            if (columns.length == 0) {
                throw new IllegalArgumentException("key(" + qualifiedTable + "): name at least one column");
            }
            TableName table = asciiNamed(TableName.parse(qualifiedTable));
            for (String column : columns) {
                if (!isAscii(column)) {
                    throw new IllegalArgumentException("key(" + table + "): key column '" + column + "' has a non-ASCII"
                            + " name, which Debezium's pgoutput decoder garbles (streamed changes would carry no key)");
                }
            }
            keys.put(table, List.of(columns));
            return this;
        }

        /** The logical replication slot (created with {@code pgoutput} when missing). */
        public Builder slot(String slotName) {
            if (!slotName.matches("[a-z0-9_]{1,63}")) {
                throw new IllegalArgumentException("slot name '" + slotName
                        + "': PostgreSQL allows only lower-case letters, digits and '_' (at most 63)");
            }
            this.slot = slotName;
            return this;
        }

        /** The publication (created for the tables when missing and the user may). */
        /**
         * The publication to stream from: a lower-case name, as {@link CdcSetup.Spec.Builder#publication} requires
         * (pgoutput reads the name unquoted, so {@code "MixedPub"} would be looked up as {@code mixedpub}).
         */
        public Builder publication(String publicationName) {
            this.publication = CdcSetup.checkPublicationName(publicationName);
            return this;
        }

        /** What to do with rows that exist before the slot (default {@link SnapshotMode#INITIAL}). */
        public Builder snapshot(SnapshotMode mode) {
            this.snapshot = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** How often to advance the slot when the captured tables are idle. */
        public Builder heartbeat(Duration interval) {
            if (interval.isNegative()) {
                throw new IllegalArgumentException("heartbeat must not be negative");
            }
            this.heartbeat = interval;
            return this;
        }

        /**
         * At most {@code events} per batch; a batch is handed over at the latest after {@code wait}. A batch always
         * ends at the end of a source transaction: the events of a transaction not yet ended are held until it ends
         * (in memory: a transaction larger than {@code events} comes as one batch), so a handler never sees part of a
         * transaction, up to {@link #maxTransactionEvents} events: a larger one is handed on in parts. Snapshot reads
         * are batched by these limits alone.
         */
        public Builder maxBatch(int events, Duration wait) {
            if (events < 1) {
                throw new IllegalArgumentException("maxBatch events must be at least 1, not " + events);
            }
            if (wait.isNegative() || wait.isZero()) {
                throw new IllegalArgumentException("maxBatch wait must be positive");
            }
            this.maxBatchEvents = events;
            this.maxBatchWait = wait;
            return this;
        }

        /**
         * The most events of one source transaction held in memory to hand it on whole (default
         * {@value #DEFAULT_MAX_TRANSACTION_EVENTS}, about 2 KB each for a narrow row). A larger transaction is handed on
         * in parts, as Debezium batches it (never between the delete and the insert of one key change), with a WARN
         * naming it: a stream then makes progress whatever the heap, where holding a bulk update of millions of rows
         * would run out of memory on every run. Under a DEFERRABLE key, such a part can end between a key's insert and
         * the delete of its other row, and mds-load then loses that row: raise the bound (and the heap) where bulk
         * transactions move DEFERRABLE keys.
         */
        public Builder maxTransactionEvents(int events) {
            if (events < 1) {
                throw new IllegalArgumentException("maxTransactionEvents must be at least 1, not " + events);
            }
            this.maxTransactionEvents = events;
            return this;
        }

        /** The warehouse the handler writes to and the offsets are stored in. */
        public Builder warehouse(DataSource dataSource) {
            this.warehouse = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** Where the position is stored (default {@code JdbcStateStore.create(warehouse)}); must be in the warehouse. */
        public Builder offsets(StateStore stateStore) {
            this.offsets = Objects.requireNonNull(stateStore, "stateStore");
            return this;
        }

        /** The state store key of the position (default {@code postgres-cdc:<database>:<slot>}). */
        public Builder offsetKey(String key) {
            this.offsetKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /** Drops the slot when the source stops (default: keep it, so changes made meanwhile are not lost). */
        public Builder dropSlotOnClose(boolean drop) {
            this.dropSlotOnClose = drop;
            return this;
        }

        /** Logs a warning when the slot retains more than this much WAL (0: never). */
        public Builder lagWarningBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("lagWarningBytes must not be negative");
            }
            this.lagWarningBytes = bytes;
            return this;
        }

        /**
         * Whether the next batch is mapped while the previous one loads (default true): one extra thread per running
         * source; each batch is still confirmed to the slot only after its own commit, batches still commit in order.
         * With {@code false}, the handler runs on Debezium's thread and nothing overlaps.
         */
        public Builder pipeline(boolean overlap) {
            this.pipeline = overlap;
            return this;
        }

        /** A Debezium connector or engine property, applied last (for tuning; mds's own settings can be overridden). */
        public Builder engineProperty(String name, String value) {
            engineProperties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @throws IllegalArgumentException naming the missing settings */
        public PostgresCdcSource build() {
            List<String> missing = new ArrayList<>();
            if (host == null) {
                missing.add("connect(host, port, database)");
            }
            if (user == null) {
                missing.add("credentials(user, password)");
            }
            if (tables.isEmpty()) {
                missing.add("tables(...)");
            }
            if (warehouse == null) {
                missing.add("warehouse(dataSource)");
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("PostgresCdcSource needs " + String.join(", ", missing));
            }
            for (TableName t : keys.keySet()) {
                if (!tables.contains(t)) {
                    throw new IllegalArgumentException("key(" + t + ", ...) names a table that is not in tables(...)");
                }
            }
            return new PostgresCdcSource(this);
        }
    }
}
