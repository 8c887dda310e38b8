package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.TestSql;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class ShopProjectTest {
    static final Path MODELS = Path.of("src/test/resources/shop/models");

    static final LocalDate D1 = LocalDate.of(2024, 3, 1);
    static final LocalDate D2 = LocalDate.of(2024, 3, 2);

    static LocalDateTime at(int hour) {
        return LocalDateTime.of(2024, 3, 2, hour, 0);
    }

    @Test
    void secondRunUpdatesChangedKeysAndAppendsNewOnesThroughBronzeSilverGold(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.transactions")
                .columns("transaction_id int", "customer_id int", "transaction_date date", "product text",
                        "quantity int", "price numeric(10,2)", "updated_at timestamp")
                .rows(row(1, 501, D1, "A", 1, new BigDecimal("10.00"), at(1)),
                        row(2, 502, D1, "B", 3, new BigDecimal("5.00"), at(1)),
                        row(3, 501, D2, "A", 2, new BigDecimal("10.00"), at(1)));
        TransformProject project = TransformProject.builder(ds).modelsFrom(MODELS).build();
        assertThat(project.models()).containsExactly("bronze.transactions", "silver.transactions",
                "gold.daily_volume", "gold.top_day");

        RunResults first = project.run().assertSucceeded();

        assertThat(first.models()).extracting(ModelResult::name).containsExactly("bronze.transactions",
                "silver.transactions", "gold.daily_volume", "gold.top_day");
        assertThat(first.models()).extracting(ModelResult::materialization).containsExactly(Materialization.VIEW,
                Materialization.INCREMENTAL, Materialization.TABLE, Materialization.VIEW);
        assertThat(first.model("silver.transactions").rows()).isEqualTo(OptionalLong.of(3));
        assertThat(first.model("gold.daily_volume").rows()).isEqualTo(OptionalLong.of(2));
        assertThat(first.model("bronze.transactions").rows()).isEmpty();
        assertThatTable(ds, "silver.transactions").columns("transaction_id", "amount").containsExactlyInAnyOrder(
                row(1, 10), row(2, 15), row(3, 20));
        assertThatTable(ds, "gold.daily_volume").containsExactlyInAnyOrder(row(D1, 2, 25), row(D2, 1, 20));
        assertThatTable(ds, "gold.top_day").containsExactlyInAnyOrder(row(D1, 25));

        // transaction 2 is corrected, transaction 4 arrives
        TestSql.sql(ds, "update raw.transactions set quantity = 1, updated_at = '2024-03-02 05:00' where transaction_id = 2",
                "insert into raw.transactions values (4, 503, '2024-03-02', 'C', 10, 7.50, '2024-03-02 06:00')");

        RunResults second = project.run().assertSucceeded();

        assertThat(second.model("silver.transactions").rows()).isEqualTo(OptionalLong.of(2));
        assertThatTable(ds, "silver.transactions").containsExactlyInAnyOrder(
                row(1, 501, D1, "A", 10, at(1)),
                row(2, 502, D1, "B", 5, at(5)),
                row(3, 501, D2, "A", 20, at(1)),
                row(4, 503, D2, "C", 75, at(6)));
        assertThatTable(ds, "gold.daily_volume").containsExactlyInAnyOrder(row(D1, 2, 15), row(D2, 2, 95));
        assertThatTable(ds, "gold.top_day").containsExactlyInAnyOrder(row(D2, 95));
    }

    @Test
    void fullRefreshRebuildsAnIncrementalModelFromScratch(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.events").columns("id int", "v int").rows(row(1, 10), row(2, 20));
        String model = "{{ config(materialized='incremental') }}\nselect id, v from raw.events\n"
                + "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}";
        TransformProject.builder(ds).model("fr.events", model).build().run().assertSucceeded();
        TestSql.sql(ds, "update raw.events set v = 11 where id = 1", "insert into raw.events values (3, 30)");

        TransformProject.builder(ds).model("fr.events", model).build().run().assertSucceeded();
        assertThatTable(ds, "fr.events").containsExactlyInAnyOrder(row(1, 10), row(2, 20), row(3, 30));

        RunResults full = TransformProject.builder(ds).model("fr.events", model).fullRefresh(true).build().run()
                .assertSucceeded();
        assertThat(full.model("fr.events").rows()).isEqualTo(OptionalLong.of(3));
        assertThatTable(ds, "fr.events").containsExactlyInAnyOrder(row(1, 11), row(2, 20), row(3, 30));
    }

    @Test
    void compositeUniqueKeyReplacesMatchingRowsOnly(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.prices").columns("day date", "sku text", "price int")
                .rows(row(D1, "a", 1), row(D1, "b", 2));
        String model = "{{ config(materialized='incremental', unique_key=['day', 'sku']) }}\n"
                + "select day, sku, price from raw.prices";
        TransformProject project = TransformProject.builder(ds).model("ck.prices", model).build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "delete from raw.prices", "insert into raw.prices values ('2024-03-01', 'b', 22), ('2024-03-02', 'b', 3)");

        project.run().assertSucceeded();

        assertThatTable(ds, "ck.prices").containsExactlyInAnyOrder(row(D1, "a", 1), row(D1, "b", 22), row(D2, "b", 3));
    }

    @Test
    void selectedModelRunsWithItsDownstreamOnly(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.n").columns("v int").rows(row(1));
        TransformProject project = TransformProject.builder(ds)
                .model("sel.a", "{{ config(materialized='table') }} select v from raw.n")
                .model("sel.b", "{{ config(materialized='table') }} select v * 2 as v from {{ ref('sel.a') }}")
                .model("sel.c", "{{ config(materialized='table') }} select v from raw.n")
                .build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "update raw.n set v = 5");

        RunResults results = project.run(Select.models("sel.a").withDownstream()).assertSucceeded();

        assertThat(results.models()).extracting(ModelResult::name).containsExactly("sel.a", "sel.b");
        assertThatTable(ds, "sel.b").containsExactlyInAnyOrder(row(10));
        assertThatTable(ds, "sel.c").containsExactlyInAnyOrder(row(1));
        assertThat(project.run(Select.models("sel.c")).models()).extracting(ModelResult::name).containsExactly("sel.c");
        assertThat(project.sql(Select.models("sel.b"))).hasSize(5).allSatisfy(s -> assertThat(s).doesNotContain("\"c"));
    }

    @Test
    void modelsRunAfterAllTheirRefsEvenWithThreads(DataSource ds) {
        String table = "{{ config(materialized='table') }} ";
        RunResults results = TransformProject.builder(ds).threads(2)
                .model("o.a", table + "select clock_timestamp() as at")
                .model("o.b", table + "select clock_timestamp() as at, (select at from {{ ref('o.a') }}) as a_at")
                .model("o.c", table + "select clock_timestamp() as at, (select at from {{ ref('o.a') }}) as a_at")
                .model("o.d", table + "select clock_timestamp() as at, (select at from {{ ref('o.b') }}) as b_at,"
                        + " (select at from {{ ref('o.c') }}) as c_at")
                .build().run().assertSucceeded();

        assertThat(results.models()).extracting(ModelResult::name).containsExactly("o.a", "o.b", "o.c", "o.d");
        for (String check : new String[] {"select at > a_at from o.b", "select at > a_at from o.c",
                "select at > b_at and at > c_at from o.d"}) {
            assertThat(TestSql.strings(ds, check)).as(check).containsExactly("t");
        }
    }
}
