package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestSql;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** {@code dbt_utils.generate_surrogate_key}: the same keys as dbt_utils on dbt-postgres. */
@MdsPostgres
class SurrogateKeyTest {
    /** dbt_utils' rule, computed here: the fields' text (NULL as its placeholder) joined by '-', MD5 in hex. */
    private static String dbtUtilsKey(String... fields) throws Exception {
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            joined.append(i == 0 ? "" : "-").append(fields[i] == null ? "_dbt_utils_surrogate_key_null_" : fields[i]);
        }
        byte[] md5 = MessageDigest.getInstance("MD5").digest(joined.toString().getBytes(StandardCharsets.UTF_8));
        return String.format("%032x", new BigInteger(1, md5));
    }

    @Test
    void keysAreDbtUtilsKeysNullsAndExpressionsIncluded(DataSource ds) throws Exception {
        TableFixture.on(ds, "sk_src.orders").columns("id int", "day date", "note text")
                .rows(row(1, java.time.LocalDate.of(2024, 1, 31), "Zürich"), row(2, null, null));
        TransformProject project = TransformProject.builder(ds).model("sk.orders", """
                {{ config(materialized='table') }}
                select id, {{ dbt_utils.generate_surrogate_key(['id', 'day', "upper(note)"]) }} as order_key,
                    {{dbt_utils.generate_surrogate_key(['id'])}} as id_key
                from sk_src.orders""").build();
        assertThat(project.sql()).anyMatch(s -> s.contains("md5(cast(coalesce(cast(id as varchar),"
                + " '_dbt_utils_surrogate_key_null_') || '-' || coalesce(cast(day as varchar), '_dbt_utils_surrogate_key_null_')"));
        project.run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select order_key || ' ' || id_key from sk.orders order by id")).containsExactly(
                dbtUtilsKey("1", "2024-01-31", "ZÜRICH") + " " + dbtUtilsKey("1"),
                dbtUtilsKey("2", null, null) + " " + dbtUtilsKey("2"));
    }

    @Test
    void anythingButOneListOfColumnsIsRefusedWithTheLine(DataSource ds) {
        for (String call : new String[] {"dbt_utils.generate_surrogate_key()", "dbt_utils.generate_surrogate_key([])",
                "dbt_utils.generate_surrogate_key('id')", "dbt_utils.generate_surrogate_key(['id'], ['x'])",
                "dbt_utils.generate_surrogate_key([''])"}) {
            assertThatThrownBy(() -> TransformProject.builder(ds).model("sk.bad", "select\n{{ " + call + " }} as k").build())
                    .as(call).isInstanceOf(BadInputException.class).hasMessageContaining("model sk.bad line 2")
                    .hasMessageContaining("one list of column names");
        }
        assertThatThrownBy(() -> TransformProject.builder(ds).model("sk.bad", "select {{ dbt_utils.pivot('x', ['a']) }}").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("unknown tag");
    }
}
