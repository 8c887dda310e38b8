package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A failure tells apart values that are shown alike but differ, by their types. */
@MdsPostgres
class LookalikeValuesTest {
    @Test
    void aMissingRowShownAsAFoundOneIsExplainedByTheTypesOfItsValuesAlsoInOneColumn(DataSource ds) {
        assertThatThrownBy(() -> assertThatQuery(ds, "select v from (values ('1'::jsonb, 1), ('null'::jsonb, 2)) t (v, o) order by o")
                .containsExactly(row(1), row((Object) null)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("(1) is nearest to found (1), which differs in column v: expected 1 (Integer), found 1 (Jsonb)")
                .hasMessageContaining("(null) is nearest to found (null), which differs in column v: expected null, found null (Jsonb)");
        assertThatThrownBy(() -> assertThatQuery(ds, "select '1'::jsonb as v, 'null'::json as w").containsExactly(row(1, null)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("(1, null) is nearest to found (1, 'null'), which differs in column v: expected 1 (Integer),"
                        + " found 1 (Jsonb); column w: expected null, found 'null' (PGobject)");
    }

    @Test
    void aColumnsValueShownAsAMissingOneIsExplainedByTheirTypes(DataSource ds) {
        String nl = System.lineSeparator();
        assertThatThrownBy(() -> assertThatQuery(ds, "select v from (values ('1'::jsonb), ('null'::jsonb), ('\"x\"')) t (v)")
                .column("v").containsOnly(1, null, "\"x\""))
                .isInstanceOf(AssertionError.class)
                .hasMessageEndingWith("but has unexpected values [1, null]" + nl + "and lacks [1, null]" + nl
                        + "Values shown alike: expected 1 (Integer), found 1 (Jsonb); expected null, found null (Jsonb)");
        // shown differently: no note
        assertThatThrownBy(() -> assertThatQuery(ds, "select 2 as v").column("v").containsOnly(3))
                .isInstanceOf(AssertionError.class).hasMessageEndingWith("and lacks [3]");
    }
}
