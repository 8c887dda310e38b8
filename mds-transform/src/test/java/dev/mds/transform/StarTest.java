package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** {@code dbt_utils.star()}: the columns of a ref() or source(), read from the catalog when the model runs. */
@MdsPostgres
class StarTest {
    @Test
    void starListsTheColumnsOfTheRelationButTheExceptedOnesAsItIsWhenTheModelRuns(DataSource ds) {
        TableFixture.on(ds, "st_src.orders").columns("id int", "\"Amount\" numeric", "_loaded_at timestamptz", "note text")
                .rows(row(1, 10, null, "a"));
        TransformProject project = TransformProject.builder(ds).sourceSchema("shop", "st_src")
                .model("st.stg_orders", "select {{ dbt_utils.star(from=source('shop', 'orders'), except=['_LOADED_AT']) }}"
                        + " from {{ source('shop', 'orders') }}")
                .model("st.orders", """
                        {{ config(materialized='table') }}
                        select {{ dbt_utils.star(ref('st.stg_orders'), relation_alias='o', prefix='order_') }}, 1 as one
                        from {{ ref('st.stg_orders') }} o""")
                .build();
        assertThat(project.sql()).anyMatch(s -> s.contains("select \"id\",\n  \"Amount\",\n  \"note\" from \"st_src\".\"orders\""))
                // not built yet when sql() reads the catalog
                .anyMatch(s -> s.contains("select * /* dbt_utils.star(): the columns of \"st\".\"stg_orders\" once it is built */"));
        project.run().assertSucceeded();
        assertThat(Db.columns(ds, "st", "stg_orders")).containsExactly("id", "Amount", "note");
        assertThat(Db.columns(ds, "st", "orders")).containsExactly("order_id", "order_Amount", "order_note", "one");
        assertThat(TestSql.strings(ds, "select \"order_Amount\" || order_note from st.orders")).containsExactly("10a");

        // a column added at the source is picked up by the next run, as dbt's star would
        TestSql.sql(ds, "alter table st_src.orders add column status text default 'new'");
        project.run().assertSucceeded();
        assertThat(Db.columns(ds, "st", "orders")).containsExactly("order_id", "order_Amount", "order_note", "order_status", "one");
    }

    @Test
    void quoteIdentifiersFalseWritesTheNamesAsTheyAre(DataSource ds) {
        TableFixture.on(ds, "st_q.t").columns("a int", "b int").rows(row(1, 2));
        TransformProject.builder(ds).sourceSchema("q", "st_q")
                .model("st_q2.v", "select {{ dbt_utils.star(from=source('q', 't'), quote_identifiers=False, suffix='_x') }}"
                        + " from {{ source('q', 't') }}").build().run().assertSucceeded();
        assertThat(Db.columns(ds, "st_q2", "v")).containsExactly("a_x", "b_x");
    }

    @Test
    void aStarWithNothingLeftFailsTheModelNamingItAndBadCallsAreRefusedAtBuild(DataSource ds) {
        TableFixture.on(ds, "st_e.t").columns("a int").rows(row(1));
        RunResults results = TransformProject.builder(ds).sourceSchema("e", "st_e")
                .model("st_e2.v", "select\n{{ dbt_utils.star(from=source('e', 't'), except=['A']) }} from {{ source('e', 't') }}")
                .build().run();
        assertThat(results.model("st_e2.v").error().orElseThrow()).contains("line 2").contains("every column is in except [A]");

        for (String call : new String[] {"dbt_utils.star()", "dbt_utils.star(from='x')", "dbt_utils.star(from=ref('st.a'), colour='red')",
                "dbt_utils.star(from=ref('st.a'), except='a')", "dbt_utils.star(from=ref('st.a'), relation_alias='a b')"}) {
            assertThatThrownBy(() -> TransformProject.builder(ds).model("st.a", "select 1 as x")
                    .model("st.b", "select\n{{ " + call + " }} from {{ ref('st.a') }}").build())
                    .as(call).isInstanceOf(BadInputException.class).hasMessageContaining("model st.b line 2")
                    .hasMessageContaining("dbt_utils.star(from=");
        }
        assertThatThrownBy(() -> TransformProject.builder(ds).model("st.a", "{{ config(materialized='ephemeral') }}\nselect 1 as x")
                .model("st.b", "select\n{{ dbt_utils.star(from=ref('st.a')) }} from {{ ref('st.a') }}").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("line 2").hasMessageContaining("ephemeral");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("st.a", "select 1 as x")
                .model("st.b", "{{ config(materialized='ephemeral') }}\nselect {{ dbt_utils.star(from=ref('st.a')) }} from {{ ref('st.a') }}")
                .model("st.c", "select * from {{ ref('st.b') }}").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("ephemeral model");
    }
}
