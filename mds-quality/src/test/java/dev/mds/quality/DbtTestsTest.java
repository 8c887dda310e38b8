package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * dbt properties files (src/test/resources/dbt) run as dbt test would run them: dbt's test names as check ids, each
 * test kind passing and failing, severity, warn_if / error_if and where, source tests, and yml files that are refused
 * naming the file and line.
 */
@MdsPostgres
class DbtTestsTest {

    private static Path resource(String path) {
        try {
            return Path.of(DbtTestsTest.class.getResource("/dbt/" + path).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> outcomes(QualityReport r) {
        Map<String, String> seen = new LinkedHashMap<>();
        r.checks().forEach(c -> seen.put(c.table() + " " + c.id(), c.status() + " " + c.failingRows()));
        return seen;
    }

    /** jaffle_shop's own models/schema.yml and models/staging/schema.yml, read from the models directory. */
    @Test
    void jaffleShopsSchemaYmlRunsWithDbtsTestNamesAndFailsWhereDbtWould(DataSource ds) {
        sql(ds, "create schema jaffle",
                "create table jaffle.customers (customer_id int, first_name text, last_name text, first_order date,"
                        + " most_recent_order date, number_of_orders bigint, total_order_amount numeric)",
                "insert into jaffle.customers values (1, 'Michael', 'P.', '2018-01-01', '2018-02-10', 2, 33),"
                        + " (2, 'Shawn', 'M.', '2018-01-02', '2018-01-02', 1, 23)",
                "create table jaffle.orders (order_id int, customer_id int, order_date date, status text, amount numeric,"
                        + " credit_card_amount numeric, coupon_amount numeric, bank_transfer_amount numeric,"
                        + " gift_card_amount numeric)",
                "insert into jaffle.orders values (1, 1, '2018-01-01', 'returned', 10, 10, 0, 0, 0),"
                        + " (2, 1, '2018-02-10', 'completed', 23, 0, 23, 0, 0),"
                        + " (3, 2, '2018-01-02', 'placed', 23, 0, 0, 23, 0)",
                "create table jaffle.stg_customers (customer_id int, first_name text, last_name text)",
                "insert into jaffle.stg_customers values (1, 'Michael', 'P.'), (2, 'Shawn', 'M.')",
                "create table jaffle.stg_orders (order_id int, customer_id int, order_date date, status text)",
                "insert into jaffle.stg_orders select order_id, customer_id, order_date, status from jaffle.orders",
                "create table jaffle.stg_payments (payment_id int, order_id int, payment_method text, amount numeric)",
                "insert into jaffle.stg_payments values (1, 1, 'credit_card', 10), (2, 2, 'coupon', 23),"
                        + " (3, 3, 'bank_transfer', 23)");
        QualitySuite suite = QualitySuite.on(ds).dbtTests(resource("jaffle_shop/models"), DbtRelations.schema("jaffle"));
        QualityReport passing = suite.run();
        assertThat(outcomes(passing)).containsExactly(
                Map.entry("jaffle.customers unique_customers_customer_id", "PASS 0"),
                Map.entry("jaffle.customers not_null_customers_customer_id", "PASS 0"),
                Map.entry("jaffle.orders unique_orders_order_id", "PASS 0"),
                Map.entry("jaffle.orders not_null_orders_order_id", "PASS 0"),
                Map.entry("jaffle.orders not_null_orders_customer_id", "PASS 0"),
                Map.entry("jaffle.orders relationships_orders_customer_id__customer_id__ref_customers_", "PASS 0"),
                Map.entry("jaffle.orders accepted_values_orders_status__placed__shipped__completed__return_pending__returned",
                        "PASS 0"),
                Map.entry("jaffle.orders not_null_orders_amount", "PASS 0"),
                Map.entry("jaffle.orders not_null_orders_credit_card_amount", "PASS 0"),
                Map.entry("jaffle.orders not_null_orders_coupon_amount", "PASS 0"),
                Map.entry("jaffle.orders not_null_orders_bank_transfer_amount", "PASS 0"),
                Map.entry("jaffle.orders not_null_orders_gift_card_amount", "PASS 0"),
                Map.entry("jaffle.stg_customers unique_stg_customers_customer_id", "PASS 0"),
                Map.entry("jaffle.stg_customers not_null_stg_customers_customer_id", "PASS 0"),
                Map.entry("jaffle.stg_orders unique_stg_orders_order_id", "PASS 0"),
                Map.entry("jaffle.stg_orders not_null_stg_orders_order_id", "PASS 0"),
                Map.entry("jaffle.stg_orders accepted_values_stg_orders_status__placed__shipped__completed__return_pending__returned",
                        "PASS 0"),
                Map.entry("jaffle.stg_payments unique_stg_payments_payment_id", "PASS 0"),
                Map.entry("jaffle.stg_payments not_null_stg_payments_payment_id", "PASS 0"),
                Map.entry("jaffle.stg_payments accepted_values_stg_payments_payment_method__credit_card__coupon__bank_transfer__gift_card",
                        "PASS 0"));

        // an orphan customer, a duplicated order id twice over, two unknown statuses in three rows, a NULL amount
        sql(ds, "insert into jaffle.orders values (3, 9, '2018-03-01', 'lost', null, 0, 0, 0, 0),"
                + " (3, 2, '2018-03-02', 'lost', 5, 5, 0, 0, 0), (4, 2, '2018-03-03', 'stolen', 5, 5, 0, 0, 0)");
        QualityReport failing = suite.run();
        assertThat(outcomes(failing)).containsAllEntriesOf(Map.of(
                "jaffle.orders unique_orders_order_id", "FAIL 1",          // dbt counts duplicated values
                "jaffle.orders relationships_orders_customer_id__customer_id__ref_customers_", "FAIL 1",
                "jaffle.orders accepted_values_orders_status__placed__shipped__completed__return_pending__returned", "FAIL 2",
                "jaffle.orders not_null_orders_amount", "FAIL 1",
                "jaffle.orders not_null_orders_order_id", "PASS 0"));
        assertThat(failing.withStatus(Status.FAIL)).hasSize(4);
    }

    /** Every test kind of events.yml passes on good rows, and fails (or warns, under its config) on bad ones. */
    @Test
    void eachTestKindPassesAndFailsUnderItsConfig(DataSource ds) {
        setUpFeatures(ds, "ft", "ft_landing");
        QualitySuite suite = QualitySuite.on(ds).samples(0).dbtTests(resource("features/models/events.yml"), relations("ft", "ft_landing"));
        QualityReport passing = suite.run();
        assertThat(outcomes(passing)).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("ft.users unique_users_id", "PASS 0"),
                Map.entry("ft.users not_null_users_id", "PASS 0"),
                Map.entry("ft.events dbt_utils_unique_combination_of_columns_events_user_id__kind", "PASS 0"),
                Map.entry("ft.events dbt_utils_expression_is_true_events_amount_0", "PASS 0"),
                Map.entry("ft.events dbt_utils_recency_events_day__created_at__1", "PASS 0"),
                Map.entry("ft.events events_have_a_priority", "PASS 0"),
                Map.entry("ft.events unique_events_event_id", "PASS 0"),
                Map.entry("ft.events not_null_events_event_id", "PASS 0"),
                Map.entry("ft.events accepted_values_events_kind__click__view", "PASS 0"),
                Map.entry("ft.events relationships_events_user_id__id__ref_users_", "PASS 0"),
                Map.entry("ft.events dbt_utils_accepted_range_events_amount__100__0", "PASS 0"),
                Map.entry("ft.events amount_strictly_inside", "PASS 0"),
                Map.entry("ft.events dbt_utils_expression_is_true_events_amount___0", "PASS 0"),
                Map.entry("ft.events accepted_values_events_Priority__False__1__2__3", "PASS 0"),
                Map.entry("ft_landing.raw_payments_v2 dbt_utils_source_expression_is_true_shop_raw_payments_amount_0", "PASS 0"),
                Map.entry("ft_landing.raw_payments_v2 source_unique_shop_raw_payments_id", "PASS 0"),
                Map.entry("ft_landing.raw_payments_v2 source_not_null_shop_raw_payments_id", "PASS 0"),
                Map.entry("ft_landing.raw_payments_v2 source_accepted_values_shop_raw_payments_method__card__cash", "PASS 0")));

        sql(ds,
                // user 7 does not exist (an orphan, but kind 'system' is outside the relationships test's where);
                // user 9 does not exist either and is a click: 1 orphan
                "insert into ft.events values (10, 'system', 7, 50, 2, now()), (11, 'click', 9, 50, 2, now())",
                // (1, click) again: one duplicated combination; a NULL priority (warn); an amount of 100 (strict range warns)
                "insert into ft.events values (12, 'click', 1, 100, null, now())",
                // a negative amount: the model's expression_is_true (warn_if >0, error_if >1) warns at 1 row
                "insert into ft.events values (13, 'view', 2, -1, 3, now())",
                // priority 4 on a view is outside the accepted_values test's where; on a click it fails
                "insert into ft.events values (14, 'view', 2, 5, 4, now()), (15, 'click', 2, 5, 4, now())",
                // a duplicated event id; 'scroll' is not an accepted kind (severity warn)
                "insert into ft.events values (15, 'scroll', 2, 5, 1, now())",
                // source: a duplicated id, one unknown method (error_if >=2: a warning at 1)
                "insert into ft_landing.raw_payments_v2 values (1, 'bitcoin', 3)");
        QualityReport failing = suite.run();
        assertThat(outcomes(failing)).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("ft.users unique_users_id", "PASS 0"),
                Map.entry("ft.users not_null_users_id", "PASS 0"),
                Map.entry("ft.events dbt_utils_unique_combination_of_columns_events_user_id__kind", "FAIL 3"),
                Map.entry("ft.events dbt_utils_expression_is_true_events_amount_0", "WARN 1"),
                Map.entry("ft.events dbt_utils_recency_events_day__created_at__1", "PASS 0"),
                Map.entry("ft.events events_have_a_priority", "WARN 1"),
                Map.entry("ft.events unique_events_event_id", "FAIL 1"),
                Map.entry("ft.events not_null_events_event_id", "PASS 0"),
                Map.entry("ft.events accepted_values_events_kind__click__view", "WARN 2"),
                Map.entry("ft.events relationships_events_user_id__id__ref_users_", "FAIL 1"),
                Map.entry("ft.events dbt_utils_accepted_range_events_amount__100__0", "FAIL 1"),
                Map.entry("ft.events amount_strictly_inside", "WARN 2"),
                Map.entry("ft.events dbt_utils_expression_is_true_events_amount___0", "FAIL 1"),
                Map.entry("ft.events accepted_values_events_Priority__False__1__2__3", "FAIL 1"),
                Map.entry("ft_landing.raw_payments_v2 dbt_utils_source_expression_is_true_shop_raw_payments_amount_0", "PASS 0"),
                Map.entry("ft_landing.raw_payments_v2 source_unique_shop_raw_payments_id", "FAIL 1"),
                Map.entry("ft_landing.raw_payments_v2 source_not_null_shop_raw_payments_id", "PASS 0"),
                Map.entry("ft_landing.raw_payments_v2 source_accepted_values_shop_raw_payments_method__card__cash", "WARN 1")));
        assertThat(failing.check("ft.events", "accepted_values_events_kind__click__view").orElseThrow().severity())
                .isEqualTo(Severity.WARN);

        // recency: the newest event is two days old
        sql(ds, "update ft.events set created_at = now() - interval '2 days'");
        assertThat(suite.run().check("ft.events", "dbt_utils_recency_events_day__created_at__1").orElseThrow().status())
                .isEqualTo(Status.FAIL);
    }

    /**
     * A table's tests without a where share one scan: the events tests make one scan for their row-level tests, one
     * query per unique test (and unique combination), and the relationships test with its own where one query (it has
     * no scan of its own); the users, and the source, one scan and a unique query each.
     */
    @Test
    void aTablesRowLevelTestsStillRunInOneScan(DataSource ds) {
        setUpFeatures(ds, "fs", "landing"); // the source's table as the yml says: schema landing, identifier raw_payments_v2
        QualitySuite suite = QualitySuite.on(ds).samples(0).dbtTests(resource("features/models/events.yml"),
                DbtRelations.schema("fs"));
        QualityReport r = suite.run();
        assertThat(r.passed()).isTrue();
        String eventsScan = r.check("fs.events", "not_null_events_event_id").orElseThrow().sql();
        for (String id : new String[] {"dbt_utils_expression_is_true_events_amount_0", "dbt_utils_recency_events_day__created_at__1",
                "events_have_a_priority", "accepted_values_events_kind__click__view",
                "dbt_utils_accepted_range_events_amount__100__0", "amount_strictly_inside",
                "dbt_utils_expression_is_true_events_amount___0"}) {
            assertThat(r.check("fs.events", id).orElseThrow().sql()).as(id).isEqualTo(eventsScan);
        }
        // users: scan + unique; events: scan + 2 unique + relationships (where) + accepted_values (where: a scan);
        // source: scan + unique
        assertThat(r.queries()).isEqualTo(2 + 5 + 2);
        // and after each scan the query of an accepted_values test's failing values, which runs only when rows fail
        assertThat(suite.sql()).hasSize(9 + 3);
        assertThat(suite.sql()).filteredOn(s -> s.contains("as failing_values")).hasSize(3);
    }

    /**
     * A quoted column (quote: true, or a source's quoting: column: true) is the column of that exact name and is named
     * double-quoted in dbt's test name; an unquoted one is read as PostgreSQL reads it (Priority is priority). Bounds of
     * accepted_range that are SQL are pasted as dbt-utils pastes them.
     */
    @Test
    void quotedColumnsAndSqlBoundsAreReadAsDbtReadsThem(DataSource ds) {
        sql(ds, "create schema q", "create schema crm",
                "create table q.tickets (\"Status\" text, priority int, opened_on date)",
                "insert into q.tickets values ('open', 1, '2021-01-01'), ('closed', 2, current_date)",
                "create table crm.\"Contacts\" (\"Email\" text)",
                "insert into crm.\"Contacts\" values ('a@example.com'), ('b@example.com')");
        QualitySuite suite = QualitySuite.on(ds).samples(0).dbtTests(resource("features/quoted.yml"), DbtRelations.schema("q"));
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("q.tickets not_null_tickets__Status_", "PASS 0"),
                Map.entry("q.tickets accepted_values_tickets__Status___open__closed", "PASS 0"),
                Map.entry("q.tickets not_null_tickets_Priority", "PASS 0"),
                Map.entry("q.tickets dbt_utils_accepted_range_tickets_opened_on__current_date___2020_01_01_", "PASS 0"),
                Map.entry("crm.\"Contacts\" source_unique_crm_Contacts__Email_", "PASS 0"));
        sql(ds, "insert into q.tickets values (null, 3, '2019-05-05'), ('Open', null, current_date + 10)",
                "insert into crm.\"Contacts\" values ('a@example.com')");
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("q.tickets not_null_tickets__Status_", "FAIL 1"),
                Map.entry("q.tickets accepted_values_tickets__Status___open__closed", "FAIL 1"),
                Map.entry("q.tickets not_null_tickets_Priority", "FAIL 1"),
                Map.entry("q.tickets dbt_utils_accepted_range_tickets_opened_on__current_date___2020_01_01_", "FAIL 2"),
                Map.entry("crm.\"Contacts\" source_unique_crm_Contacts__Email_", "FAIL 1"));
    }

    /** YAML anchors, aliases and merge keys are resolved as dbt's PyYAML resolves them, not read as the alias's name. */
    @Test
    void anchorsAliasesAndMergeKeysAreResolved(DataSource ds) {
        sql(ds, "create schema anc", "create table anc.parcels (status text, amount int)",
                "insert into anc.parcels values ('placed', 5), ('lost', 5), ('gone', 1), ('shipped', 0)");
        QualityReport r = QualitySuite.on(ds).samples(0).dbtTests(resource("features/anchors.yml"), DbtRelations.schema("anc"))
                .run();
        CheckResult c = r.check("anc.parcels", "accepted_values_parcels_status__placed__shipped").orElseThrow();
        assertThat(c.severity()).isEqualTo(Severity.WARN);                  // merged from &warn
        assertThat(c.status() + " " + c.failingRows()).isEqualTo("WARN 1"); // its own where (amount > 1) wins: 'lost' only
    }

    /** relationships to a source's table, found by the yml's schema: and identifier:; a source no file declares is refused. */
    @Test
    void relationshipsToASourceFindItsTableAsTheYmlSays(DataSource ds) {
        sql(ds, "create schema src_m", "create schema billing_raw",
                "create table billing_raw.payments_2024 (id int)", "insert into billing_raw.payments_2024 values (1), (2)",
                "create table src_m.refunds (payment_id int)", "insert into src_m.refunds values (1), (2), (null)");
        QualitySuite suite = QualitySuite.on(ds).samples(0).dbtTests(resource("features/to_source.yml"),
                DbtRelations.schema("src_m"));
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("src_m.refunds relationships_refunds_payment_id__id__source_billing_payments_", "PASS 0"));
        sql(ds, "insert into src_m.refunds values (3), (3)");
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("src_m.refunds relationships_refunds_payment_id__id__source_billing_payments_", "FAIL 2"));
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/unknown_source.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("bad/unknown_source.yml") + " line 8: model refunds column payment_id test relationships:"
                        + " source('billing', 'payment') is declared in no sources: of the yml files read");
    }

    /**
     * A column name that dbt pastes as written is read as PostgreSQL reads it: '"Id"' (double-quoted, in a field:, a
     * combination_of_columns or a column_name:) is the column Id, Day unquoted is day. Model names are exact, as
     * dbt-postgres quotes relations.
     */
    @Test
    void doubleQuotedNamesInArgumentsAreExactColumns(DataSource ds) {
        sql(ds, "create schema qn", "create table qn.\"Accounts\" (\"Id\" int)", "insert into qn.\"Accounts\" values (1), (2)",
                "create table qn.logins (\"Account\" int, day date)",
                "insert into qn.logins values (1, '2024-01-01'), (2, '2024-01-01'), (1, '2024-01-02')");
        QualitySuite suite = QualitySuite.on(ds).samples(0).dbtTests(resource("features/quoted_names.yml"),
                DbtRelations.schema("qn"));
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("qn.\"Accounts\" unique_Accounts__Id_", "PASS 0"),
                Map.entry("qn.logins dbt_utils_unique_combination_of_columns_logins__Account___Day", "PASS 0"),
                Map.entry("qn.logins not_null_logins__Account_", "PASS 0"),
                Map.entry("qn.logins relationships_logins__Account____Id___ref_Accounts_", "PASS 0"));
        sql(ds, "insert into qn.logins values (3, '2024-01-02'), (1, '2024-01-02'), (null, '2024-01-03')");
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("qn.\"Accounts\" unique_Accounts__Id_", "PASS 0"),
                Map.entry("qn.logins dbt_utils_unique_combination_of_columns_logins__Account___Day", "FAIL 1"),
                Map.entry("qn.logins not_null_logins__Account_", "FAIL 1"),
                Map.entry("qn.logins relationships_logins__Account____Id___ref_Accounts_", "FAIL 1"));
    }

    /**
     * A column whose name: is written double-quoted ('"Amount"', without quote: true) is the column Amount: dbt pastes
     * the name as written into its tests' SQL, and names the tests after it (not_null_payments__Amount_). Before, the
     * name was folded as if unquoted and kept its quotes, so every test of the column was an ERROR ('column
     * """amount""" does not exist') where dbt tests the column.
     */
    @Test
    void aColumnNameWrittenDoubleQuotedIsTheExactColumn(DataSource ds) {
        sql(ds, "create schema qc", "create table qc.payments (id int, \"Amount\" int, amount int)",
                "insert into qc.payments values (1, 10, 10), (2, 20, 20)");
        QualitySuite suite = QualitySuite.on(ds).samples(0).dbtTests(resource("features/quoted_column_name.yml"),
                DbtRelations.schema("qc"));
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("qc.payments not_null_payments__Amount_", "PASS 0"),
                Map.entry("qc.payments accepted_values_payments__Amount___False__10__20", "PASS 0"),
                Map.entry("qc.payments dbt_utils_expression_is_true_payments__Amount____0", "PASS 0"));
        // the lower-case column amount stays valid: only "Amount" is tested
        sql(ds, "insert into qc.payments values (3, null, 10), (4, 30, 20), (5, -1, 10)");
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("qc.payments not_null_payments__Amount_", "FAIL 1"),
                Map.entry("qc.payments accepted_values_payments__Amount___False__10__20", "FAIL 2"),
                Map.entry("qc.payments dbt_utils_expression_is_true_payments__Amount____0", "FAIL 1"));
    }

    /**
     * where: "" is no condition, as for dbt (whose get_where_subquery filters only when the where is not empty); a
     * blank one, which dbt pastes into SQL the server refuses, is refused naming the file and line. Before, both
     * failed dbtTests with "where: the condition is empty", naming neither the file nor the test.
     */
    @Test
    void anEmptyWhereIsNoConditionAndABlankOneIsRefusedNamingTheLine(DataSource ds) {
        sql(ds, "create schema ew", "create table ew.orders (id int)", "insert into ew.orders values (1), (null)");
        QualityReport r = QualitySuite.on(ds).samples(0).dbtTests(resource("features/empty_where.yml"),
                DbtRelations.schema("ew")).run();
        assertThat(outcomes(r)).containsExactly(Map.entry("ew.orders not_null_orders_id", "FAIL 1"));
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/blank_where.yml"), DbtRelations.schema("ew")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("bad/blank_where.yml") + " line 10: model orders column id test not_null: where is"
                        + " blank (leave it out, or write a condition)");
    }

    /**
     * dbt pastes a column_name: as written, so its documented "(country_code || '-' || order_id)" tests an
     * expression; here a check takes a column, so such a test is refused as one that cannot run as dbt runs it (left out
     * with a warning under SKIP_WITH_WARNING), except for expression_is_true, which pastes it too. Before, it was
     * taken for the name of a column and was an ERROR at every run ('column "(country_code || '-' || order_id)" does
     * not exist'), also under SKIP_WITH_WARNING.
     */
    @Test
    void anExpressionAsColumnNameIsRefusedAsUnsupported(DataSource ds) {
        sql(ds, "create schema ec", "create table ec.orders (order_id int, country_code text, \"Order Id\" int)",
                "insert into ec.orders values (1, 'de', 1), (1, 'fr', 2), (-1, 'de', 3)");
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("features/expression_column_name.yml"),
                DbtRelations.schema("ec")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(resource("features/expression_column_name.yml") + " line 6: model orders test unique:"
                        + " column_name '(country_code || '-' || order_id)' is an expression, not a column name");
        QualityReport r = QualitySuite.on(ds).samples(0).dbtTests(resource("features/expression_column_name.yml"),
                DbtRelations.schema("ec"), UnsupportedDbtTest.SKIP_WITH_WARNING).run();
        assertThat(outcomes(r)).containsExactly(
                Map.entry("ec.orders dbt_utils_expression_is_true_orders_coalesce_order_id_0____0", "FAIL 1"),
                Map.entry("ec.orders not_null_orders__Order_Id_", "PASS 0"),
                Map.entry("ec.orders unique_orders_order_id", "FAIL 1"));
    }

    /**
     * A model whose config: gives an alias is dbt's relation of that name, for its own tests and for a ref to it.
     * Before, the alias was ignored: the tests ran against the table named after the model, here a stale one whose
     * rows pass, so not_null passed while dbt's (on orders_v2) fails, and the relationships test compared against
     * the stale keys. A config schema:, whose schema depends on the project's generate_schema_name, is refused unless
     * DbtRelations.model maps the model (before, the model's tests ran in the default schema).
     */
    @Test
    void aModelsConfigAliasIsItsTableAndAConfigSchemaMustBeMapped(DataSource ds) {
        sql(ds, "create schema ma", "create table ma.orders (id int)", "insert into ma.orders values (1), (2)",
                "create table ma.orders_v2 (id int)", "insert into ma.orders_v2 values (1), (null)",
                "create table ma.payments (order_id int)", "insert into ma.payments values (1), (2)");
        QualityReport r = QualitySuite.on(ds).samples(0).dbtTests(resource("features/model_alias.yml"),
                DbtRelations.schema("ma")).run();
        assertThat(outcomes(r)).containsExactly(Map.entry("ma.orders_v2 not_null_orders_id", "FAIL 1"),
                Map.entry("ma.payments relationships_payments_order_id__id__ref_orders_", "FAIL 1"));
        // a mapping still wins over the alias
        QualityReport mapped = QualitySuite.on(ds).samples(0).dbtTests(resource("features/model_alias.yml"),
                DbtRelations.schema("ma").model("orders", "ma.orders")).run();
        assertThat(outcomes(mapped)).containsExactly(Map.entry("ma.orders not_null_orders_id", "PASS 0"),
                Map.entry("ma.payments relationships_payments_order_id__id__ref_orders_", "PASS 0"));

        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("features/model_schema.yml"), DbtRelations.schema("ma")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("features/model_schema.yml") + " line 6: model orders: config schema 'finance' builds"
                        + " its table in the schema the project's generate_schema_name makes of it (dbt's default: ma_finance);"
                        + " map it with DbtRelations.model(\"orders\", \"schema.table\")");
        assertThat(QualitySuite.create().dbtTests(resource("features/model_schema.yml"), DbtRelations.schema("ma")
                .model("orders", "ma_finance.orders")).sql()).singleElement().asString().contains("\"ma_finance\".\"orders\"");
    }

    /**
     * A source's quoting: schema: false / identifier: false (a table's own quoting: identifier: overriding the
     * source's) makes dbt write the name unquoted, which PostgreSQL folds to lower case: Inbound_Q.Orders_V2 is
     * inbound_q.orders_v2. Before, the names were used exactly as written, so the tests ran on "Inbound_Q"."Orders_V2"
     * (here a stale table whose rows pass) instead of the table dbt tests.
     */
    @Test
    void aSourcesQuotingFalseFoldsItsSchemaAndIdentifierAsPostgresqlDoes(DataSource ds) {
        sql(ds, "create schema inbound_q", "create table inbound_q.orders_v2 (id int)", "insert into inbound_q.orders_v2 values (null)",
                "create schema \"Inbound_Q\"", "create table \"Inbound_Q\".\"Orders_V2\" (id int)",
                "insert into \"Inbound_Q\".\"Orders_V2\" values (1)",
                "create table inbound_q.\"Customers\" (id int)", "insert into inbound_q.\"Customers\" values (null)");
        QualityReport r = QualitySuite.on(ds).samples(0).dbtTests(resource("features/source_quoting.yml"),
                DbtRelations.schema("analytics")).run();
        assertThat(outcomes(r)).containsExactly(Map.entry("inbound_q.orders_v2 source_not_null_raw_orders_id", "FAIL 1"),
                Map.entry("inbound_q.\"Customers\" source_not_null_raw_Customers_id", "FAIL 1"));
    }

    /**
     * Like column_name:, the columns dbt pastes from other arguments (combination_of_columns without quote_columns,
     * relationships' field, recency's field and group_by_columns) may be expressions there; such a test is refused as
     * unsupported, naming the argument, instead of an ERROR at every run ('column "lower(email)" does not exist'),
     * which SKIP_WITH_WARNING did not leave out.
     */
    @Test
    void expressionsInColumnArgumentsAreRefusedAsUnsupported(DataSource ds) {
        sql(ds, "create schema ea", "create table ea.events (user_id int, email text, \"Day\" date, created_at timestamptz,"
                + " updated_at timestamptz)", "insert into ea.events values (1, 'a@x', '2024-01-01', now(), null)");
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("features/expression_arguments.yml"),
                DbtRelations.schema("ea")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(resource("features/expression_arguments.yml") + " line 6: model events test"
                        + " dbt_utils.unique_combination_of_columns: combination_of_columns 'lower(email)' is an expression,"
                        + " not a column name");
        QualityReport r = QualitySuite.on(ds).samples(0).dbtTests(resource("features/expression_arguments.yml"),
                DbtRelations.schema("ea"), UnsupportedDbtTest.SKIP_WITH_WARNING).run();
        assertThat(outcomes(r)).containsExactly(
                Map.entry("ea.events dbt_utils_unique_combination_of_columns_events_email___Day_", "PASS 0"));
    }

    /**
     * Integers are read as dbt's YAML reader (PyYAML, YAML 1.1) reads them, also as accepted_range's bounds: 0x0F is
     * 15, 017 octal 15, 1_000 is 1000. Before, a bound written so failed dbtTests with a bare NumberFormatException
     * ('Character x is neither a decimal digit number...'), naming neither the file nor the test.
     */
    @Test
    void integerBoundsAreReadAsDbtsYamlReaderReadsThem(DataSource ds) {
        sql(ds, "create schema yi", "create table yi.orders (id int)", "insert into yi.orders values (31), (15), (1000)");
        QualitySuite suite = QualitySuite.on(ds).samples(0).dbtTests(resource("features/yaml_integers.yml"), DbtRelations.schema("yi"));
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("yi.orders accepted_values_orders_id__False__31__15__1000", "PASS 0"),
                Map.entry("yi.orders dbt_utils_accepted_range_orders_id__1000__15", "PASS 0"));
        sql(ds, "insert into yi.orders values (14), (1001)");
        assertThat(outcomes(suite.run())).containsExactly(
                Map.entry("yi.orders accepted_values_orders_id__False__31__15__1000", "FAIL 2"),
                Map.entry("yi.orders dbt_utils_accepted_range_orders_id__1000__15", "FAIL 2"));
    }

    /**
     * A config alias or schema holding Jinja (not rendered here) leaves the model's table unknown: refused naming the
     * file and line unless DbtRelations.model maps the model. Before (since the alias was read), dbtTests failed with
     * an internal exception whose message named neither the file nor the line.
     */
    @Test
    void aConfigAliasHoldingJinjaMustBeMapped() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("features/model_alias_jinja.yml"), DbtRelations.schema("mj")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("features/model_alias_jinja.yml") + " line 6: model orders: config alias"
                        + " '{{ 'orders_' ~ var('version') }}' holds Jinja, which is not rendered; map it with"
                        + " DbtRelations.model(\"orders\", \"schema.table\")");
        assertThat(QualitySuite.create().dbtTests(resource("features/model_alias_jinja.yml"), DbtRelations.schema("mj")
                .model("orders", "mj.orders_v3")).sql()).singleElement().asString().contains("\"mj\".\"orders_v3\"");
    }

    /** A name under config: is not where dbt reads a test's name: refused, saying where it goes. */
    @Test
    void aNameUnderConfigIsRefusedSayingWhereItGoes() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/name_in_config.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name_in_config.yml line 7: model orders column order_id test unique: name under config:"
                        + " (dbt does not take a test's name from its config and names it unique_orders_order_id; write name:"
                        + " beside the test's arguments)");
    }

    @Test
    void anUnknownTestIsRefusedNamingFileLineModelColumnAndTest() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/unknown_test.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown_test.yml line 8: model orders column order_id test"
                        + " dbt_expectations.expect_column_values_to_be_of_type: unknown test (taken: not_null, unique,");
    }

    @Test
    void anUnknownTestCanBeLeftOutWithAWarning() {
        QualitySuite suite = QualitySuite.create().dbtTests(resource("bad/unknown_test.yml"), DbtRelations.schema("a"),
                UnsupportedDbtTest.SKIP_WITH_WARNING);
        assertThat(suite.sql()).hasSize(1).first().asString().contains("\"a\".\"orders\"");
    }

    @Test
    void acceptedValuesWithoutValuesIsRefused() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/missing_values.yml"), DbtRelations.schema("a"),
                UnsupportedDbtTest.SKIP_WITH_WARNING))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("bad/missing_values.yml") + " line 7: model orders column status test accepted_values: missing 'values'");
    }

    @Test
    void aRefToAModelNoFileDeclaresIsRefused() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/unknown_ref.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("bad/unknown_ref.yml") + " line 8: model orders column customer_id test relationships: ref('customer') names"
                        + " no model, seed or snapshot of the yml files read (orders, customers); map it with"
                        + " DbtRelations.model(\"customer\", \"schema.table\")");
        // mapped, it resolves
        assertThat(QualitySuite.create().dbtTests(resource("bad/unknown_ref.yml"),
                DbtRelations.schema("a").model("customer", "crm.customer")).sql())
                .anySatisfy(s -> assertThat(s).contains("\"crm\".\"customer\""));
    }

    @Test
    void anUnknownKeyAndInvalidYamlAreRefusedWithTheirLine() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/unknown_key.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("bad/unknown_key.yml") + " line 6: model orders column order_id: unknown key 'test'");
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/not_yaml.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(resource("bad/not_yaml.yml") + " line 5: not valid YAML: ");
    }

    /** A disabled model's tests are not run (as dbt runs none); a malformed error_if names file, line and test. */
    @Test
    void aDisabledModelsTestsAreLeftOutAndABadErrorIfNamesItsTest() {
        assertThat(QualitySuite.create().dbtTests(resource("bad/disabled_model.yml"), DbtRelations.schema("a")).sql())
                .singleElement().asString().contains("\"a\".\"orders\"").doesNotContain("archived");
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/configs.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(resource("bad/configs.yml") + " line 15: model orders column order_id test unique:"
                        + " error_if condition \"<5\": '<' would warn or fail when there are few failing rows");
    }

    /** Jinja is not rendered: a where holding it is refused, or left out with a warning (the other test stays). */
    @Test
    void jinjaInAConfigIsRefusedOrLeftOut() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/jinja_where.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jinja_where.yml line 8: model orders column order_id test unique: 'order_date >"
                        + " '{{ var(\"start\") }}'' holds Jinja, which is not rendered here");
        assertThat(QualitySuite.create().dbtTests(resource("bad/jinja_where.yml"), DbtRelations.schema("a"),
                UnsupportedDbtTest.SKIP_WITH_WARNING).sql()).hasSize(1).first().asString().contains("count(*)");
        // enabled: "{{ target.name == 'prod' }}" is Jinja too, not a malformed boolean
        assertThat(QualitySuite.create().dbtTests(resource("bad/jinja_enabled.yml"), DbtRelations.schema("a"),
                UnsupportedDbtTest.SKIP_WITH_WARNING).sql()).hasSize(1).first().asString().contains("count(*)");
    }

    /** A source's freshness: is dbt source freshness, not a test: refused, or left out while its tests still run. */
    @Test
    void sourceFreshnessIsRefusedOrLeftOut() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/source_freshness.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("source_freshness.yml line 5: source jaffle: freshness: is dbt source freshness");
        assertThat(QualitySuite.create().dbtTests(resource("bad/source_freshness.yml"), DbtRelations.schema("a"),
                UnsupportedDbtTest.SKIP_WITH_WARNING).sql()).hasSize(1).first().asString().contains("\"jaffle\".\"raw_orders\"");
    }

    /** Two tests dbt would give one name (dbt refuses them too), and a column test without a column. */
    @Test
    void twoTestsOfOneNameAndAColumnTestWithoutAColumnAreRefused() {
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/same_name.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("bad/same_name.yml") + " line 9: test accepted_values_orders_status__placed on a.orders is"
                        + " already declared at " + resource("bad/same_name.yml") + " line 7 (dbt refuses two tests of one"
                        + " name too; give one a name:)");
        assertThatThrownBy(() -> QualitySuite.create().dbtTests(resource("bad/model_level_unique.yml"), DbtRelations.schema("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(resource("bad/model_level_unique.yml") + " line 5: model orders test unique: a column test: give it"
                        + " under a column's tests:, or column_name:");
    }

    private static DbtRelations relations(String schema, String landing) {
        return DbtRelations.schema(schema).source("shop_raw", "payments", landing + ".raw_payments_v2");
    }

    private static void setUpFeatures(DataSource ds, String schema, String landing) {
        sql(ds, "create schema " + schema, "create schema " + landing,
                "create table " + schema + ".users (id int)",
                "insert into " + schema + ".users values (1), (2)",
                "create table " + schema + ".events (event_id int, kind text, user_id int, amount numeric, priority int,"
                        + " created_at timestamptz)",
                "insert into " + schema + ".events values (1, 'click', 1, 10, 1, now()), (2, 'view', 1, 0.5, 2, now()),"
                        + " (3, 'click', 2, 99, 3, now()), (4, 'view', null, 1, 1, now() - interval '3 days')",
                "create table " + landing + ".raw_payments_v2 (id int, method text, amount numeric)",
                "insert into " + landing + ".raw_payments_v2 values (1, 'card', 10), (2, 'cash', 5)");
    }
}
