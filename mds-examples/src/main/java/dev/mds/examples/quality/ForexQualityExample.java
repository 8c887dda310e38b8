package dev.mds.examples.quality;

import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.examples.Tables;
import dev.mds.quality.Bounds;
import dev.mds.quality.CheckResult;
import dev.mds.quality.QualityReport;
import dev.mds.quality.QualitySuite;
import dev.mds.quality.Threshold;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;

/**
 * Checks the forex pipeline's {@code customer_transactions.csv} (demiguel122/data_platform_with_docker) the way
 * its dbt tests would, in one scan: loads the file as text into {@code raw.transactions}, casts it in the view
 * {@code silver.transactions} as the project's silver model does (dates ISO or day first, prices and taxes written
 * in words read as numbers; unlike it, the source's customer id is kept rather than replaced by a hash of the
 * customer's names), then runs the checks, prints the console report, runs the project's own dbt tests (its
 * bronze.yml and silver.yml: not_null warning up to 20 rows and failing above, unique) and prints their report, writes
 * an HTML report and prints the project's monthly revenue ({@code agg_sales_monthly}) from the silver view.
 *
 * <p>The data has real problems, and the checks find them: 16 rows without a quantity (the project's
 * {@code derived/missing_quantity.csv}), customer ids missing, prices written in words ("Two Hundred"), dates
 * in {@code dd-mm-yyyy}, and transaction ids with a {@code T} prefix. So, after printing all this, the run fails as a
 * pipeline's quality gate stops: a {@code QualityException} names the four failing checks and the program exits 1
 * (the project's own tests only warn).
 *
 * <p>Run: {@code ./mvnw -q -DskipTests package && java -cp mds-examples/target/mds-examples.jar
 * dev.mds.examples.quality.ForexQualityExample [report.html]}.
 */
public final class ForexQualityExample {
    private ForexQualityExample() {
    }

    public static void main(String[] args) throws Exception {
        Path html = Path.of(args.length > 0 ? args[0] : "target/forex-quality.html");
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
             TestDatabase db = server.createDatabase("forex")) {
            DataSource ds = db.dataSource();
            land(ds);

            // storeFailures: as dbt's store_failures, each failed or warned row-level check keeps its failing rows in
            // a table of the audit schema, named in the report
            QualityReport report = QualitySuite.on(ds).samples(3).storeFailures("audit")
                    .table("raw.transactions", t -> t.key("transaction_id")
                            .notNull("transaction_id").unique("transaction_id")
                            .matches("transaction_id", "^[0-9]+$").id("numeric_transaction_id").warn()
                            .matches("transaction_date", "^\\d{4}-\\d{2}-\\d{2}$").id("iso_transaction_date")
                            .matches("price", "^[0-9]+(\\.[0-9]+)?$").id("numeric_price")
                            .rowCount(Bounds.atLeast(1)))
                    .table("silver.transactions", t -> t.key("transaction_id")
                            .notNull("quantity")
                            // dbt's warn_if / error_if: warn from the first missing id, fail above 5% of the rows
                            .notNull("customer_id").warnIf(Threshold.rows(0)).errorIf(Threshold.percent(5))
                            .notNull("transaction_date", "price", "tax")
                            .unique("transaction_id", "product_id")
                            .range("quantity", 1, null)
                            .range("price", 0, 10_000)
                            .acceptedValues("product_name", "Product A", "Product B", "Product C", "Product D", "Product E")
                            .matches("customer_email", "^[^@]+@[^@]+\\.[a-z]+$")
                            .expression("tax_below_price", "tax < price"))
                    .run();

            System.out.println(report.toConsoleTable());
            System.out.println("the project's own dbt tests (bronze.yml, silver.yml):");
            QualityReport projectTests = projectTests(ds);
            System.out.println(projectTests.toConsoleTable());
            CheckResult quantity = report.check("silver.transactions", "not_null_quantity").orElseThrow();
            System.out.printf("rows without a quantity: %d (the project's derived/missing_quantity.csv lists %d)%n",
                    quantity.failingRows(), projectRows("missing_quantity.csv").size());
            Tables.query(ds, "its failing rows, stored in " + quantity.failuresTable(), "select count(*) as rows,"
                    + " count(distinct product_id) as products from " + TableName.parse(quantity.failuresTable()).quoted(), System.out);
            System.out.println("HTML report: " + report.writeHtml(html).toAbsolutePath());
            Tables.query(ds, "monthly revenue, as the project's agg_sales_monthly (its derived/agg_sales_monthly.csv: "
                    + String.join("; ", projectRows("agg_sales_monthly.csv")) + ")", "select extract(year from transaction_date) as year, extract(month from"
                    + " transaction_date) as month, extract(quarter from transaction_date) as quarter,"
                    + " round(sum(quantity * price), 2) as monthly_revenue from silver.transactions"
                    + " where transaction_date is not null group by 1, 2, 3 order by 1, 2", System.out);
            projectTests.assertPassed();
            report.assertPassed();   // a FAIL or ERROR ends the run with an exception, so the program exits non-zero
        }
    }

    /** The data lines of one of the project's outputs, kept in the seed data's {@code derived} folder. */
    private static List<String> projectRows(String file) throws IOException {
        List<String> lines = Files.readAllLines(SeedData.file("002-forex-transactions/derived/" + file), StandardCharsets.UTF_8);
        return lines.subList(1, lines.size()).stream().filter(line -> !line.isBlank()).toList();
    }

    /**
     * Loads the file as text into {@code raw.transactions}, creates the view {@code silver.transactions} over it and
     * the schema {@code audit} for the stored failures.
     */
    static void land(DataSource ds) throws SQLException {
        TableFixture.on(ds, "raw.transactions").csv(SeedData.file("002-forex-transactions/customer_transactions.csv"));
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create schema silver");
            // the project's Word2Number: "Two Hundred" is the n whose cash_words are "Two hundred dollars and …"
            Sql.execute(c, "create function silver.word2number(words text) returns numeric language sql immutable"
                    + " strict as $$ select n from generate_series(0, 100000) as n"
                    + " where lower(regexp_replace(cash_words(n::money), ' dollars? and .*$', '')) = lower(trim(words)) $$");
            Sql.execute(c, "create view silver.transactions as select"
                    + " transaction_id,"
                    + " case when pg_input_is_valid(customer_id, 'numeric') then customer_id::numeric::int end as customer_id,"
                    + " case when transaction_date ~ '^\\d{4}-\\d{2}-\\d{2}$' then to_date(transaction_date, 'YYYY-MM-DD')"
                    + "      when transaction_date ~ '^\\d{2}-\\d{2}-\\d{4}$' then to_date(transaction_date, 'DD-MM-YYYY')"
                    + " end as transaction_date,"
                    + " product_id, product_name,"
                    + " case when pg_input_is_valid(quantity, 'numeric') then quantity::numeric::int end as quantity,"
                    + " case when price ~ '^[A-Za-z -]+$' then silver.word2number(price)"
                    + "      when pg_input_is_valid(price, 'numeric') then price::numeric(10,2) end as price,"
                    + " case when tax ~ '^[A-Za-z -]+$' then silver.word2number(tax)"
                    + "      when pg_input_is_valid(tax, 'numeric') then tax::numeric(10,2) end as tax,"
                    + " customer_first_name, customer_last_name, customer_email, customer_phone, customer_country, customer_city"
                    + " from raw.transactions");
            Sql.execute(c, "create schema audit");
        }
    }

    /**
     * The project's own dbt tests (its bronze.yml and silver.yml): not_null with {@code severity: error, error_if:
     * ">20"}, so up to 20 missing values warn (dbt's default warn_if is {@code != 0}) and more fail; unique on the
     * transaction id, the email and the phone. The project's silver transaction_id and customer_id are hashes of the
     * customer's fields, never NULL; here they are the source's ids.
     */
    static QualityReport projectTests(DataSource ds) {
        return QualitySuite.on(ds)
                .table("raw.transactions", t -> t.notNull("transaction_date", "product_name", "quantity", "price", "tax")
                        .warnIf(Threshold.rows(0)).errorIf(Threshold.rows(20)))
                .table("silver.transactions", t -> t.unique("transaction_id")
                        .notNull("transaction_id", "customer_id", "transaction_date", "product_id", "product_name",
                                "customer_first_name", "customer_last_name", "customer_email", "customer_phone",
                                "customer_country", "customer_city", "quantity", "price", "tax")
                        .warnIf(Threshold.rows(0)).errorIf(Threshold.rows(20))
                        .unique("customer_email").unique("customer_phone"))
                .run();
    }
}
