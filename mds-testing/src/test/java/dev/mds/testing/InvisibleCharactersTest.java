package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A failure shows a string holding characters one cannot see (line breaks, tabs, other white space) escaped. */
@MdsPostgres
class InvisibleCharactersTest {
    @Test
    void aFailureShowsLineBreaksTabsAndOtherInvisibleCharactersEscapedSoThatTheValuesLookDifferent(DataSource ds)
            throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table notes (id int, note text)");
            Sql.execute(c, "insert into notes values (1, E'a\\r\\nb'), (2, E'x\\ty'), (3, E'no\\u00a0break'),"
                    + " (4, E'zero\\u200bwidth'), (5, E'back\\\\slash''s')");
        }
        String n = System.lineSeparator();
        assertThatThrownBy(() -> assertThatTable(ds, "public.notes").columns("note")
                .containsExactlyInAnyOrder(row("a\nb"), row("x    y"), row("no break"), row("zerowidth"), row("back\\slash's")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Missing (expected, not found) 4:" + n + "  (E'a\\nb')" + n + "  ('x    y')" + n
                        + "  ('no break')" + n + "  ('zerowidth')" + n)
                .hasMessageContaining("Unexpected (found, not expected) 4:" + n + "  (E'a\\r\\nb')" + n + "  (E'x\\ty')" + n
                        + "  (E'no\\u00a0break')" + n + "  (E'zero\\u200bwidth')");
        // a string with nothing invisible is shown plain, as a SQL literal: backslashes as they are, a quote doubled
        assertThatThrownBy(() -> assertThatQuery(ds, "select note from notes where id = 5").containsExactly(row("other")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("found ('back\\slash''s')");
        // an escaped value shows backslashes doubled and quotes escaped, so that it reads back as PostgreSQL's E'' text
        assertThatThrownBy(() -> assertThatQuery(ds, "select E'\\\\n\\n' || 'it''s'").containsExactly(row("x")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("found (E'\\\\n\\nit\\'s')");
    }
}
