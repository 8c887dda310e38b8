package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forex pipeline as a dbt user lays it out: its real, dirty CSV as a seed, a staging view cleaning it, an
 * incremental silver model, gold tables and a view, a snapshot, and a model whose schema, name and columns need
 * quoting; the results are compared with the original project's outputs ({@code derived/}), then the seed is
 * corrected and the project run again.
 */
@MdsPostgres
class ForexDbtProjectTest {
    static final String DIR = "002-forex-transactions/";

    static void write(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    /** rows of {@code a} missing from {@code b} and the other way round, as text; empty when both hold the same rows */
    static java.util.List<String> difference(DataSource ds, String a, String b) {
        return TestSql.strings(ds, "select 'only in first: ' || d::text from (" + a + " except all " + b + ") d"
                + " union all select 'only in second: ' || d::text from (" + b + " except all " + a + ") d");
    }

    @Test
    void theForexProjectGivesTheOriginalOutputsAndCarriesACorrectionThroughEveryMaterialization(DataSource ds,
            @TempDir Path dir) throws Exception {
        Path seeds = dir.resolve("seeds");
        Path models = dir.resolve("models");
        Path csv = seeds.resolve("raw/customer_transactions.csv");
        Files.createDirectories(csv.getParent());
        Files.copy(SeedData.file(DIR + "customer_transactions.csv"), csv);
        write(models.resolve("staging/stg_transactions.sql"), """
                -- the raw text, typed: ids written as floats, dates in two formats, numbers in words
                select transaction_id,
                       customer_id::int as customer_id,
                       case when transaction_date ~ '^\\d{4}-\\d{2}-\\d{2}$' then transaction_date::date
                            else to_date(transaction_date, 'DD-MM-YYYY') end as transaction_date,
                       product_name, customer_country, customer_city,
                       quantity::int as quantity,
                       case when lower(price) = 'two hundred' then 200 else price::numeric end as price,
                       case when lower(tax) = 'fifteen' then 15 else tax::numeric end as tax
                from {{ ref('customer_transactions') }}
                """);
        write(models.resolve("silver/transaction.sql"), """
                {{ config(materialized='incremental', unique_key='transaction_id', incremental_strategy='merge',
                          indexes=[{'columns': ['transaction_id'], 'unique': True}]) }}
                select * from {{ ref('staging.stg_transactions') }}
                """);
        write(models.resolve("gold/agg_sales_country.sql"), """
                {{ config(materialized='table') }}
                select customer_country as country, sum(quantity * price) as monthly_revenue
                from {{ ref('silver.transaction') }} group by 1
                """);
        write(models.resolve("gold/agg_sales_monthly.sql"), """
                {{ config(materialized='table') }}
                select extract(year from transaction_date)::int as year, extract(month from transaction_date)::int as month,
                       extract(quarter from transaction_date)::int as quarter, sum(quantity * price) as monthly_revenue
                from {{ ref('silver.transaction') }} group by 1, 2, 3
                """);
        write(models.resolve("gold/missing_quantity.sql"), "select * from {{ ref('silver.transaction') }} where quantity is null\n");
        write(models.resolve("snapshots/transaction_history.sql"), """
                {{ config(materialized='snapshot', unique_key='transaction_id', strategy='check',
                          check_cols=['quantity', 'price'], hard_deletes='invalidate') }}
                select transaction_id, quantity, price from {{ ref('staging.stg_transactions') }}
                """);
        write(models.resolve("Gold Ü/Umsatz \"je\" Land.sql"), "{{ config(materialized='table') }}\nselect country as"
                + " \"Land Ü\", monthly_revenue as \"Umsatz \"\"netto\"\"\" from {{ ref('gold.agg_sales_country') }}\n");
        TransformProject project = TransformProject.builder(ds).seedsFrom(seeds).modelsFrom(models).threads(2).build();

        RunResults first = project.run().assertSucceeded();

        assertThat(first.model("raw.customer_transactions").rows()).isEqualTo(OptionalLong.of(100));
        assertThat(first.model("silver.transaction").rows()).isEqualTo(OptionalLong.of(100));
        assertThat(first.model("snapshots.transaction_history").rows()).isEqualTo(OptionalLong.of(100));
        TableFixture.on(ds, "expected.silver_transaction").csv(SeedData.file(DIR + "derived/silver_transaction.csv"));
        TableFixture.on(ds, "expected.agg_sales_country").csv(SeedData.file(DIR + "derived/agg_sales_country.csv"));
        TableFixture.on(ds, "expected.agg_sales_monthly").csv(SeedData.file(DIR + "derived/agg_sales_monthly.csv"));
        TableFixture.on(ds, "expected.missing_quantity").csv(SeedData.file(DIR + "derived/missing_quantity.csv"));
        // the original's silver rows hash their ids; every other column is the same, row for row
        assertThat(difference(ds, "select transaction_date::date, product_name, customer_country, customer_city,"
                + " nullif(quantity, '')::int, price::numeric, tax::numeric from expected.silver_transaction",
                "select transaction_date, product_name, customer_country, customer_city, quantity, price, tax"
                        + " from silver.transaction")).isEmpty();
        assertThat(difference(ds, "select country, nullif(monthly_revenue, '')::numeric from expected.agg_sales_country",
                "select country, monthly_revenue from gold.agg_sales_country")).isEmpty();
        assertThat(difference(ds, "select year::int, month::int, quarter::int, monthly_revenue::numeric"
                + " from expected.agg_sales_monthly", "select year, month, quarter, monthly_revenue from gold.agg_sales_monthly"))
                .isEmpty();
        assertThat(difference(ds, "select transaction_id from expected.missing_quantity",
                "select transaction_id from gold.missing_quantity")).isEmpty();
        assertThat(difference(ds, "select country, monthly_revenue from gold.agg_sales_country",
                "select \"Land Ü\", \"Umsatz \"\"netto\"\"\" from \"Gold Ü\".\"Umsatz \"\"je\"\" Land\"")).isEmpty();

        // the source corrects a missing quantity and drops a transaction; the seed is reloaded in place
        String corrected = Files.readString(csv).replace("1006,506.0,2023-07-20,101,Product A,,77.61",
                "1006,506.0,2023-07-20,101,Product A,2.0,77.61").replaceAll("(?m)^1013,.*\\n", "");
        assertThat(corrected).isNotEqualTo(Files.readString(csv));
        Files.writeString(csv, corrected);

        RunResults second = project.run().assertSucceeded();

        assertThat(second.model("raw.customer_transactions").rows()).isEqualTo(OptionalLong.of(99));
        assertThat(second.model("snapshots.transaction_history").rows()).isEqualTo(OptionalLong.of(1));
        // the merge keeps the row the source dropped; the snapshot of the source ends its version
        assertThatTable(ds, "silver.transaction").hasRowCount(100);
        assertThat(TestSql.strings(ds, "select transaction_id || ' ' || coalesce(quantity::text, 'null') || ' '"
                + " || (dbt_valid_to is null) from snapshots.transaction_history where transaction_id in ('1006', '1013')"
                + " order by transaction_id, dbt_valid_from")).containsExactly("1006 null false", "1006 2 true", "1013 1 false");
        assertThat(TestSql.strings(ds, "select count(*) from gold.missing_quantity")).containsExactly("15");
        assertThat(TestSql.strings(ds, "select monthly_revenue from gold.agg_sales_monthly"))
                .containsExactly("46566.51");   // 46411.29 + 2 * 77.61
        assertThat(TestSql.strings(ds, "select \"Umsatz \"\"netto\"\"\" from \"Gold Ü\".\"Umsatz \"\"je\"\" Land\""
                + " where \"Land Ü\" = 'France'")).containsExactly(TestSql.strings(ds,
                "select monthly_revenue from gold.agg_sales_country where country = 'France'").get(0));
    }
}
