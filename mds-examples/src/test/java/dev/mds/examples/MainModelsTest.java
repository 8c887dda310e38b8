package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The main example's models (berrei02/modern-data-stack's product_stats) on the seed data of 000-saas-product, as the
 * CDC and the sheet land it in {@code raw}: the columns and figures the project's dbt models give.
 */
@MdsPostgres
class MainModelsTest {
    @BeforeEach
    void landTheSources(DataSource ds) {
        TestSql.sql(ds, "drop schema if exists mart, staging, raw cascade");
        TableFixture.on(ds, "raw.users").columns("user_id int primary key", "name varchar")
                .csv(SeedData.file("000-saas-product/users.csv"));
        TableFixture.on(ds, "raw.subscriptions").columns("id int primary key", "start_date date", "end_date date",
                "user_id int", "subscription varchar", "paid boolean").csv(SeedData.file("000-saas-product/subscriptions.csv"));
        // the sheet: every cell text, an empty cell NULL
        TableFixture.on(ds, "raw.pricing").csv(SeedData.file("000-saas-product/pricing.reconstructed.csv"));
    }

    @Test
    void theMartGivesEachUsersMonthsUnpaidOverdueMonthsAndLifetimeRevenue(DataSource ds) {
        Main.Models.build(ds);

        // John: starter 2 x 7 + medium 3 x 10; Jane: enterprise 5 x 20, May unpaid; Jonathan: medium 10 + starter 4 x 7,
        // April and May unpaid (all months are overdue: they ended in 2023)
        assertThat(TestSql.strings(ds, "select concat_ws(' ', user_id, user_name, subscription_months_cnt,"
                + " unpaid_subscriptions_cnt, lifetime_revenue) from mart.users order by user_id"))
                .containsExactly("1 John Doe 5 0 44", "2 Jane Doe 5 1 100", "3 Jonathan Foo 5 2 38");
    }

    @Test
    void thePricingStagingModelHasTheProjectsColumns(DataSource ds) {
        Main.Models.build(ds);

        // stg_subscription_pricing.sql: package, valid_from, valid_until, is_current_pricing, monthly_seat_price_eur
        assertThat(TestSql.strings(ds, "select column_name || ' ' || data_type from information_schema.columns"
                + " where table_schema = 'staging' and table_name = 'stg_subscription_pricing' order by ordinal_position"))
                .containsExactly("package text", "valid_from date", "valid_until date", "is_current_pricing boolean",
                        "monthly_seat_price_eur numeric");
        assertThat(TestSql.strings(ds, "select package || ' ' || is_current_pricing || ' ' || monthly_seat_price_eur"
                + " from staging.stg_subscription_pricing order by monthly_seat_price_eur"))
                .containsExactly("starter true 7", "medium true 10", "enterprise true 20");
    }
}
