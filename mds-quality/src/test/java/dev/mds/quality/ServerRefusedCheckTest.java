package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A check the server refuses to run (a comparison of text with a number, unique on a json column) is an ERROR whose
 * message names the table, the column and the check, and the other checks of the same table still report.
 */
@MdsPostgres
class ServerRefusedCheckTest {

    private static Map<String, Status> statuses(QualityReport r) {
        Map<String, Status> m = new LinkedHashMap<>();
        r.checks().forEach(c -> m.put(c.id(), c.status()));
        return m;
    }

    @Test
    void aCheckTheServerCannotRunNamesTableColumnAndCheckAndTheOthersStillReport(DataSource ds) {
        sql(ds, "create table refused (id int, name text, payload json, amount int)",
                "insert into refused values (1, 'a', '{\"a\": 1}', 5), (2, 'b', '{\"a\": 1}', 50), (3, null, '[]', 7)");
        QualityReport r = QualitySuite.on(ds).samples(0).table("refused", t -> t
                .notNull("name")
                .range("name", 1, 10)                 // text < integer: the server has no such operator
                .range("amount", 1, 10)
                .acceptedValues("id", 1, 2, 3)
                .unique("payload")                    // json has no equality operator
                .unique("id")
                .expression("positive", "id > 0"))
                .run();
        assertThat(statuses(r)).containsExactly(
                Map.entry("not_null_name", Status.FAIL),
                Map.entry("range_name", Status.ERROR),
                Map.entry("range_amount", Status.FAIL),
                Map.entry("accepted_values_id", Status.PASS),
                Map.entry("unique_payload", Status.ERROR),
                Map.entry("unique_id", Status.PASS),
                Map.entry("positive", Status.PASS));
        assertThat(r.check("public.refused", "range_amount").orElseThrow().failingRows()).isEqualTo(1);
        CheckResult range = r.check("public.refused", "range_name").orElseThrow();
        assertThat(range.message()).contains("range_name", "public.refused", "\"name\"", "text", "operator does not exist");
        CheckResult unique = r.check("public.refused", "unique_payload").orElseThrow();
        assertThat(unique.message()).contains("unique_payload", "public.refused", "\"payload\"", "json",
                "could not identify an equality operator");
    }
}
