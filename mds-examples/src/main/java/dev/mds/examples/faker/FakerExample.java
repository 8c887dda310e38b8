package dev.mds.examples.faker;

import dev.mds.connector.faker.FakerSource;
import dev.mds.connector.faker.FakerStream;
import dev.mds.core.RecordBatch;
import dev.mds.core.SourcePosition;
import dev.mds.core.TableName;
import dev.mds.examples.Queries;
import dev.mds.examples.Tables;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.TestDatabase;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * Airbyte's faker source, the mds way: {@link FakerSource} generates users, products and purchases (every record a
 * function of the seed, so two runs anywhere give equal tables), {@link MergeLoader} merges them into {@code raw} by
 * id. A second generation of the same seed changes about a quarter of the users, and the merge updates exactly
 * those. Last, a read of the purchases stops after its first batch and resumes from that batch's position, each
 * part merged into {@code raw.purchases_restarted}: the two parts together are the whole stream, as a restarted
 * pipeline would see it (the database compares the table with {@code raw.purchases}).
 * Run it with
 * {@code ./mvnw -q -DskipTests package && java -cp mds-examples/target/mds-examples.jar dev.mds.examples.faker.FakerExample}.
 */
public final class FakerExample {
    private FakerExample() {
    }

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
             TestDatabase warehouse = server.createDatabase("warehouse")) {
            DataSource ds = warehouse.dataSource();
            FakerSource.Builder settings = FakerSource.builder().seed(0).users(1_000).products(100).batchRows(500);

            Tables.step("generation 1", System.out);
            loadAll(ds, settings.build());
            Tables.query(ds, "purchases per user (top 3)", """
                    select u.id, u.name, count(*) as purchases, count(p.returned_at) as returned
                    from raw.users u join raw.purchases p on p.user_id = u.id
                    group by u.id, u.name order by purchases desc, u.id limit 3""", System.out);

            Tables.step("generation 2 of the same seed: some users changed", System.out);
            loadAll(ds, settings.generation(2).build());

            Tables.step("a read of the purchases stopped after one batch, then resumed", System.out);
            FakerSource source = settings.build();
            MergeLoader restarted = MergeLoader.into(ds, "raw.purchases_restarted").mode(SyncMode.MERGE).key("id").build();
            SourcePosition stored;
            try (Stream<RecordBatch> batches = source.batches(FakerStream.PURCHASES)) {
                RecordBatch first = batches.iterator().next();
                System.out.println("  first batch: " + restarted.load(first));
                stored = first.position().orElseThrow();   // what a pipeline stores with the batch, then resumes from
            }
            System.out.println("  stored position " + stored.toJson());
            try (Stream<RecordBatch> batches = source.batches(FakerStream.PURCHASES, stored)) {
                System.out.println("  resumed: " + batches.map(restarted::load).reduce(LoadResult::plus).orElseThrow());
            }
            String differing = """
                    select count(*) from ((table raw.purchases except table raw.purchases_restarted)
                        union all (table raw.purchases_restarted except table raw.purchases)) d""";
            Tables.query(ds, "the restarted read against the whole one", "select"
                    + " (select count(*) from raw.purchases_restarted) as restarted_rows,"
                    + " (select count(*) from raw.purchases) as whole_rows, (" + differing + ") as rows_not_in_both", System.out);
            if (Queries.value(ds, differing) != 0) {
                throw new IllegalStateException("the restarted read of the purchases is not the whole stream");
            }
        }
    }

    private static void loadAll(DataSource ds, FakerSource source) {
        for (FakerStream stream : FakerStream.values()) {
            MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", stream.streamName())).mode(SyncMode.MERGE)
                    .key("id").build();
            try (Stream<RecordBatch> batches = source.batches(stream)) {
                LoadResult total = batches.map(loader::load).reduce(LoadResult::plus).orElseThrow();
                System.out.println("  " + total);
            }
        }
    }
}
