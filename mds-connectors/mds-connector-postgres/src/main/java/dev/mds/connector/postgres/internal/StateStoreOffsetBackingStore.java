package dev.mds.connector.postgres.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.core.MdsException;
import dev.mds.core.SourcePosition;
import dev.mds.core.StateStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.OffsetBackingStore;
import org.apache.kafka.connect.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Debezium engine's offset store, backed by an mds {@link StateStore} in the warehouse. The engine creates it
 * by class name, so the source registers its state store under an id ({@link #register}) and passes the id in the
 * engine properties.
 *
 * <p>Offsets are written by {@code PostgresCdcSource} itself, in the same warehouse transaction as the rows of
 * the batch they describe. The engine's own {@link #set} therefore only acknowledges: when it returns, the offset
 * is already durable, and the engine goes on to confirm the LSN to the replication slot. {@link #get} reads the
 * committed position back from the warehouse on start.
 */
public final class StateStoreOffsetBackingStore implements OffsetBackingStore {
    private static final Logger LOG = LoggerFactory.getLogger(StateStoreOffsetBackingStore.class);
    /** Engine property naming the registered state store. */
    public static final String REGISTRY_ID = "mds.offset.registry.id";
    /** Engine property naming the state store key. */
    public static final String STATE_KEY = "mds.offset.state.key";

    // The engine instantiates this class reflectively; this map is how it finds the source's StateStore.
    // Entries are removed when the source stops.
    private static final Map<String, StateStore> REGISTRY = new ConcurrentHashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper();

    private StateStore store;
    private String key;

    /** Used by the engine. */
    public StateStoreOffsetBackingStore() {
    }

    /** Makes {@code store} findable by the engine under {@code id}. */
    public static void register(String id, StateStore store) {
        REGISTRY.put(id, store);
    }

    public static void unregister(String id) {
        REGISTRY.remove(id);
    }

    @Override
    public void configure(WorkerConfig config) {
        Map<String, Object> originals = config.originals();
        Object id = originals.get(REGISTRY_ID);
        this.store = id == null ? null : REGISTRY.get(id.toString());
        if (store == null) {
            throw new IllegalStateException("no mds state store registered under " + id);
        }
        this.key = String.valueOf(originals.get(STATE_KEY));
    }

    @Override
    public void start() {
    }

    @Override
    public void stop() {
    }

    @Override
    public Future<Map<ByteBuffer, ByteBuffer>> get(Collection<ByteBuffer> keys) {
        Map<ByteBuffer, ByteBuffer> result = new HashMap<>();
        Optional<Map<String, Object>> offset = read(store, key);
        for (ByteBuffer k : keys) {
            offset.ifPresent(o -> result.put(k, ByteBuffer.wrap(toJson(o))));
        }
        LOG.debug("offset of {} read from the warehouse: {}", key, offset);
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public Future<Void> set(Map<ByteBuffer, ByteBuffer> values, Callback<Void> callback) {
        // Already committed with the rows by the source; only acknowledge, so the engine confirms the LSN.
        if (callback != null) {
            callback.onCompletion(null, null);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }

    /** The Debezium offset stored under {@code key}, without mds's own entries. */
    public static Optional<Map<String, Object>> read(StateStore store, String key) {
        return store.get(key).map(s -> {
            Map<String, Object> values = new LinkedHashMap<>(SourcePosition.fromJson(s.json()).values());
            return values;
        });
    }

    private static byte[] toJson(Map<String, Object> offset) {
        try {
            return JSON.writeValueAsString(offset).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new MdsException("cannot write offset " + offset + ": " + e.getMessage(), e);
        }
    }
}
