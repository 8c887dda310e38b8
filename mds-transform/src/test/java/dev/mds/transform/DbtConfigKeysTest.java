package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** dbt config keys that dbt projects commonly set: the descriptive ones accepted, the others with dbt's meaning. */
@MdsPostgres
class DbtConfigKeysTest {

    @Test
    void descriptiveKeysAreAcceptedWithNumbersAndBooleansAsDbtWritesThem(DataSource ds) {
        String model = """
                {{ config(
                    materialized='table',
                    tags=['finance', 'nightly'],
                    meta={'owner': 'finance', 'contains_pii': true, 'sla_hours': 4, 'score': -0.5, 'levels': [1, 2]},
                    docs={'show': false, 'node_color': 'gold'},
                    persist_docs={'relation': true, 'columns': true},
                    contract={'enforced': false},
                    access='public',
                    group='finance'
                ) }}
                select 1 as id""";
        TransformProject project = TransformProject.builder(ds).model("dk.t", model).build();

        project.run().assertSucceeded();

        assertThatTable(ds, "dk.t").containsExactlyInAnyOrder(row(1));
        assertThat(project.run(Select.parse("config.access:public")).models()).hasSize(1);
    }

    @Test
    void anEnforcedContractOrAMalformedDescriptiveKeyIsRefusedNamingTheLine(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("dk.c", "select 1 as id\n"
                + "{{ config(materialized='table', contract={'enforced': true}) }}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model dk.c line 2: contract: enforced=true is not supported: an enforced contract checks"
                        + " the columns declared in a model's .yml file, which mds does not read (set enforced to false,"
                        + " or leave contract out)");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("dk.m", "{{ config(meta='finance') }}\nselect 1")
                .build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model dk.m line 1: meta='finance': the value must be a dict: meta={'owner': 'finance'}");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("dk.d", "{{ config(docs={'show': 'no'}) }}\nselect 1")
                .build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model dk.d line 1: docs: 'show' must be true or false (unquoted), not 'no'");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("dk.p",
                "{{ config(persist_docs={'relations': true}) }}\nselect 1").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model dk.p line 1: persist_docs: unknown key 'relations' (supported: relation, columns)");
    }
}
