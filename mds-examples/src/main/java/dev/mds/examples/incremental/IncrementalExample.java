package dev.mds.examples.incremental;

import dev.mds.connector.postgres.JdbcIncrementalSource;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.Sql;
import dev.mds.examples.Tables;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestDatabase;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Copies a table without CDC by a cursor column, as Airbyte's "incremental | append + deduped" does for JDBC sources:
 * the SaaS product's {@code subscriptions} (from its CSV, with an {@code updated_at} the application sets) are read
 * by {@link JdbcIncrementalSource} in batches of 5 and merged into the warehouse by id, each batch committed with
 * its cursor. A second run reads from the stored cursor on: after two updates and one insert in the source it reads
 * those three rows plus the rows at the stored cursor itself (the cursor is inclusive, so rows that share the last
 * value are never missed: three subscriptions end on the last day, 2023-05-31, and the two of them not updated meanwhile
 * are read again), and the merge leaves those unchanged.
 * Run it with
 * {@code ./mvnw -q -DskipTests package && java -cp mds-examples/target/mds-examples.jar dev.mds.examples.incremental.IncrementalExample}.
 */
public final class IncrementalExample {
    private IncrementalExample() {
    }

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
             TestDatabase product = server.createDatabase("product");
             TestDatabase warehouse = server.createDatabase("warehouse")) {
            DataSource app = product.dataSource();
            DataSource dwh = warehouse.dataSource();
            TableFixture.on(app, "product.subscriptions")
                    .columns("id int primary key", "start_date date", "end_date date", "user_id int", "subscription text",
                            "paid boolean")
                    .csv(SeedData.file("000-saas-product/subscriptions.csv"));
            try (Connection c = app.getConnection()) {
                // the application's own change timestamp: here, the day each subscription was last touched
                Sql.execute(c, "alter table product.subscriptions add column updated_at timestamptz");
                Sql.execute(c, "update product.subscriptions set updated_at = end_date + time '12:00' at time zone 'UTC'");
                Sql.execute(c, "alter table product.subscriptions alter column updated_at set not null");
            }

            JdbcIncrementalSource source = JdbcIncrementalSource.builder(app, "product.subscriptions")
                    .cursor("updated_at").key("id").batchRows(5)
                    .offsets(JdbcStateStore.create(dwh)).build();
            MergeLoader loader = MergeLoader.into(dwh, "raw.subscriptions").mode(SyncMode.MERGE).key("id").build();

            Tables.step("first run", System.out);
            run(source, dwh, loader);

            Tables.step("the application pays two subscriptions and adds one", System.out);
            try (Connection c = app.getConnection()) {
                Sql.execute(c, "update product.subscriptions set paid = true, updated_at = timestamptz '2023-07-01 09:00+00'"
                        + " where not paid and id in (select id from product.subscriptions where not paid order by id limit 2)");
                Sql.execute(c, "insert into product.subscriptions select max(id) + 1, '2023-06-01', '2023-06-30', 3, 'medium',"
                        + " false, timestamptz '2023-07-01 09:05+00' from product.subscriptions");   // the next id
            }
            Tables.step("second run", System.out);
            run(source, dwh, loader);
            Tables.query(dwh, "raw.subscriptions changed by the second run",
                    "select id, user_id, subscription, paid, updated_at from raw.subscriptions"
                            + " where updated_at >= '2023-07-01' order by id", System.out);
        }
    }

    private static void run(JdbcIncrementalSource source, DataSource dwh, MergeLoader loader) {
        List<LoadResult> results = new ArrayList<>();
        long rows = source.run(dwh, (batch, c) -> results.add(loader.load(batch, c)));
        LoadResult total = results.stream().reduce(LoadResult::plus).orElseThrow();
        System.out.printf("  read %d rows in %d batches: %s%n  stored cursor: %s%n", rows, results.size(), total,
                source.storedCursor().orElse("(none)"));
    }
}
