package dev.mds.examples;

import dev.mds.connector.csv.CsvSource;
import dev.mds.connector.postgres.CdcSetup;
import dev.mds.connector.postgres.PostgresCdcSource;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.load.SchemaChange;
import dev.mds.load.SyncMode;
import dev.mds.quality.Bounds;
import dev.mds.quality.QualityReport;
import dev.mds.quality.QualitySuite;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestDatabase;
import dev.mds.transform.RunResults;
import dev.mds.transform.TransformProject;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;

/**
 * The main example: the SaaS product pipeline of berrei02/modern-data-stack (Airbyte CDC + Google Sheets →
 * Postgres warehouse → dbt models → dashboard), replayed with mds inside one Java process on an embedded
 * PostgreSQL 17:
 *
 * <ol>
 * <li>the product database ({@code product.users}, {@code product.subscriptions}) with the project's rows;</li>
 * <li>the CDC setup check, then {@link CdcSetup#apply} (publication, slot, replica identity);</li>
 * <li>change data capture into the warehouse schema {@code raw} ({@link PostgresCdcSource} → {@link MergeLoader}
 *     in CDC mode, offsets committed with the rows);</li>
 * <li>the pricing sheet (all cells text, as Airbyte's Sheets source lands them) from CSV into {@code raw.pricing};</li>
 * <li>the project's dbt models with mds-transform: staging views and the {@code mart.users} table;</li>
 * <li>quality checks on the raw tables, in one scan per table (a failing check stops the run);</li>
 * <li>changes in the product database (an update, an insert, a delete) flow through, and the mart is rebuilt.</li>
 * </ol>
 *
 * Run: {@code ./mvnw -q -DskipTests package && java -jar mds-examples/target/mds-examples.jar}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
             TestDatabase product = server.createDatabase("product");
             TestDatabase warehouse = server.createDatabase("warehouse")) {
            DataSource source = product.dataSource();
            DataSource dwh = warehouse.dataSource();

            Tables.step("1. the product database", System.out);
            ProductDatabase.create(source);
            Tables.print(source, "product.users", System.out);

            Tables.step("2. CDC setup: check, then apply", System.out);
            CdcSetup.Spec spec = CdcSetup.spec().tables("product.users", "product.subscriptions")
                    .publication("mds_product").slot("mds_product").build();
            System.out.println(CdcSetup.check(source, spec));
            CdcSetup.apply(source, spec).forEach(sql -> System.out.println("  ran: " + sql));

            Tables.step("3. change data capture into raw.*", System.out);
            Map<TableName, MergeLoader> loaders = Map.of(
                    TableName.parse("product.users"), cdcLoader(dwh, "raw.users"),
                    TableName.parse("product.subscriptions"), cdcLoader(dwh, "raw.subscriptions"));
            CompletableFuture<Void> running;
            try (PostgresCdcSource cdc = PostgresCdcSource.builder()
                    .connect(product.host(), product.port(), product.name())
                    .credentials(product.user(), product.password())
                    .tables("product.users", "product.subscriptions")
                    .slot("mds_product").publication("mds_product")
                    .maxBatch(10_000, Duration.ofMillis(200))
                    .warehouse(dwh)
                    .build()) {
                // run() streams until close(): here in the background, while this thread changes the source and reads
                running = CompletableFuture.runAsync(() -> cdc.run((batch, tx) -> {
                    LoadResult r = loaders.get(batch.table()).load(batch, tx.connection());
                    System.out.println("  cdc: " + r);
                }));
                // the snapshot is in when the warehouse holds as many rows as the source (whatever the seed files hold)
                Queries.await(dwh, "select count(*) from raw.users",
                        Queries.value(source, "select count(*) from product.users"), running);
                Queries.await(dwh, "select count(*) from raw.subscriptions",
                        Queries.value(source, "select count(*) from product.subscriptions"), running);
                Tables.query(dwh, "raw.users (with the CDC bookkeeping columns)", "select * from raw.users order by user_id", System.out);

                Tables.step("4. the pricing sheet into raw.pricing", System.out);
                loadPricing(dwh);
                Tables.print(dwh, "raw.pricing", System.out);

                Tables.step("5. models (mds-transform): staging views and mart.users", System.out);
                Models.build(dwh);
                Tables.print(dwh, "mart.users", System.out);

                Tables.step("6. quality checks", System.out);
                QualityReport report = checks(dwh);
                System.out.println(report.toConsoleTable());
                report.assertPassed();   // a FAIL or ERROR stops the run (warnings do not), so CI's run exits non-zero

                Tables.step("7. changes in the product database flow through", System.out);
                long adasSubscription;
                try (Connection c = source.getConnection()) {
                    Sql.execute(c, "update product.subscriptions set paid = true where id = 10");            // Jane pays May
                    long ada = Queries.value(c, "insert into product.users (name) values ('Ada Lovelace') returning user_id");
                    adasSubscription = Queries.value(c, "insert into product.subscriptions (start_date, end_date, user_id,"
                            + " subscription, paid) values ('2023-06-01', '2023-06-30', " + ada + ", 'medium', true) returning id");
                    Sql.execute(c, "delete from product.subscriptions where id = 15");                       // Jonathan's May
                }
                Queries.await(dwh, "select count(*) from raw.subscriptions where (id = 10 and paid) or id = " + adasSubscription,
                        2, running);
                Queries.await(dwh, "select count(*) from raw.subscriptions where id = 15", 0, running);
                Models.build(dwh);
                Tables.print(dwh, "mart.users", System.out);
                System.out.println("\n  stored CDC position: " + cdc.storedPosition().map(Object::toString).orElse("none"));
            }
            running.join();   // closing the source ended run(); a failure of the pipeline fails the example
            Tables.step("done", System.out);
        }
    }

    private static MergeLoader cdcLoader(DataSource dwh, String table) {
        return MergeLoader.into(dwh, table).mode(SyncMode.CDC).onSchemaChange(SchemaChange.ADD_COLUMNS).build();
    }

    private static void loadPricing(DataSource dwh) {
        Schema text = Schema.builder().add("package", FieldType.STRING).add("valid_from", FieldType.STRING)
                .add("valid_until", FieldType.STRING).add("currency", FieldType.STRING)
                .add("monthly_seat_price", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(dwh, "raw.pricing").mode(SyncMode.MERGE).key("package", "valid_from")
                .loadTimestamp("load_timestamp").build();
        try (CsvSource csv = CsvSource.builder().path(SeedData.file("000-saas-product/pricing.reconstructed.csv"))
                .schema(text).build()) {
            csv.batches().forEach(batch -> System.out.println("  sheet: " + loader.load(batch)));
        }
    }

    private static QualityReport checks(DataSource dwh) {
        return QualitySuite.on(dwh)
                .table("raw.users", t -> t.key("user_id").notNull("user_id", "name").unique("user_id")
                        .rowCount(Bounds.atLeast(1)))
                .table("raw.subscriptions", t -> t.key("id")
                        .notNull("id", "user_id", "start_date", "end_date")
                        .unique("id")
                        .acceptedValues("subscription", "starter", "medium", "enterprise")
                        .relationships("user_id", "raw.users", "user_id")
                        .expression("ends_after_start", "end_date >= start_date")
                        .expression("paid", "paid").warn())
                .table("raw.pricing", t -> t.key("package").notNull("package", "valid_from", "monthly_seat_price")
                        .acceptedValues("currency", "eur"))
                .run();
    }

    /**
     * The dbt models of the source project's {@code product_stats} (staging views, the {@code mart.users} table), run
     * by mds-transform in dependency order: each model in its own transaction, views and the table swapped in whole.
     * The project's Python model {@code int_users} (stg_users plus a random {@code predicted_user_category}, "mocked")
     * is left out: {@code mart.users} reads {@code stg_users} and so has no such column.
     */
    static final class Models {
        private Models() {
        }

        static void build(DataSource dwh) {
            RunResults results = TransformProject.builder(dwh)
                    // the project's sources.yml: product_data (the CDC'd product tables) and revenue_data (the sheet)
                    .sourceSchema("product_data", "raw")
                    .sourceSchema("revenue_data", "raw")
                    .model("staging.stg_users", "select user_id, name as user_name from {{ source('product_data', 'users') }}")
                    .model("staging.stg_subscriptions", """
                            select id as subscription_id, subscription, user_id, start_date, end_date, paid as is_paid,
                                end_date < now()::date and not paid as is_overdue
                            from {{ source('product_data', 'subscriptions') }}""")
                    .model("staging.stg_subscription_pricing", """
                            select package, valid_from::date as valid_from, nullif(valid_until, '')::date as valid_until,
                                nullif(valid_until, '') is null or nullif(valid_until, '')::date > now()::date
                                    as is_current_pricing,
                                case when currency != 'eur' then null::numeric else monthly_seat_price::numeric end
                                    as monthly_seat_price_eur
                            from {{ source('revenue_data', 'pricing') }}""")
                    .model("mart.users", """
                            {{ config(materialized='table') }}
                            select u.user_id, u.user_name,
                                count(1) as subscription_months_cnt,
                                count(1) filter (where not is_paid and is_overdue) as unpaid_subscriptions_cnt,
                                sum(monthly_seat_price_eur) as lifetime_revenue
                            from {{ ref('staging.stg_users') }} u
                            join {{ ref('staging.stg_subscriptions') }} sub on u.user_id = sub.user_id
                            join {{ ref('staging.stg_subscription_pricing') }} p on sub.subscription = p.package
                                and ((sub.start_date between p.valid_from and p.valid_until)
                                    or (p.valid_until is null and sub.start_date > p.valid_from))
                            group by 1, 2""")
                    .threads(2)
                    .build()
                    .run();
            System.out.println(results);
            results.assertSucceeded();
        }
    }
}
