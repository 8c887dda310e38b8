package dev.mds.load;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SchemaMismatchException;
import dev.mds.core.SourcePosition;
import dev.mds.testing.MdsPostgres;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Records without any field (a JSON file of {@code {}} records, a source whose schema ends with no columns). Airbyte
 * loads a stream without properties as rows holding only its meta columns: with a {@code loadTimestamp(…)}, mds's meta
 * column, they are rows holding only their load time. Without one a row would have no column at all, so the batch is
 * refused before anything is written, naming the table and where the batch comes from, instead of failing on
 * PostgreSQL's syntax error from {@code copy t () from stdin}.
 */
@MdsPostgres
class NoColumnsTest {
    private static final Schema NONE = Schema.builder().build();
    private static final SourcePosition AT = SourcePosition.of("json:/data/empty.jsonl", Map.of("record", 3L));

    private static RecordBatch threeEmptyRecords() {
        return RecordBatch.of(NONE, List.of(Record.of(), Record.of(), Record.of()), AT);
    }

    @Test
    void recordsWithoutAnyFieldAreRefusedBeforeAnythingIsWrittenNamingTheTableAndTheSource(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create table raw.kept (id bigint, name text)",
                "insert into raw.kept values (1, 'one'), (2, 'two')");
        for (SyncMode mode : List.of(SyncMode.APPEND, SyncMode.OVERWRITE)) {
            MergeLoader loader = MergeLoader.into(ds, "raw.kept").mode(mode).onBadRow(OnBadRow.DEAD_LETTER).build();
            assertThatThrownBy(() -> loader.load(threeEmptyRecords())).isInstanceOf(SchemaMismatchException.class)
                    .hasMessageStartingWith("raw.kept: the batch's 3 records have no field (the batch's schema is empty,"
                            + " source json:/data/empty.jsonl up to record 3), so each would be a row of no column")
                    .hasMessageContaining("loadTimestamp(")
                    .hasMessageEndingWith("nothing of this batch was loaded");
            assertThatThrownBy(() -> loader.loadAll(Stream.of(threeEmptyRecords()), 1, ProgressListener.NONE))
                    .hasStackTraceContaining("raw.kept: the batch's 3 records have no field");
        }
        assertThat(strings(ds, "select id || ' ' || name from raw.kept order by id")).containsExactly("1 one", "2 two");

        MergeLoader missing = MergeLoader.into(ds, "raw.never_made").mode(SyncMode.APPEND).build();
        assertThatThrownBy(() -> missing.load(threeEmptyRecords())).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("raw.never_made: the batch's 3 records have no field");
        assertThat(strings(ds, "select count(*) from pg_class where relname in ('never_made', 'never_made_rejected')"))
                .containsExactly("0");
    }

    @Test
    void withALoadTimestampTheyAreRowsHoldingOnlyTheirLoadTimeAsAirbyteKeepsOnlyItsMetaColumns(DataSource ds) {
        for (SyncMode mode : List.of(SyncMode.APPEND, SyncMode.OVERWRITE)) {
            String table = "raw.only_meta_" + mode.name().toLowerCase();
            MergeLoader loader = MergeLoader.into(ds, table).mode(mode).loadTimestamp("loaded_at").build();
            assertThat(loader.load(threeEmptyRecords()).inserted()).isEqualTo(3);
            assertThat(strings(ds, "select count(loaded_at) from " + table)).containsExactly("3");
        }
    }

    /**
     * An empty input read without a declared schema (an empty JSON file) is a batch of no field and no record: it creates
     * no table, which would have no column. Before, it created {@code create table t ()}, which the loader then read as
     * missing (a table of no column has no row in pg_attribute), so every later load of the stream failed with
     * 'relation "t" already exists'.
     */
    @Test
    void aBatchWithoutFieldsOrRecordsCreatesNoTableOfNoColumnSoTheNextBatchLoads(DataSource ds) {
        Schema id = Schema.builder().add("id", dev.mds.core.FieldType.LONG).build();
        for (SyncMode mode : List.of(SyncMode.APPEND, SyncMode.OVERWRITE)) {
            String table = "raw.first_empty_" + mode.name().toLowerCase();
            MergeLoader loader = MergeLoader.into(ds, table).mode(mode).build();
            assertThat(loader.sql(NONE)).as(mode.toString()).noneMatch(s -> s.startsWith("create table") || s.startsWith("copy"));
            assertThat(loader.load(RecordBatch.of(NONE, List.of(), AT)).inserted()).isZero();
            assertThat(strings(ds, "select count(*) from pg_class where relname = 'first_empty_" + mode.name().toLowerCase() + "'"))
                    .containsExactly("0");
            assertThat(loader.load(RecordBatch.of(id, List.of(Record.of(1L)))).inserted()).isEqualTo(1);
            assertThat(strings(ds, "select id from " + table)).containsExactly("1");
        }
    }

    /**
     * A table of no column (made by a person, or by a load before the fix above), or a sequence of the target's
     * name, is a relation the loader finds no column of: the load says so, naming it, instead of PostgreSQL's bare
     * 'relation "t" already exists' from the create it tried.
     */
    @Test
    void aRelationOfTheTargetsNameWithoutColumnsIsNamedInsteadOfAlreadyExists(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create table raw.no_cols ()", "create sequence raw.a_sequence");
        Schema id = Schema.builder().add("id", dev.mds.core.FieldType.LONG).build();
        for (String table : List.of("raw.no_cols", "raw.a_sequence")) {
            MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.APPEND).build();
            assertThatThrownBy(() -> loader.load(RecordBatch.of(id, List.of(Record.of(1L)))))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageStartingWith(table + ": a relation of this name exists, but the loader finds no column of it"
                            + " (a table without columns, or a sequence or index of that name)")
                    .hasMessageEndingWith("nothing of this batch was loaded");
        }
    }

    @Test
    void aBatchWithoutFieldsOrRecordsStillEmptiesAnOverwrittenTable(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create table raw.emptied (id bigint)", "insert into raw.emptied values (1)");
        MergeLoader loader = MergeLoader.into(ds, "raw.emptied").mode(SyncMode.OVERWRITE).build();
        assertThat(loader.load(RecordBatch.of(NONE, List.of(), AT)).deleted()).isEqualTo(1);
        assertThat(strings(ds, "select count(*) from raw.emptied")).containsExactly("0");
    }
}
