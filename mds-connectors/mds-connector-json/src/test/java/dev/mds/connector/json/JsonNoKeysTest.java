package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.mds.core.ProgressListener;
import dev.mds.core.SchemaMismatchException;
import dev.mds.load.MergeLoader;
import dev.mds.load.PartialLoadException;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file whose records are all {@code {}} gives a schema without columns. Loaded with a load timestamp, its records
 * are rows holding only their load time (as Airbyte keeps a stream without properties as rows of its meta columns);
 * without one, mds-load refuses the batch before writing, naming the table and the file, and the table keeps its rows.
 */
@MdsPostgres
class JsonNoKeysTest {
    @TempDir
    Path dir;

    @Test
    void aFileOfEmptyObjectsIsRefusedNamingTheTableAndFileOrLoadsAsRowsOfTheirLoadTime(DataSource ds) throws IOException {
        Path p = dir.resolve("empty.jsonl");
        Files.writeString(p, "{}\n{}\n{ }\n");
        TestSql.sql(ds, "create schema if not exists raw", "create table raw.objects (id bigint)", "insert into raw.objects values (7)");
        MergeLoader overwrite = MergeLoader.into(ds, "raw.objects").mode(SyncMode.OVERWRITE).build();
        Throwable failed;
        try (JsonSource json = JsonSource.builder().path(p).build()) {
            assertThat(json.schema().names()).isEmpty();
            failed = catchThrowable(() -> overwrite.loadAll(json.batches(), 1, ProgressListener.NONE));
        }
        assertThat(failed).isInstanceOf(PartialLoadException.class).cause().isInstanceOf(SchemaMismatchException.class)
                .hasMessageStartingWith("raw.objects: the batch's 3 records have no field (the batch's schema is empty,"
                        + " source json:" + p + " up to record 3)");
        assertThat(TestSql.strings(ds, "select id from raw.objects")).containsExactly("7");

        MergeLoader stamped = MergeLoader.into(ds, "raw.stamped").mode(SyncMode.APPEND).loadTimestamp("loaded_at").build();
        try (JsonSource json = JsonSource.builder().path(p).build()) {
            stamped.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        assertThat(TestSql.strings(ds, "select count(loaded_at) from raw.stamped")).containsExactly("3");
    }

    /**
     * An empty file, the first of a stream of daily files, creates no table of no column: the next file loads. Before,
     * the empty file's batch created the table without columns, which the loader then took for missing, and every
     * later file failed with 'relation "daily" already exists'.
     */
    @Test
    void anEmptyFirstFileLeavesNoTableOfNoColumnAndTheNextFileLoads(DataSource ds) throws IOException {
        Path empty = Files.writeString(dir.resolve("day1.jsonl"), "");
        Path next = Files.writeString(dir.resolve("day2.jsonl"), "{\"id\": 1, \"v\": \"a\"}\n");
        MergeLoader loader = MergeLoader.into(ds, "raw.daily").mode(SyncMode.APPEND).build();
        for (Path p : new Path[] {empty, next}) {
            try (JsonSource json = JsonSource.builder().path(p).build()) {
                loader.loadAll(json.batches(), 1, ProgressListener.NONE);
            }
        }
        assertThat(TestSql.strings(ds, "select id || ' ' || v from raw.daily")).containsExactly("1 a");
    }
}
