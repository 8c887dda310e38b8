package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.connector.csv.CsvSource;
import dev.mds.core.FieldType;
import dev.mds.core.SourcePosition;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestSql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The forex file's bad prices ("Two Hundred", 11 rows) as dead letters, exactly once: the CSV source attaches each
 * bad row to its batch, and mds-load stores them in {@code raw.transactions_rejected} in the same transaction as the
 * batch's good rows and its position. Whatever statement the session dies at, the tables hold exactly the file's
 * records before the stored position (good ones in the table, bad ones in the dead-letter table), each once, and the
 * resumed run ends with every record of the file in one of them, once.
 */
@MdsPostgres
class ExactlyOnceCsvDeadLetterTest {
    private static final Path FILE = SeedData.file("002-forex-transactions/customer_transactions.csv");
    private static final String KEY = "csv:forex_dead_letters";

    static void appendResuming(DataSource ds) {
        ExactlyOnceCsvAppendTest.appendResuming(ds, KEY, loader -> loader.onBadRow(dev.mds.load.OnBadRow.DEAD_LETTER),
                CsvSource.builder().path(FILE).chunkRows(30).type("price", FieldType.decimal(10, 2))
                        .onBadRow(dev.mds.connector.csv.OnBadRow.DEAD_LETTER));
    }

    private static boolean exists(DataSource ds, String table) {
        return TestSql.strings(ds, "select to_regclass('" + table + "')::text").get(0) != null;
    }

    /** The ids in the table, sorted. */
    private static List<String> loaded(DataSource ds) {
        return !exists(ds, "raw.transactions") ? List.of()
                : TestSql.strings(ds, "select transaction_id::text from raw.transactions").stream().sorted().toList();
    }

    /** The file's record numbers in the dead-letter table, sorted. */
    private static List<String> rejected(DataSource ds) {
        return !exists(ds, "raw.transactions_rejected") ? List.of()
                : TestSql.strings(ds, "select record_number::text from raw.transactions_rejected").stream()
                        .sorted((a, b) -> Long.compare(Long.parseLong(a), Long.parseLong(b))).toList();
    }

    @Test
    void wheneverTheSessionDiesGoodAndBadRowsBeforeThePositionAreStoredOnceAndAResumeStoresEveryRecordOnce(DataSource ds)
            throws Exception {
        List<String> lines = Files.readAllLines(FILE).stream().skip(1).toList();
        List<String> goodIds = new ArrayList<>();
        List<String> badRecords = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            if (f[6].equals("Two Hundred")) {
                badRecords.add(String.valueOf(i + 1));
            } else {
                goodIds.add(f[0]);
            }
        }
        assertThat(badRecords).hasSize(11);

        int points = FaultSweep.on(ds)
                .setUp(d -> TestSql.sql(d, "drop schema if exists raw cascade", "drop schema if exists pipeline cascade"))
                .operation(ExactlyOnceCsvDeadLetterTest::appendResuming)
                .ignoreColumns("updated_at", "rejected_at", "_mds_rejected_at")
                .idempotent(true)
                .check(o -> {
                    if (!o.failed()) {
                        return;
                    }
                    Optional<String> stored = !exists(ds, "pipeline.state") ? Optional.empty()
                            : TestSql.strings(ds, "select value::text from pipeline.state where key = '" + KEY + "'")
                                    .stream().findFirst();
                    long before = stored.flatMap(json -> SourcePosition.fromJson(json).getLong("record")).orElse(0L);
                    long goodBefore = 0;
                    List<String> badBefore = new ArrayList<>();
                    for (int r = 1; r <= before; r++) {
                        if (badRecords.contains(String.valueOf(r))) {
                            badBefore.add(String.valueOf(r));
                        } else {
                            goodBefore++;
                        }
                    }
                    assertThat(loaded(ds)).as("%s: rows against the stored position %s", o.kill(), stored).hasSize((int) goodBefore);
                    assertThat(rejected(ds)).as("%s: dead letters against the stored position %s", o.kill(), stored)
                            .isEqualTo(badBefore);
                })
                .run();

        assertThat(points).isGreaterThan(10);
        assertThat(loaded(ds)).isEqualTo(goodIds.stream().sorted().toList());
        assertThat(rejected(ds)).isEqualTo(badRecords);
        assertThat(TestSql.strings(ds, "select reason from raw.transactions_rejected where record_number = 9"))
                .singleElement().asString().contains("customer_transactions.csv line 10 record 9, column 'price'")
                .contains("Two Hundred");
    }
}
