package dev.mds.load;

import static dev.mds.load.ConcurrencyTest.SCHEMA;
import static dev.mds.load.ConcurrencyTest.batch;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.FieldType;
import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.TableName;
import dev.mds.testing.FaultInjection;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * {@code sqlAll} shows every statement {@code loadAll} then runs: compared with the statements a real {@code loadAll}
 * sends (counted by {@link FaultInjection}), less the queries that only read and the savepoints.
 */
@MdsPostgres
class SqlAllTest {
    /** The statements sent that write or define something, COPYs as planned (without their format). */
    static List<String> ran(FaultInjection f) {
        List<String> out = new ArrayList<>();
        for (String s : f.statements()) {
            String lower = s.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("select") || lower.startsWith("savepoint") || lower.startsWith("release savepoint")
                    || lower.startsWith("commit") || lower.startsWith("rollback") || lower.startsWith("metadata")) {
                continue;
            }
            out.add(s.replace(" (format binary)", ""));
        }
        return out;
    }

    /** The stream's first batch's part of a plan, the part each later batch runs once per batch, and the end. */
    static List<String> expectedRun(List<String> plan, int firstPart, int batches) {
        List<String> out = new ArrayList<>(plan.subList(0, firstPart));
        for (int i = 1; i < batches; i++) {
            out.addAll(plan.subList(firstPart, plan.size() - 1));
        }
        out.add(plan.get(plan.size() - 1));
        return out;
    }

    private static void assertPlanIsWhatRuns(DataSource ds, String table, UnaryOperator<MergeLoader.Builder> settings,
            Schema schema, List<RecordBatch> batches) {
        FaultInjection f = FaultInjection.on(ds);
        MergeLoader loader = settings.apply(MergeLoader.into(f.dataSource(), table).mode(SyncMode.OVERWRITE)).build();
        List<String> first = loader.sql(schema);
        List<String> plan = loader.sqlAll(schema);
        assertThat(plan.subList(0, first.size())).as("the first batch's part").isEqualTo(first);
        assertThat(plan).last().isEqualTo("set constraints all immediate");
        f.countOnly();
        loader.loadAll(batches.stream(), 1, ProgressListener.NONE);
        assertThat(ran(f)).as("statements of loadAll, against the plan %s", plan)
                .containsExactlyElementsOf(expectedRun(plan, first.size(), batches.size()));
    }

    @Test
    void overwriteOfAnExistingTableShowsTheFirstBatchsStatementsThenTheMergeOfEachLaterOne(DataSource ds) {
        MergeLoader.into(ds, "raw.planned_existing").mode(SyncMode.OVERWRITE).key("id").build().load(batch(100, 105, "old"));
        TestSql.sql(ds, "alter table raw.planned_existing add constraint short_v check (length(v) < 10)");
        assertPlanIsWhatRuns(ds, "raw.planned_existing", b -> b.key("id"), SCHEMA,
                List.of(batch(0, 10, "a"), batch(5, 15, "b"), batch(15, 20, "c")));
        List<String> plan = MergeLoader.into(ds, "raw.planned_existing").mode(SyncMode.OVERWRITE).key("id").build()
                .sqlAll(SCHEMA);
        assertThat(plan).anySatisfy(s -> assertThat(s).startsWith("truncate table \"raw\".\"planned_existing\""))
                .anySatisfy(s -> assertThat(s).startsWith("merge into \"raw\".\"planned_existing\""))
                .anySatisfy(s -> assertThat(s).contains("add constraint \"short_v\" CHECK ((length(v) < 10))"));
    }

    @Test
    void overwriteOfAMissingTableIsPlannedAgainstTheTableTheFirstBatchCreatesWithoutCreatingIt(DataSource ds) {
        // a nullable key column, a timestamp and a json column: the later batches' stage takes the types, NOT NULL
        // and equality the created table has (read from a temporary table the planning rolls back)
        Schema schema = Schema.builder().add("id", FieldType.LONG).add("at", FieldType.TIMESTAMPTZ)
                .add("doc", FieldType.JSON).build();
        MergeLoader planner = MergeLoader.into(ds, "planned_new.t").mode(SyncMode.OVERWRITE).key("id")
                .loadTimestamp("loaded_at").build();
        List<String> plan = planner.sqlAll(schema);
        assertThat(plan.get(0)).startsWith("create schema");
        assertThat(plan).anySatisfy(s -> assertThat(s).startsWith("merge into \"planned_new\".\"t\""));
        assertThat(TestSql.strings(ds, "select coalesce(to_regclass('planned_new.t')::text, 'none')")).containsExactly("none");
        assertThat(TestSql.strings(ds, "select count(*)::text from pg_namespace where nspname = 'planned_new'"))
                .containsExactly("0");
        java.time.Instant t = java.time.Instant.parse("2024-01-01T00:00:00Z");
        assertPlanIsWhatRuns(ds, "planned_new.t", b -> b.key("id").loadTimestamp("loaded_at"), schema, List.of(
                RecordBatch.of(schema, List.of(Record.of(1L, t, "{\"a\": 1}"))),
                RecordBatch.of(schema, List.of(Record.of(1L, t, "{\"a\": 2}"), Record.of(2L, t, "[]")))));
        assertThatTable(ds, "planned_new.t").hasRowCount(2);
    }

    @Test
    void overwriteThatAddsAndWidensColumnsIsPlannedWithoutAlteringOrLockingTheTable(DataSource ds) throws Exception {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.planned_wider (id bigint primary key, v numeric(6,2))",
                "insert into raw.planned_wider values (1, 1.5)");
        Schema wider = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.decimal(10, 4))
                .add("w", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.planned_wider").mode(SyncMode.OVERWRITE).key("id")
                .onSchemaChange(SchemaChange.ADD_AND_WIDEN_COLUMNS).build();
        // another session holds the table's strongest lock: the plan neither waits for it nor alters the table
        List<String> plan;
        try (Connection holder = ds.getConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("lock table raw.planned_wider in access exclusive mode");
            plan = CompletableFuture.supplyAsync(() -> loader.sqlAll(wider)).get(10, TimeUnit.SECONDS);
            holder.rollback();
        }
        assertThat(plan).contains("alter table \"raw\".\"planned_wider\" alter column \"v\" type numeric(10,4),"
                + " add column \"w\" text");
        assertThat(plan.stream().filter(s -> s.startsWith("alter table \"raw\""))).hasSize(1);
        assertThat(TestSql.strings(ds, "select format_type(atttypid, atttypmod) from pg_attribute"
                + " where attrelid = 'raw.planned_wider'::regclass and attnum > 0 order by attnum"))
                .containsExactly("bigint", "numeric(6,2)");
        assertPlanIsWhatRuns(ds, "raw.planned_wider", b -> b.key("id").onSchemaChange(SchemaChange.ADD_AND_WIDEN_COLUMNS),
                wider, List.of(RecordBatch.of(wider, List.of(Record.of(1L, new BigDecimal("12.3456"), "x"))),
                        RecordBatch.of(wider, List.of(Record.of(2L, new BigDecimal("1"), "y")))));
    }

    @Test
    void overwriteWithoutAKeyAppendsTheLaterBatches(DataSource ds) {
        assertPlanIsWhatRuns(ds, "raw.planned_unkeyed", b -> b, SCHEMA,
                List.of(batch(0, 3, "a"), batch(0, 3, "b"), batch(3, 4, "c")));
        assertThatTable(ds, "raw.planned_unkeyed").hasRowCount(7);
    }

    /** APPEND and MERGE: a batch's statements, as sql gives them, are those each batch's load runs. */
    @Test
    void otherModesShowABatchsStatementsAsSqlDoes(DataSource ds) {
        for (boolean existing : List.of(false, true)) {
            String table = "raw.planned_merge_" + existing;
            if (existing) {
                MergeLoader.into(ds, table).key("id").build().load(batch(100, 102, "old"));
            }
            FaultInjection f = FaultInjection.on(ds);
            MergeLoader loader = MergeLoader.into(f.dataSource(), table).key("id").build();
            List<String> plan = loader.sqlAll(SCHEMA);
            assertThat(plan).isEqualTo(loader.sql(SCHEMA));
            f.countOnly();
            loader.loadAll(Stream.of(batch(0, 3, "a")), 1, ProgressListener.NONE);
            assertThat(ran(f)).as("existing %s", existing).containsExactlyElementsOf(plan);
            assertThat(plan).as("existing %s", existing).anySatisfy(s -> assertThat(s).startsWith(existing ? "merge" : "copy"));
        }
        FaultInjection f = FaultInjection.on(ds);
        MergeLoader append = MergeLoader.into(f.dataSource(), "raw.planned_append").mode(SyncMode.APPEND).build();
        List<String> plan = append.sqlAll(SCHEMA);
        f.countOnly();
        append.loadAll(Stream.of(batch(0, 3, "a")), 1, ProgressListener.NONE);
        assertThat(ran(f)).containsExactlyElementsOf(plan);
    }

    /**
     * CDC into a target unique beyond its key: a batch swapping keys first deletes (SOFT: marks) the stored rows of
     * the keys it writes again, as a load of those deletes alone, then loads the batch. Before, sql() did not show
     * that step, so the statements a swap ran were not among those shown. Now sql() shows it first, under a comment
     * saying when it runs, and every statement a swap runs is, in order, one sql() shows; a target unique on its key
     * only shows no such step. CDC's sql() is a template: its MERGE and its tombstone clean-up are shown with every
     * condition a batch may need (snapshot reads, remembered deletes), so those two are compared up to their
     * conditions, and statements that run only when needed (the tombstone table's creation) may be missing.
     */
    @Test
    void cdcShowsTheKeySwapPreDeleteThatRunsIntoATargetUniqueBeyondItsKey(DataSource ds) {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.planned_swap (user_id int primary key, name text unique, bio text)",
                "create table raw.planned_swap_soft (user_id int primary key, name text, bio text,"
                        + " _deleted_at timestamptz)",
                "create unique index planned_swap_soft_live on raw.planned_swap_soft (name) where _deleted_at is null",
                "create table raw.planned_swap_plain (user_id int primary key, name text, bio text)");
        for (String table : List.of("planned_swap", "planned_swap_soft", "planned_swap_plain")) {
            DeleteMode mode = table.endsWith("soft") ? DeleteMode.SOFT : DeleteMode.HARD;
            MergeLoader.into(ds, TableName.of("raw", table)).mode(SyncMode.CDC).deleteMode(mode).build()
                    .load(CdcApplyTest.batch(CdcApplyTest.create(1, "a", "x", 10), CdcApplyTest.create(3, "c", "z", 11)));
            FaultInjection f = FaultInjection.on(ds);
            MergeLoader loader = MergeLoader.into(f.dataSource(), TableName.of("raw", table)).mode(SyncMode.CDC)
                    .deleteMode(mode).key("user_id").build();
            List<String> plan = loader.sql(CdcApplyTest.SCHEMA);
            f.countOnly();
            loader.load(CdcApplyTest.batch(CdcApplyTest.delete(1, 20), CdcApplyTest.create(9, "a", "x", 20),
                    CdcApplyTest.delete(3, 21), CdcApplyTest.create(1, "c", "z", 21), CdcApplyTest.delete(9, 22),
                    CdcApplyTest.create(3, "a", "x", 22)));
            List<String> shown = cdcShapes(plan);
            List<String> run = cdcShapes(f.statements());
            String delete = mode == DeleteMode.HARD ? "delete from \"raw\".\"" + table + "\" t"
                    : "merge into \"raw\".\"" + table + "\" as t using (select s.* from \"pg_temp\".\"_mds_stage\" s where"
                    + " s.\"_mds_delete\"";
            long deletes = table.endsWith("plain") ? 1 : 2;
            assertThat(run.stream().filter(s -> s.startsWith(delete))).as("%s: deletes run", table).hasSize((int) deletes);
            assertThat(shown.stream().filter(s -> s.startsWith(delete))).as("%s: deletes shown", table)
                    .hasSize((int) deletes);
            assertThat(plan.stream().filter(s -> s.startsWith("-- only for a batch that deletes keys it writes again")))
                    .as("%s: the pre-delete step's comment", table).hasSize((int) deletes - 1);
            int at = 0;
            for (String statement : run) {
                int found = shown.subList(at, shown.size()).indexOf(statement);
                assertThat(found).as("%s: run statement %s among those shown after the %d-th: %s", table, statement, at,
                        shown).isNotNegative();
                at += found + 1;
            }
            assertThat(TestSql.strings(ds, "select string_agg(user_id || '=' || name, ',' order by user_id) from raw."
                    + table + (mode == DeleteMode.SOFT ? " where _deleted_at is null" : ""))).containsExactly("1=c,3=a");
        }
    }

    /**
     * A CDC load's statements as sql() shows them and as they are sent, alike: no comment, no savepoint around them,
     * the stage's drop (sent before its creation, shown after the load) and the reads left out, a COPY's format left
     * out, a MERGE up to its source (but SOFT's delete, a MERGE of the staged deletes, whole) and a tombstone clean-up up
     * to its conditions.
     */
    private static List<String> cdcShapes(List<String> statements) {
        List<String> out = new ArrayList<>();
        for (String statement : statements) {
            for (String s : statement.replaceAll("(?m)^--[^\n]*\n", "").split("; ")) {
                s = s.replace(" (format binary)", "");
                String lower = s.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("select") || lower.startsWith("savepoint") || lower.startsWith("release savepoint")
                        || lower.startsWith("commit") || lower.startsWith("drop table if exists \"pg_temp\"")) {
                    continue;
                }
                if (lower.startsWith("merge into") && !s.contains(" s where s.\"_mds_delete\"")) {
                    s = s.substring(0, s.indexOf(" using "));
                } else if (lower.startsWith("delete from") && s.contains("_mds_tombstones\" d using")) {
                    s = s.substring(0, s.indexOf(" where "));
                }
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void aSchemaTheLoadWouldRefuseIsRefusedByThePlanAndCdcHasNone(DataSource ds) {
        MergeLoader.into(ds, "raw.planned_strict").mode(SyncMode.OVERWRITE).key("id").build().load(batch(1, 2, "old"));
        Schema extra = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.STRING)
                .add("new_col", FieldType.STRING).build();
        MergeLoader strict = MergeLoader.into(ds, "raw.planned_strict").mode(SyncMode.OVERWRITE).key("id").build();
        assertThatThrownBy(() -> strict.sqlAll(extra)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("raw.planned_strict").hasMessageContaining("new_col");
        Schema noKey = Schema.builder().add("v", FieldType.STRING).build();
        assertThatThrownBy(() -> strict.sqlAll(noKey)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("key column(s) [id] missing");
        assertThatThrownBy(() -> strict.sqlAll(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.planned_cdc").mode(SyncMode.CDC).key("id").build().sqlAll(SCHEMA))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("mode CDC");
        assertThatTable(ds, "raw.planned_strict").hasRowCount(1);
        assertThat(TestSql.strings(ds, "select count(*)::text from information_schema.columns"
                + " where table_schema = 'raw' and table_name = 'planned_strict'")).containsExactly("2");
    }
}
