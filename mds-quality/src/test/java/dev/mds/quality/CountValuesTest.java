package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * {@code countValues()}: unique, accepted values and not accepted values count their failures as dbt's tests do (one per
 * duplicated key or distinct unexpected value), so that a {@code warn_if} / {@code error_if} ported from dbt decides the
 * same. Over the forex project's {@code customer_transactions.csv}, against dbt's own test queries.
 */
@MdsPostgres
class CountValuesTest {

    private static long scalar(DataSource ds, String query) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aDbtConditionOnCountedValuesDecidesAsDbtsTestsDo(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.transactions").csv(SeedData.file("002-forex-transactions/customer_transactions.csv"));
        // dbt's accepted_values, unique and dbt-utils' not_accepted_values test queries: each returns one row per failure
        long countries = scalar(ds, "select count(*) from (select customer_country as value_field, count(*) as n_records"
                + " from raw.transactions group by customer_country) all_values where value_field not in ('USA', 'Canada', 'UK',"
                + " 'Australia')");
        long customers = scalar(ds, "select count(*) from (select customer_id as unique_field, count(*) as n_records from"
                + " raw.transactions where customer_id is not null group by customer_id having count(*) > 1) dbt_internal_test");
        long forbidden = scalar(ds, "select count(*) from (select distinct customer_country as value_field from"
                + " raw.transactions) all_values where value_field in ('Germany', 'France', 'Italy')");
        long countryRows = scalar(ds, "select count(*) from raw.transactions where customer_country not in ('USA', 'Canada',"
                + " 'UK', 'Australia')");
        assertThat(countries).isBetween(2L, countryRows - 1);   // the rows outnumber the values: the units differ
        assertThat(customers).isPositive();
        assertThat(forbidden).isEqualTo(3);

        String[] accepted = {"USA", "Canada", "UK", "Australia"};
        QualityReport r = QualitySuite.on(ds).samples(2).table("raw.transactions", t -> t
                // error_if "> countries - 1" fails; "> countries" warns (dbt's default warn_if is "!= 0"), as in dbt
                .acceptedValues("customer_country", (Object[]) accepted).countValues().errorIf(">" + (countries - 1)).id("av_fail")
                .acceptedValues("customer_country", (Object[]) accepted).countValues().errorIf(">" + countries).id("av_pass")
                .acceptedValues("customer_country", (Object[]) accepted).errorIf(">" + countries).id("av_rows")
                .unique("customer_id").countValues().errorIf(">" + (customers - 1)).id("unique_fail")
                .unique("customer_id").countValues().errorIf(">" + customers).id("unique_pass")
                .notAcceptedValues("customer_country", "Germany", "France", "Italy").countValues().errorIf(">2").id("nav_fail")
                .notAcceptedValues("customer_country", "Germany", "France", "Italy").countValues().errorIf(">3").id("nav_pass"))
                .run();

        CheckResult avFail = r.check("raw.transactions", "av_fail").orElseThrow();
        assertThat(avFail.status()).isEqualTo(Status.FAIL);
        assertThat(avFail.failingRows()).as("failing values").isEqualTo(countries);
        assertThat(avFail.checkedRows()).as("distinct values").isEqualTo(scalar(ds,
                "select count(distinct customer_country) from raw.transactions"));
        assertThat(avFail.observed()).startsWith(countries + " of ").contains("distinct values not in", "100 rows");
        assertThat(avFail.decidedBy()).isEqualTo("error_if > " + (countries - 1) + " values");
        assertThat(avFail.message()).contains(countries + " failing values");
        assertThat(avFail.samples()).hasSize(2);   // still rows
        assertThat(r.check("raw.transactions", "av_pass").orElseThrow().status()).isEqualTo(Status.WARN);
        assertThat(r.check("raw.transactions", "av_rows").orElseThrow().status()).as("counting rows, the same condition fails")
                .isEqualTo(Status.FAIL);

        CheckResult uniqueFail = r.check("raw.transactions", "unique_fail").orElseThrow();
        assertThat(uniqueFail.status()).isEqualTo(Status.FAIL);
        assertThat(uniqueFail.failingRows()).isEqualTo(customers);
        assertThat(uniqueFail.checkedRows()).isEqualTo(scalar(ds, "select count(distinct customer_id) from raw.transactions"));
        assertThat(uniqueFail.message()).contains("failing keys");
        assertThat(r.check("raw.transactions", "unique_pass").orElseThrow().status()).isEqualTo(Status.WARN);

        assertThat(r.check("raw.transactions", "nav_fail").orElseThrow().status()).isEqualTo(Status.FAIL);
        assertThat(r.check("raw.transactions", "nav_fail").orElseThrow().failingRows()).isEqualTo(3);
        assertThat(r.check("raw.transactions", "nav_pass").orElseThrow().status()).isEqualTo(Status.WARN);
    }

    @Test
    void aUniqueCheckWithoutDuplicatesCountsItsDistinctKeysAndOtherKindsRefuseCountValues(DataSource ds) {
        sql(ds, "create table k (id int, v text)", "insert into k values (1, 'a'), (2, 'b'), (3, null), (null, 'c')");
        QualityReport r = QualitySuite.on(ds).table("k", t -> t.unique("id").countValues()).run();
        assertThat(r.checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(r.checks().get(0).checkedRows()).isEqualTo(3);
        assertThatThrownBy(() -> QualitySuite.on(ds).table("k", t -> t.notNull("v").countValues()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not_null_v");
    }
}
