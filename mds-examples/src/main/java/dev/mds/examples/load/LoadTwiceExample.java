package dev.mds.examples.load;

import com.zaxxer.hikari.HikariDataSource;
import dev.mds.connector.csv.CsvSource;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.Sql;
import dev.mds.examples.Tables;
import dev.mds.load.DateOrder;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.load.OnBadRow;
import dev.mds.load.SyncMode;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the forex pipeline's {@code customer_transactions.csv} (as text, the way a CSV lands) into a typed table
 * {@code data_lake.transactions} twice with a {@link MergeLoader} in MERGE mode and prints each
 * {@link LoadResult}: the first run inserts the rows and dead-letters the ones the table's types refuse ("Two
 * Hundred" as a price, "T1010" as an id); the second run, with one customer's city changed, updates that row
 * only and leaves every other row (and its {@code load_timestamp}) untouched. The file writes some dates day first
 * ({@code 18-07-2023}, {@code 11-07-2023}): the loader reads them so ({@code dateOrder(DateOrder.DAY_FIRST)}), as the
 * source project's silver model does, where the loader's default (year first) would refuse them as bad rows and
 * PostgreSQL's default DateStyle ({@code MDY}) would refuse 18-07-2023 and take 11-07-2023 for 7 November.
 * Run it with
 * {@code ./mvnw -q -DskipTests package && java -cp mds-examples/target/mds-examples.jar dev.mds.examples.load.LoadTwiceExample}.
 */
public final class LoadTwiceExample {
    /** The file's columns, in its header's order. */
    private static final List<String> COLUMNS = List.of("transaction_id", "customer_id", "transaction_date", "product_id",
            "product_name", "quantity", "price", "tax", "customer_first_name", "customer_last_name", "customer_email",
            "customer_phone", "customer_country", "customer_city");

    private LoadTwiceExample() {
    }

    public static void main(String[] args) throws Exception {
        Path file = SeedData.file("002-forex-transactions/customer_transactions.csv");
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
             TestDatabase warehouse = server.createDatabase("warehouse");
             HikariDataSource ds = warehouse.newDataSource(2)) {
            try (Connection c = ds.getConnection()) {
                Sql.execute(c, "create schema data_lake");
                Sql.execute(c, "create table data_lake.transactions (transaction_id bigint primary key, customer_id numeric,"
                        + " transaction_date date, product_id integer, product_name text, quantity numeric,"
                        + " price numeric(10,2), tax numeric(10,2), customer_first_name text, customer_last_name text,"
                        + " customer_email text, customer_phone text, customer_country text, customer_city text,"
                        + " load_timestamp timestamptz)");
            }
            MergeLoader loader = MergeLoader.into(ds, "data_lake.transactions")
                    .mode(SyncMode.MERGE)
                    .key("transaction_id")
                    .loadTimestamp("load_timestamp")
                    .onBadRow(OnBadRow.DEAD_LETTER)
                    .dateOrder(DateOrder.DAY_FIRST)   // 11-07-2023 is 11 July (an ISO date stays as it is)
                    .build();

            RecordBatch batch = read(file);
            System.out.println("first load:  " + loader.load(batch));

            List<Record> changed = new ArrayList<>(batch.records());
            int city = batch.schema().indexOf("customer_city");
            changed.set(0, changed.get(0).with(city, "Brooklyn"));
            System.out.println("second load: " + loader.load(RecordBatch.of(batch.schema(), changed)));

            // the first load wrote every row at its transaction's now(): a later load_timestamp is the second load's
            Tables.query(ds, "rows changed by the second load", "select transaction_id, customer_city from data_lake.transactions"
                    + " where load_timestamp > (select min(load_timestamp) from data_lake.transactions)", System.out);
            Tables.query(ds, "transactions loaded", "select count(*) as rows, min(transaction_date) as first_day,"
                    + " max(transaction_date) as last_day from data_lake.transactions", System.out);
            Tables.query(ds, "dead letters of the first load", "select record_number, key, reason from"
                    + " data_lake.transactions_rejected where rejected_at = (select min(rejected_at) from"
                    + " data_lake.transactions_rejected) order by record_number", System.out);
        }
    }

    /**
     * The CSV as one batch of text values, the way a CSV lands (Airbyte's file source types nothing), read by
     * {@link CsvSource} with every column declared text: the table's types then judge the values. An empty field is
     * NULL, spaces around a value are dropped.
     *
     * @throws dev.mds.core.BadInputException at the first record the reader cannot read (its file and line named)
     */
    static RecordBatch read(Path file) {
        Schema.Builder text = Schema.builder();
        for (String column : COLUMNS) {
            text.add(column, FieldType.STRING);
        }
        try (CsvSource csv = CsvSource.builder().path(file).schema(text.build()).trim(true).build()) {
            return RecordBatch.of(csv.schema(), csv.batches().flatMap(batch -> batch.records().stream()).toList());
        }
    }
}
