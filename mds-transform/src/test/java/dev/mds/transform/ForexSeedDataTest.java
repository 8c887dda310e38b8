package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.TestSql;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import java.nio.file.Path;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The forex pipeline's real input, modelled bronze -> silver -> gold, against the original project's output. */
@MdsPostgres
class ForexSeedDataTest {
    static final String DIR = "002-forex-transactions/";

    @Test
    void salesByCountryMatchTheOriginalDbtProjectsAggregate(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.customer_transactions").csv(SeedData.file(DIR + "customer_transactions.csv"));
        TableFixture.on(ds, "expected.agg_sales_country").csv(SeedData.file(DIR + "derived/agg_sales_country.csv"));
        TransformProject project = TransformProject.builder(ds).modelsFrom(Path.of("src/test/resources/forex/models"))
                .threads(2).build();

        RunResults first = project.run().assertSucceeded();

        assertThat(first.model("silver.transactions").rows()).isEqualTo(OptionalLong.of(100));
        assertThat(first.model("gold.sales_by_country").rows()).isEqualTo(OptionalLong.of(67));
        String expected = "select country, nullif(monthly_revenue, '')::numeric as revenue"
                + " from expected.agg_sales_country";
        String actual = "select country, revenue from gold.sales_by_country";
        assertThat(TestSql.strings(ds, "select 'missing ' || country || ' ' || coalesce(revenue::text, 'null') from ("
                + expected + " except " + actual + ") d union all"
                + " select 'unexpected ' || country || ' ' || coalesce(revenue::text, 'null') from ("
                + actual + " except " + expected + ") u")).isEmpty();
        assertThat(TestSql.strings(ds, "select count(*) from silver.transactions where transaction_date is null"))
                .containsExactly("0");

        TestSql.sql(ds, "insert into raw.customer_transactions (transaction_id, customer_id, transaction_date, quantity,"
                + " price, customer_country) values ('2001', '501.0', '2023-07-21', '2.0', '10.50', 'Andorra')");
        RunResults second = project.run().assertSucceeded();

        assertThat(second.model("silver.transactions").rows()).isEqualTo(OptionalLong.of(1));
        assertThatTable(ds, "silver.transactions").hasRowCount(101);
        assertThat(TestSql.strings(ds, "select revenue from gold.sales_by_country where country = 'Andorra'"))
                .containsExactly("154.87");
    }
}
