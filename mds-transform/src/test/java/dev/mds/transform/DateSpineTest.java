package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * dbt's {@code date_spine}: the periods dbt_utils' macro gives on dbt-postgres (its datediff counts them, its dateadd
 * steps from the start date), checked against dates counted by hand.
 */
@MdsPostgres
class DateSpineTest {
    private static List<String> spine(DataSource ds, String model, String call) {
        TransformProject.builder(ds).model(model, "{{ config(materialized='table') }}\n" + call).build().run().assertSucceeded();
        return TestSql.strings(ds, "select d::text from (select * from " + model + ") as s(d) order by 1");
    }

    @Test
    void daysWeeksMonthsYearsAndHoursAreTheRowsDbtGives(DataSource ds) {
        List<String> days = spine(ds, "ds.days", "{{ dbt_utils.date_spine(datepart=\"day\","
                + " start_date=\"cast('2024-01-01' as date)\", end_date=\"cast('2024-02-01' as date)\") }}");
        assertThat(days).hasSize(31).startsWith("2024-01-01 00:00:00").endsWith("2024-01-31 00:00:00");
        assertThat(TestSql.strings(ds, "select column_name || ' ' || data_type from information_schema.columns"
                + " where table_schema = 'ds' and table_name = 'days'")).containsExactly("date_day timestamp without time zone");

        // Wednesday to a Tuesday four weeks on: dbt's week datediff counts 4 (27 / 7 = 3, plus one for the later weekday)
        assertThat(spine(ds, "ds.weeks", "{{ dbt.date_spine('week', \"date '2024-01-03'\", \"date '2024-01-30'\") }}"))
                .containsExactly("2024-01-03 00:00:00", "2024-01-10 00:00:00", "2024-01-17 00:00:00", "2024-01-24 00:00:00");
        // each month is the start plus k months (PostgreSQL clamps the 31st), not the previous row plus one
        assertThat(spine(ds, "ds.months", "{{ dbt_utils.date_spine('month', \"date '2024-01-31'\", \"date '2024-06-01'\") }}"))
                .containsExactly("2024-01-31 00:00:00", "2024-02-29 00:00:00", "2024-03-31 00:00:00", "2024-04-30 00:00:00",
                        "2024-05-31 00:00:00");
        assertThat(spine(ds, "ds.years", "{{ dbt_utils.date_spine('year', \"date '2020-06-01'\", \"date '2023-01-01'\") }}"))
                .containsExactly("2020-06-01 00:00:00", "2021-06-01 00:00:00", "2022-06-01 00:00:00");
        assertThat(spine(ds, "ds.hours", "{{ dbt_utils.date_spine('hour', \"timestamp '2024-03-01 22:30'\","
                + " \"timestamp '2024-03-02 01:00'\") }}"))
                .containsExactly("2024-03-01 22:30:00", "2024-03-01 23:30:00", "2024-03-02 00:30:00");
        // an end not after the start gives no rows (dbt refuses to compile such a spine)
        assertThat(spine(ds, "ds.none", "{{ dbt_utils.date_spine('day', \"date '2024-01-02'\", \"date '2024-01-01'\") }}"))
                .isEmpty();
    }

    @Test
    void aSpineIsAQueryInTheModelAndBadCallsAreRefusedAtBuild(DataSource ds) {
        TransformProject.builder(ds).model("ds2.calendar", """
                {{ config(materialized='table') }}
                with spine as ({{ dbt_utils.date_spine('day', "cast('2024-02-27' as date)", "cast('2024-03-02' as date)") }})
                select cast(date_day as date) as d, extract(isodow from date_day) as dow from spine""").build().run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select d || ' ' || dow from ds2.calendar order by d"))
                .containsExactly("2024-02-27 2", "2024-02-28 3", "2024-02-29 4", "2024-03-01 5");

        for (String[] bad : new String[][] {
            {"{{ dbt_utils.date_spine('quarter', \"date '2024-01-01'\", \"date '2025-01-01'\") }}", "datepart 'quarter' is not one of"},
            {"{{ dbt_utils.date_spine('day', \"date '2024-01-01'\") }}", "end_date is required"},
            {"{{ dbt_utils.date_spine(datepart='day', \"date '2024-01-01'\", \"date '2025-01-01'\") }}", "by position before any by name"},
            {"{{ dbt_utils.date_spine('day', start=\"date '2024-01-01'\", end_date=\"x\") }}", "unknown argument 'start'"},
            {"{{ dbt_utils.date_spine('day; drop table x', \"date '2024-01-01'\", \"date '2025-01-01'\") }}", "is not one of"},
            // dbt-postgres' datediff compares the datepart as written, so dbt fails on these
            {"{{ dbt_utils.date_spine('DAY', \"date '2024-01-01'\", \"date '2025-01-01'\") }}", "datepart 'DAY' is not one of"},
            {"{{ dbt.date_spine(datepart=' month', start_date=\"date '2024-01-01'\", end_date=\"date '2025-01-01'\") }}",
                "datepart ' month' is not one of year, month, week, day, hour, minute, second, millisecond, microsecond (written in"
                    + " lower case, without spaces, as dbt-postgres' datediff compares it)"},
        }) {
            assertThatThrownBy(() -> TransformProject.builder(ds).model("ds2.bad", "select 1 as x from\n(" + bad[0] + ") s").build())
                    .isInstanceOf(BadInputException.class).hasMessageContaining("model ds2.bad line 2")
                    .hasMessageContaining(bad[1]);
        }
    }
}
