package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** {@code {{ this }}}'s attributes, as dbt's Relation has them: database, schema, identifier (name, table). */
@MdsPostgres
class ThisRelationTest {

    @Test
    void thisAttributesAreTheRelationsPartsAsWrittenInModelsAndHooks(DataSource ds) {
        String database = TestSql.strings(ds, "select current_database()").get(0);
        String model = """
                {{ config(materialized='table', schema='marts', alias='Dim_Customers',
                          post_hook="comment on table {{ this }} is '{{ this.schema }}.{{ this.identifier }}'") }}
                select '{{ this.database }}' as db, '{{ this.schema }}' as schema_name,
                       '{{ this.identifier }}' as identifier, '{{ this.name }}' as name, '{{ this.table }}' as tbl,
                       '{{ this.schema ~ "." ~ this.name | lower }}' as joined,
                       {{ 'true' if this.name == 'Dim_Customers' else 'false' }} as is_dim,
                       (select count(*) from information_schema.tables where table_catalog = '{{ this.database }}'
                        and table_schema = '{{ this.schema }}' and table_name = '{{ this.identifier }}') as existed""";
        TransformProject project = TransformProject.builder(ds).model("staging.customers", model).build();

        assertThat(project.sql()).anyMatch(sql -> sql.contains("select '" + database + "' as db, 'marts' as schema_name"));
        project.run().assertSucceeded();
        project.run().assertSucceeded();

        assertThatTable(ds, "marts.\"Dim_Customers\"").containsExactlyInAnyOrder(row(database, "marts", "Dim_Customers",
                "Dim_Customers", "Dim_Customers", "marts.dim_customers", true, 1L));
        assertThat(TestSql.strings(ds, "select obj_description('marts.\"Dim_Customers\"'::regclass)"))
                .containsExactly("marts.Dim_Customers");
    }

    @Test
    void anUnknownAttributeOfThisIsRefusedNamingTheLine(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("th.x", "select 1\nfrom {{ this.path }}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model th.x line 2: {{ this.path }}: this has no attribute 'path' (it has database, schema,"
                        + " identifier, name and table)");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("th.e",
                "{{ config(materialized='ephemeral') }}\nselect '{{ this.schema }}' as s").build())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model th.e line 2: {{ this }} in an ephemeral model");
    }
}
