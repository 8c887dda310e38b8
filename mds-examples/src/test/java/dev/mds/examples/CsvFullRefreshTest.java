package dev.mds.examples;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.connector.csv.CsvSource;
import dev.mds.core.BadInputException;
import dev.mds.core.FieldType;
import dev.mds.core.ProgressListener;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.load.PartialLoadException;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Airbyte's "full refresh | overwrite" of a CSV file read in chunks: each day's export replaces the table, in one
 * transaction, whatever the number of chunks; a bad row anywhere leaves yesterday's table; an export of its header
 * only empties the table.
 */
@MdsPostgres
class CsvFullRefreshTest {
    private static final Path TRANSACTIONS = SeedData.file("002-forex-transactions/customer_transactions.csv");

    @TempDir
    Path dir;

    private static LoadResult refresh(MergeLoader loader, Path file) {
        try (CsvSource csv = CsvSource.builder().path(file).chunkRows(25).parallelism(2)
                .type("price", FieldType.STRING).build()) {
            return loader.loadAll(csv.batches(), 1, ProgressListener.NONE);
        }
    }

    @Test
    void eachExportReplacesTheTableWholeOrNotAtAll(DataSource ds) throws IOException {
        MergeLoader loader = MergeLoader.into(ds, "raw.transactions").mode(SyncMode.OVERWRITE).build();
        List<String> lines = Files.readAllLines(TRANSACTIONS);
        long rows = lines.size() - 1;

        LoadResult first = refresh(loader, TRANSACTIONS);
        assertThat(first.inserted()).isEqualTo(rows);
        assertThatTable(ds, "raw.transactions").hasRowCount(rows);

        // the next export: the first 60 rows only, read in 3 chunks, replaces all of them
        Path smaller = dir.resolve("smaller.csv");
        Files.write(smaller, lines.subList(0, 61));
        LoadResult second = refresh(loader, smaller);
        assertThat(second.deleted()).isEqualTo(rows);
        assertThat(second.inserted()).isEqualTo(60);
        assertThatTable(ds, "raw.transactions").hasRowCount(60);

        // an export whose last chunk holds a row too many columns: nothing changes
        Path broken = dir.resolve("broken.csv");
        List<String> bad = new java.util.ArrayList<>(lines);
        bad.add(lines.get(1) + ",one too many");
        Files.write(broken, bad);
        assertThatThrownBy(() -> refresh(loader, broken))
                .isInstanceOf(PartialLoadException.class)
                .hasMessageContaining("broken.csv line " + bad.size())
                .hasMessageContaining("nothing committed: the table is as it was")
                .hasCauseInstanceOf(BadInputException.class);
        assertThatTable(ds, "raw.transactions").hasRowCount(60);

        // an export of its header only: the table is emptied, and stays
        Path headerOnly = dir.resolve("header_only.csv");
        Files.write(headerOnly, lines.subList(0, 1));
        LoadResult empty = refresh(loader, headerOnly);
        assertThat(empty.deleted()).isEqualTo(60);
        assertThatTable(ds, "raw.transactions").isEmpty();
    }
}
