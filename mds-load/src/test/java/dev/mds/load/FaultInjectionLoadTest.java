package dev.mds.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.testing.FaultInjection;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The session of a load dies at every statement it sends in turn ({@link FaultSweep}): the load throws naming its
 * table, the database holds exactly what it held before (never part of the batch, nor a staging table), a position
 * stored in the load's transaction stays, and a re-run gives exactly what an uninterrupted load gives.
 */
@MdsPostgres
class FaultInjectionLoadTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING)
            .add("ts", FieldType.LONG).build();
    static final TableName SRC = TableName.of("product", "users");
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    enum Target { MISSING, WITH_ROWS }

    enum Mode { APPEND, OVERWRITE, MERGE, DEDUPE }

    static RecordBatch batch(Record... records) {
        return RecordBatch.of(SCHEMA, List.of(records));
    }

    static MergeLoader loader(DataSource ds, Mode mode) {
        MergeLoader.Builder b = MergeLoader.into(ds, "raw.t");
        return switch (mode) {
            case APPEND -> b.mode(SyncMode.APPEND).build();
            case OVERWRITE -> b.mode(SyncMode.OVERWRITE).build();
            case MERGE -> b.mode(SyncMode.MERGE).key("id").build();
            case DEDUPE -> b.mode(SyncMode.MERGE).key("id").cursor("ts").build();
        };
    }

    static RecordBatch batchFor(Mode mode) {
        return mode == Mode.DEDUPE
                ? batch(Record.of(2L, "new", 5L), Record.of(2L, "older", 4L), Record.of(4L, "x", 1L), Record.of(4L, "y", 2L))
                : mode == Mode.APPEND
                ? batch(Record.of(4L, "d", 1L), Record.of(5L, "e", 1L))
                : batch(Record.of(2L, "b2", 2L), Record.of(4L, "d", 1L));
    }

    static void setUp(DataSource ds, Mode mode, Target target) {
        TestSql.sql(ds, "drop schema if exists raw cascade");
        if (target == Target.WITH_ROWS) {
            loader(ds, mode == Mode.OVERWRITE ? Mode.APPEND : mode)
                    .load(batch(Record.of(1L, "a", 1L), Record.of(2L, "b", 1L), Record.of(3L, "c", 1L)));
        }
    }

    static void namesTheTable(Throwable e) {
        assertThat(e).hasMessageContaining("raw.t");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aLoadIntoAMissingTableIsAllOrNothingWhereverItsSessionDies(Mode mode, DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> setUp(d, mode, Target.MISSING))
                .operation(d -> loader(d, mode).load(batchFor(mode)))
                .idempotent(mode != Mode.APPEND)
                .failure(FaultInjectionLoadTest::namesTheTable)
                .run();
        assertThat(points).isGreaterThan(3);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aLoadIntoATableWithRowsIsAllOrNothingWhereverItsSessionDies(Mode mode, DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> setUp(d, mode, Target.WITH_ROWS))
                .operation(d -> loader(d, mode).load(batchFor(mode)))
                .idempotent(mode != Mode.APPEND)
                .failure(FaultInjectionLoadTest::namesTheTable)
                .run();
        assertThat(points).isGreaterThan(3);
    }

    static ChangeBatch changes(ChangeEvent... events) {
        return new ChangeBatch(SRC, SCHEMA, List.of("id"), List.of(events), Optional.empty());
    }

    static ChangeEvent upsert(long id, String v, long lsn) {
        return ChangeEvent.update(SRC, Record.of(id), Record.of(id, v, lsn), new EventPosition(lsn, lsn), T);
    }

    static JdbcStateStore store(DataSource ds) {
        return JdbcStateStore.builder(ds).schema("pipeline").build();
    }

    @ParameterizedTest
    @EnumSource(Target.class)
    void cdcApplyAndItsPositionAreAllOrNothingWhereverTheSessionDies(Target target, DataSource ds) throws Exception {
        ChangeBatch later = changes(upsert(2, "b2", 40), ChangeEvent.delete(SRC, Record.of(1L), new EventPosition(41, 41), T),
                ChangeEvent.create(SRC, Record.of(4L), Record.of(4L, "d", 42L), new EventPosition(42, 42), T));
        int points = FaultSweep.on(ds)
                .setUp(d -> {
                    TestSql.sql(d, "drop schema if exists raw cascade", "drop schema if exists pipeline cascade");
                    store(d).put("offset", "{\"lsn\": 30}");
                    if (target == Target.WITH_ROWS) {
                        MergeLoader.into(d, "raw.t").mode(SyncMode.CDC).build().load(changes(upsert(1, "a", 10),
                                upsert(2, "b", 20), upsert(3, "c", 30)));
                    }
                })
                .operation(d -> {
                    if (store(d).get("offset").orElseThrow().json().contains("42")) {
                        return;   // as a CDC source resumes: the batch is in (a commit whose reply was lost happened)
                    }
                    try (Connection c = d.getConnection()) {
                        c.setAutoCommit(false);
                        MergeLoader.into(d, "raw.t").mode(SyncMode.CDC).build().load(later, c);
                        store(d).put(c, "offset", "{\"lsn\": 42}");
                        try {
                            c.commit();
                        } catch (SQLException e) {
                            throw new IllegalStateException("the commit of raw.t and its position failed: " + e.getMessage(), e);
                        }
                    }
                })
                .failure(e -> assertThat(e.getMessage()).containsAnyOf("raw.t", "state store pipeline.state, key 'offset'"))
                .run();
        assertThat(points).isGreaterThan(3);
    }

    static List<RecordBatch> stream() {
        return List.of(batch(Record.of(1L, "a", 1L), Record.of(2L, "b", 1L)), batch(Record.of(3L, "c", 1L)),
                batch(Record.of(2L, "b2", 2L), Record.of(4L, "d", 1L)));
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"APPEND", "MERGE"})
    void loadAllCommitsTheFirstBatchesItReportsWhereverItsSessionDies(Mode mode, DataSource ds) throws Exception {
        List<RecordBatch> stream = stream();
        List<FaultSweep.Snapshot> prefixes = new ArrayList<>();   // the database after the stream's first i batches
        TestSql.sql(ds, "drop schema if exists raw cascade");
        prefixes.add(FaultSweep.Snapshot.of(ds, java.util.Set.of()));
        for (RecordBatch b : stream) {
            loader(ds, mode == Mode.APPEND ? Mode.APPEND : Mode.MERGE).load(b);
            prefixes.add(FaultSweep.Snapshot.of(ds, java.util.Set.of()));
        }
        long[] skip = {0};   // a re-run skips the batches reported committed, as the Javadoc says it can
        int points = FaultSweep.on(ds)
                .setUp(d -> {
                    TestSql.sql(d, "drop schema if exists raw cascade");
                    skip[0] = 0;
                })
                .operation(d -> {
                    loader(d, mode).loadAll(stream.stream().skip(skip[0]), 1, ProgressListener.NONE);
                    skip[0] = 0;
                })
                .check(o -> {
                    if (!o.failed()) {
                        assertThat(o.now()).isEqualTo(o.after());
                        return;
                    }
                    assertThat(o.failure()).isInstanceOf(PartialLoadException.class);
                    namesTheTable(o.failure());
                    PartialLoadException p = (PartialLoadException) o.failure();
                    int committed = (int) p.committedBatches();
                    assertThat(p.committedRows()).isEqualTo(stream.stream().limit(committed).mapToLong(RecordBatch::size).sum());
                    if (o.now().equals(prefixes.get(committed))) {
                        skip[0] = committed;
                        return;
                    }
                    boolean ambiguous = o.kill().commits() && o.kill().moment() == FaultInjection.Moment.LOST_REPLY;
                    assertThat(ambiguous && committed + 1 < prefixes.size() && o.now().equals(prefixes.get(committed + 1)))
                            .as("%d batches reported committed, but the table holds another state:%s", committed,
                                    o.now().differences(prefixes.get(committed)))
                            .isTrue();
                    skip[0] = committed + 1;   // the commit whose reply was lost happened
                })
                .run();
        assertThat(points).isGreaterThan(6);
    }

    @Test
    void aKillCountsStatementsAcrossConnections(DataSource ds) throws Exception {
        FaultInjection faults = FaultInjection.on(ds);
        TestSql.sql(ds, "drop schema if exists raw cascade");
        loader(faults.dataSource(), Mode.MERGE).load(batchFor(Mode.MERGE));
        assertThat(faults.statements()).anyMatch(s -> s.startsWith("copy ")).contains("COMMIT");
    }
}
