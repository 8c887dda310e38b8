package dev.mds.examples.cdc;

import dev.mds.connector.postgres.CdcSetup;
import dev.mds.connector.postgres.PostgresCdcSource;
import dev.mds.connector.postgres.SetupReport;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.examples.ProductDatabase;
import dev.mds.examples.Queries;
import dev.mds.examples.Tables;
import dev.mds.load.MergeLoader;
import dev.mds.load.SchemaChange;
import dev.mds.load.SyncMode;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Captures the SaaS product database ({@code product.users}, {@code product.subscriptions}, from the seed data)
 * into the warehouse schema {@code raw} by change data capture: prints the setup check of a fresh server, prepares
 * the source with {@link CdcSetup#apply}, streams the snapshot and then an insert, an update and a delete through
 * {@link PostgresCdcSource} and mds-load's CDC mode, printing the target after each step.
 * Run it with
 * {@code ./mvnw -q -DskipTests package && java -cp mds-examples/target/mds-examples.jar dev.mds.examples.cdc.CdcExample}.
 */
public final class CdcExample {
    private static final String USERS = "select user_id, name, _mds_commit, _mds_change from raw.users order by 1";
    private static final String SUBSCRIPTIONS = "select id, start_date, end_date, user_id, subscription, paid"
            + " from raw.subscriptions order by 1";

    private CdcExample() {
    }

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
             TestDatabase product = server.createDatabase("product");
             TestDatabase warehouse = server.createDatabase("warehouse")) {
            DataSource src = product.dataSource();
            DataSource wh = warehouse.dataSource();
            ProductDatabase.create(src);

            CdcSetup.Spec spec = CdcSetup.spec().user("mds_cdc").password("change-me")
                    .tables("product.users", "product.subscriptions")
                    .publication("mds_product").slot("mds_product").build();
            System.out.println("== CdcSetup.check on a fresh server");
            System.out.println(CdcSetup.check(src, spec));
            System.out.println();
            System.out.println("== CdcSetup.apply ran:");
            for (String statement : CdcSetup.apply(src, spec)) {
                System.out.println("  " + statement + ";");
            }
            SetupReport after = CdcSetup.check(src, spec);
            System.out.println();
            System.out.println("== CdcSetup.check after apply");
            System.out.println(after);

            Map<TableName, MergeLoader> loaders = new ConcurrentHashMap<>();
            PostgresCdcSource source = PostgresCdcSource.builder()
                    .connect(product.host(), product.port(), product.name()).credentials("mds_cdc", "change-me")
                    .tables("product.users", "product.subscriptions")
                    .slot("mds_product").publication("mds_product")
                    .maxBatch(10_000, Duration.ofMillis(100))
                    .warehouse(wh)
                    .build();
            CompletableFuture<Void> running;
            try (source) {
                // run() streams until close(): here in the background, while this thread changes the source and reads
                running = CompletableFuture.runAsync(() -> source.run((batch, tx) ->
                        loaders.computeIfAbsent(batch.table(), t -> MergeLoader.into(wh, TableName.of("raw", t.name()))
                                .mode(SyncMode.CDC).onSchemaChange(SchemaChange.ADD_COLUMNS).build())
                                .load(batch, tx.connection())));

                // the snapshot is in when the warehouse holds as many rows as the source
                long subscriptions = Queries.value(src, "select count(*) from product.subscriptions");
                Queries.await(wh, "select count(*) from raw.subscriptions", subscriptions, running);
                Queries.await(wh, "select count(*) from raw.users",
                        Queries.value(src, "select count(*) from product.users"), running);
                show(wh, "after the snapshot");

                long ada;
                long adasSubscription;
                try (Connection c = src.getConnection()) {
                    ada = Queries.value(c, "insert into product.users (name) values ('Ada Lovelace') returning user_id");
                    adasSubscription = Queries.value(c, "insert into product.subscriptions (start_date, end_date, user_id,"
                            + " subscription, paid) values ('2023-05-01', '2023-05-31', " + ada + ", 'enterprise', false)"
                            + " returning id");
                }
                Queries.await(wh, "select count(*) from raw.subscriptions", subscriptions + 1, running);
                show(wh, "after inserting user " + ada + " and her subscription");

                try (Connection c = src.getConnection()) {
                    Sql.execute(c, "update product.users set name = 'Jane Roe' where user_id = 2");
                }
                Queries.await(wh, "select count(*) from raw.users where name = 'Jane Roe'", 1, running);
                show(wh, "after renaming user 2");

                try (Connection c = src.getConnection()) {
                    Sql.execute(c, "delete from product.subscriptions where id = " + adasSubscription);
                }
                Queries.await(wh, "select count(*) from raw.subscriptions", subscriptions, running);
                show(wh, "after deleting subscription " + adasSubscription);
            }
            running.get(60, TimeUnit.SECONDS);   // closing the source ended run(); a failure of it fails the example
            System.out.println();
            System.out.println("position stored in the warehouse (" + source.offsetKey() + "): "
                    + source.storedPosition().orElseThrow());
            System.out.println("events committed: " + source.eventsCommitted());
            source.dropSlot();
            try (Connection c = src.getConnection()) {
                Sql.execute(c, "drop publication mds_product");
                Sql.execute(c, "drop owned by mds_cdc");
                Sql.execute(c, "drop role mds_cdc");
            }
        }
    }

    private static void show(DataSource wh, String when) {
        System.out.println();
        System.out.println("== warehouse " + when);
        Tables.query(wh, "raw.users", USERS, System.out);
        Tables.query(wh, "raw.subscriptions", SUBSCRIPTIONS, System.out);
    }
}
