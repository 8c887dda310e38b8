package dev.mds.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sql.DataSource;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * src/test/resources/jinja_conformance/cases.tsv: 700 templates (expressions with every operator and filter mds reads;
 * a macro and a for with if/elif/else, prints, comments, random white space and trim markers), each with the text
 * Jinja 3.1.6 renders from it, or {@code !refused} where mds refuses it at {@code build()}.
 */
@MdsPostgres
class JinjaConformanceTest {

    @Test
    void everyCaseCompilesToJinjasTextOrIsRefused(DataSource ds) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("src/test/resources/jinja_conformance/cases.tsv"));
        SoftAssertions softly = new SoftAssertions();
        int cases = 0;
        for (String line : lines) {
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            cases++;
            String template = line.substring(0, line.indexOf('\t')).replace("\\n", "\n");
            String expected = line.substring(line.indexOf('\t') + 1).replace("\\n", "\n");
            // the markers touch the template, so no trim marker reaches past them
            String model = "select 1 /*START" + template + "END*/";
            if (expected.equals("!refused")) {
                softly.assertThatThrownBy(() -> TransformProject.builder(ds).model("jc.x", model).build())
                        .as(template).isInstanceOf(BadInputException.class).hasMessageStartingWith("model jc.x line ");
            } else {
                String sql = TransformProject.builder(ds).model("jc.x", model).build().sql().stream()
                        .filter(s -> s.contains("/*START")).findFirst().orElseThrow();
                softly.assertThat(sql.substring(sql.indexOf("/*START") + 7, sql.lastIndexOf("END*/"))).as(template)
                        .isEqualTo(expected);
            }
        }
        assertThat(cases).isEqualTo(744);
        softly.assertAll();
    }
}
