package dev.mds.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.sql.Connection;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Write-audit-publish over the forex pipeline's real, dirty input: a loader writes the typed transactions in its
 * transaction, audits them with {@code run(connection)} and rolls back when the report fails, so nothing is
 * published and no history row is kept; after it cleans the rows, the same suite passes (warning about the ids it
 * tolerates) and the commit publishes rows, failures and history together. The failing rows the suite stores are
 * the original project's own list of transactions missing a quantity ({@code derived/missing_quantity.csv}).
 */
@MdsPostgres
class ForexWriteAuditPublishTest {
    static final String DIR = "002-forex-transactions/";
    /** The raw text, typed as the original project's silver model reads it. */
    static final String LOAD = "create table \"Forex Ü\".\"Transactions 2023\" as select transaction_id as \"Transaction ID\","
            + " nullif(customer_id, '')::numeric::int as \"Customer ID\", case when transaction_date ~ '^\\d{4}-' then"
            + " transaction_date::date else to_date(transaction_date, 'DD-MM-YYYY') end as transaction_date, product_id,"
            + " nullif(quantity, '')::numeric::int as \"Quantité\", case when lower(price) = 'two hundred' then 200 else"
            + " price::numeric end as price, customer_country from raw.customer_transactions";

    @Test
    void aFailedAuditPublishesNothingAndTheCleanedLoadPublishesRowsFailuresAndHistoryTogether(DataSource ds)
            throws Exception {
        TableFixture.on(ds, "raw.customer_transactions").csv(SeedData.file(DIR + "customer_transactions.csv"));
        TableFixture.on(ds, "expected.missing_quantity").csv(SeedData.file(DIR + "derived/missing_quantity.csv"));
        TestSql.sql(ds, "create schema \"Forex Ü\"; create schema audit; create table \"Forex Ü\".customers as"
                + " select distinct nullif(customer_id, '')::numeric::int as \"Customer ID\" from raw.customer_transactions"
                + " where customer_id <> ''");
        String table = "\"Forex Ü\".\"Transactions 2023\"";
        QualitySuite suite = QualitySuite.create().history("audit.\"Quality Runs\"").storeFailures("audit").samples(3)
                .table(table, t -> t.key("Transaction ID")
                        .notNull("Transaction ID", "transaction_date", "price")
                        .notNull("Quantité")
                        .unique("Transaction ID")
                        .unique("Customer ID", "transaction_date", "product_id").warnIf(">20").errorIf(">40")
                        .relationships("Customer ID", "\"Forex Ü\".customers", "Customer ID")
                        .range("Quantité", 1, 5)
                        .range("price", 0, 300)
                        .matches("Transaction ID", "^\\d+$").threshold(Threshold.mostly(0.95)).warn()
                        .acceptedValues("product_id", "100", "101", "102", "103", "104").warnIf(Threshold.percent(5))
                        .errorIf(Threshold.percent(10))
                        .expression("revenue is positive", "\"Quantité\" * price > 0"))
                .table(table, t -> t.where("customer_country in ('USA', 'Canada')").rowCount(Bounds.atLeast(1)));

        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute(LOAD);
            }
            QualityReport audit = suite.run(c);

            assertThat(audit.passed()).isFalse();

            assertThat(audit.withStatus(Status.FAIL)).extracting(CheckResult::id).containsExactly("not_null_Quantité");
            CheckResult quantity = audit.check(table, "not_null_Quantité").orElseThrow();
            assertThat(quantity.failingRows()).isEqualTo(16);
            assertThat(quantity.samples()).extracting(s -> s.get("Transaction ID")).containsExactly("1006", "1012", "1018");
            // the stored failing rows are the original project's list of transactions missing a quantity
            try (Statement st = c.createStatement(); var rs = st.executeQuery("select count(*) from (select transaction_id"
                    + " from expected.missing_quantity except select \"Transaction ID\" from "
                    + quantity.failuresTable() + ") missing")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
            assertThat(quantity.failuresTable()).isEqualTo("audit.\"Transactions 2023__not_null_Quantité\"");
            CheckResult ids = audit.check(table, "matches_Transaction ID").orElseThrow();
            assertThat(ids.status()).isEqualTo(Status.WARN);
            assertThat(ids.failingRows()).isEqualTo(10);
            assertThat(audit.check(table, "relationships_Customer ID").orElseThrow().status()).isEqualTo(Status.PASS);
            assertThat(audit.withStatus(Status.WARN)).extracting(CheckResult::id).containsExactly(
                    "unique_Customer ID_transaction_date_product_id", "matches_Transaction ID", "accepted_values_product_id");
            c.rollback();

            assertThat(TestSql.strings(ds, "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                    + " where n.nspname in ('Forex Ü', 'audit') and c.relname <> 'customers'")).containsExactly("0");

            // the loader leaves out the rows without a quantity and publishes the rest
            try (Statement st = c.createStatement()) {
                st.execute(LOAD + " where quantity <> ''");
            }
            QualityReport published = suite.run(c);
            assertThat(published.passed()).isTrue();
            assertThat(published.withStatus(Status.WARN)).extracting(CheckResult::id)
                    .containsExactly("unique_Customer ID_transaction_date_product_id", "matches_Transaction ID");
            c.commit();
        }

        assertThat(TestSql.strings(ds, "select count(*) from \"Forex Ü\".\"Transactions 2023\"")).containsExactly("84");
        assertThat(TestSql.strings(ds, "select status || ' ' || check_id || ' ' || failing_rows from audit.\"Quality Runs\""
                + " where status <> 'PASS' order by check_id")).containsExactly("WARN matches_Transaction ID 7",
                        "WARN unique_Customer ID_transaction_date_product_id 31");
        assertThat(TestSql.strings(ds, "select count(distinct run_id) from audit.\"Quality Runs\"")).containsExactly("1");
        assertThat(TestSql.strings(ds, "select count(*) from audit.\"Transactions 2023__matches_Transaction ID\""))
                .containsExactly("7");
        // a check that passed under its threshold keeps its failing rows too, as dbt's store_failures does
        assertThat(TestSql.strings(ds, "select product_id from audit.\"Transactions 2023__accepted_values_product_id\""))
                .containsExactly("P100", "P100", "P100");
        assertThat(TestSql.strings(ds, "select count(*) from pg_class where relname = 'Transactions 2023__not_null_Quantité'"))
                .containsExactly("0");
    }
}
