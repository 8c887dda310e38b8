package dev.mds.examples.csv;

import dev.mds.connector.csv.BadRow;
import dev.mds.connector.csv.CsvSource;
import dev.mds.connector.csv.OnBadRow;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.RecordBatch;
import dev.mds.core.SourcePosition;
import dev.mds.testing.SeedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Reads the forex pipeline's {@code customer_transactions.csv} in chunks of 25 rows with 2 threads and prints
 * the inferred schema, each batch's size and resume position, then reads it again with {@code price} declared
 * a decimal, sending the rows that are not ("Two Hundred") to a dead-letter list, and resumes after batch 2.
 * Run it with
 * {@code ./mvnw -q -DskipTests package && java -cp mds-examples/target/mds-examples.jar dev.mds.examples.csv.CsvChunksExample}.
 */
public final class CsvChunksExample {
    private CsvChunksExample() {
    }

    public static void main(String[] args) {
        Path file = SeedData.file("002-forex-transactions/customer_transactions.csv");
        SourcePosition afterSecond = null;
        try (CsvSource csv = CsvSource.builder().path(file).chunkRows(25).parallelism(2).build()) {
            System.out.println("inferred schema of " + file.getFileName() + ":");
            for (Field f : csv.schema().fields()) {
                System.out.printf("  %-22s %s%n", f.name(), f.type());
            }
            Iterator<RecordBatch> batches = csv.batches().iterator();
            for (int n = 1; batches.hasNext(); n++) {
                RecordBatch batch = batches.next();
                SourcePosition p = batch.position().orElseThrow();
                System.out.printf("batch %d: %d rows, position %s%n", n, batch.size(), p.toJson());
                if (n == 2) {
                    afterSecond = p;
                }
            }
        }

        List<BadRow> rejected = new ArrayList<>();
        long loaded;
        try (CsvSource csv = CsvSource.builder().path(file).type("price", FieldType.decimal(10, 2))
                .onBadRow(OnBadRow.DEAD_LETTER, rejected::add).chunkRows(25).build()) {
            loaded = csv.batches().mapToLong(RecordBatch::size).sum();
        }
        System.out.printf("with price as decimal(10,2): %d rows read, %d rows dead-lettered%s%n", loaded, rejected.size(),
                rejected.isEmpty() ? "" : ", the first: " + rejected.get(0).location().describe() + ": " + rejected.get(0).reason());

        try (CsvSource csv = CsvSource.builder().path(file).chunkRows(25).resumeFrom(afterSecond).build()) {
            System.out.printf("resumed after %s: %d more rows%n", afterSecond.toJson(),
                    csv.batches().mapToLong(RecordBatch::size).sum());
        }
    }
}
