package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dbt's {@code config(schema='…')} and {@code config(alias='…')}: the relation a model is built as, while ref()s and
 * selectors still name the model.
 */
@MdsPostgres
class AliasSchemaConfigTest {
    @Test
    void aModelIsBuiltAsItsSchemaAndAliasWhileRefsAndSelectorsNameTheModel(DataSource ds, @TempDir Path dir) throws Exception {
        TableFixture.on(ds, "al_src.customers").columns("id int", "name text").rows(row(1, "Ann"), row(2, "Bob"));
        Files.createDirectories(dir.resolve("staging"));
        Files.createDirectories(dir.resolve("marts"));
        Files.writeString(dir.resolve("staging/stg_customers.sql"), """
                {{ config(schema='al_stage', alias='customers_v2') }}
                select id, upper(name) as name from al_src.customers""");
        Files.writeString(dir.resolve("marts/dim_customers.sql"), """
                {{ config(materialized='table', alias='Customers', post_hook="comment on table {{ this }} is 'dim'") }}
                select id, name from {{ ref('staging.stg_customers') }}""");
        Files.writeString(dir.resolve("marts/customer_count.sql"), """
                {{ config(materialized='incremental', unique_key='n', schema='al_report') }}
                select count(*) as n from {{ ref('dim_customers') }}
                {% if is_incremental() %} having count(*) > (select max(n) from {{ this }}) {% endif %}""");
        Files.writeString(dir.resolve("marts/names.sql"), """
                {{ config(materialized='ephemeral', alias='customer_names') }}
                select name from {{ ref('dim_customers') }}""");
        Files.writeString(dir.resolve("marts/name_list.sql"), """
                {{ config(materialized='table') }}
                select string_agg(name, ',' order by name) as names from {{ ref('names') }}""");
        java.util.List<String> audited = new java.util.ArrayList<>();
        TransformProject project = TransformProject.builder(ds).modelsFrom(dir)
                // an audit names the model, as a ref() does
                .audit("marts.dim_customers", (c, relation) -> audited.add(relation.toString()))
                .build();

        assertThat(String.join("\n", project.sql())).contains("\"al_stage\".\"customers_v2\"")
                .contains("from \"al_stage\".\"customers_v2\"").contains("\"marts\".\"Customers\"")
                .contains("\"al_report\".\"customer_count__mds_tmp\"").doesNotContain("\"staging\".\"stg_customers\"");
        RunResults results = project.run();
        results.assertSucceeded();
        assertThat(TestSql.strings(ds, "select name from al_stage.customers_v2 order by id")).containsExactly("ANN", "BOB");
        assertThat(TestSql.strings(ds, "select name from marts.\"Customers\" order by id")).containsExactly("ANN", "BOB");
        assertThat(TestSql.strings(ds, "select obj_description('marts.\"Customers\"'::regclass)")).containsExactly("dim");
        assertThat(TestSql.strings(ds, "select n::text from al_report.customer_count")).containsExactly("2");
        // nothing is built under the models' own names
        assertThat(TestSql.strings(ds, "select count(*)::text from pg_class where relname in ('stg_customers', 'dim_customers')"))
                .containsExactly("0");
        assertThat(results.model("al_stage.customers_v2").status()).isEqualTo(ModelStatus.SUCCESS);
        assertThat(audited).containsExactly("marts.\"Customers\"");
        assertThat(TestSql.strings(ds, "select names from marts.name_list")).containsExactly("ANN,BOB");

        // an incremental run reads {{ this }} at its relation
        TestSql.sql(ds, "insert into al_src.customers values (3, 'Cy')");
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select n::text from al_report.customer_count order by n")).containsExactly("2", "3");

        // a selector names the model (as ref() does) or the relation it is built as
        assertThat(project.run(Select.parse("staging.stg_customers+")).models()).extracting(ModelResult::table)
                .extracting(Object::toString)
                .containsExactly("al_stage.customers_v2", "marts.\"Customers\"", "al_report.customer_count", "marts.name_list");
        assertThat(project.run(Select.parse("marts.\"Customers\"")).models()).hasSize(1);
        assertThat(project.run(Select.parse("config.schema:al_report")).models()).extracting(ModelResult::table)
                .extracting(Object::toString).containsExactly("al_report.customer_count");
    }

    @Test
    void twoModelsBuiltAsOneRelationAndBadValuesAreRefusedNamingFileAndLine(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds)
                .model("al.a", "select 1 as x")
                .model("al.b", "\n{{ config(alias='a') }}\nselect 2 as x").build())
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("model al.b line 2").hasMessageContaining("model al.b is built as al.a")
                .hasMessageContaining("which model al.a (model al.a) is");
        assertThatThrownBy(() -> TransformProject.builder(ds)
                .model("al.c", "{{ config(schema='al2') }}\nselect 1 as x")
                .model("al.d", "{{ config(schema='al2', alias='c') }}\nselect 2 as x").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("is built as al2.c")
                .hasMessageContaining("is built as too");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("al.e", "{{ config(alias=['x', 'y']) }} select 1").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("line 1")
                .hasMessageContaining("the value must be one quoted, non-empty name");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("al.f", "{{ config(schema='') }} select 1").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("schema=");
        // two models may trade names: each ref() still finds the model it names
        TransformProject swapped = TransformProject.builder(ds)
                .model("al_s.one", "{{ config(alias='two') }} select 1 as v")
                .model("al_s.two", "{{ config(alias='one') }} select v + 1 as v from {{ ref('al_s.one') }}").build();
        swapped.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select v::text from al_s.two")).containsExactly("1");
        assertThat(TestSql.strings(ds, "select v::text from al_s.one")).containsExactly("2");
    }
}
