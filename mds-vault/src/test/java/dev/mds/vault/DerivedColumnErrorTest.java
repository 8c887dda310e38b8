package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A derived column of a stage that PostgreSQL refuses is named, with its expression, among the stage's derived columns. */
@MdsPostgres
class DerivedColumnErrorTest {
    /**
     * Three derived columns, the second over a misspelt column: createStage() and stageSql() name the stage and that
     * column ('derived column 'full_name' does not compile'), and show its expression alone. Before, they said only
     * 'a derived column does not compile', with PostgreSQL's message and the query of all three, so the user looked
     * for the misspelt name through every expression. A stage whose derived columns compile is created as before.
     */
    @Test
    void theDerivedColumnThatDoesNotCompileIsNamed(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create table raw.dce (email text, first text, last text, ld timestamptz)");
        Vault vault = Vault.on(ds);
        Stage bad = Stage.of("raw.dce").into("stg.dce").loadDate("ld").recordSource("crm")
                .derived("mail", "lower(email)").derived("full_name", "first || ' ' || lsat").derived("initial", "left(first, 1)")
                .hashKey("user_hk", "mail");
        assertThatThrownBy(() -> vault.createStage(bad)).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("stage stg.dce: derived column 'full_name' does not compile: ")
                .hasMessageContaining("column \"lsat\" does not exist")
                .hasMessageContaining("in: SELECT (first || ' ' || lsat) AS \"full_name\" FROM \"raw\".\"dce\" AS s LIMIT 0")
                .message().doesNotContain("lower(email)");
        assertThatThrownBy(() -> vault.stageSql(bad))
                .hasMessageStartingWith("stage stg.dce: derived column 'full_name' does not compile: ");
        vault.createStage(Stage.of("raw.dce").into("stg.dce").loadDate("ld").recordSource("crm")
                .derived("mail", "lower(email)").derived("full_name", "first || ' ' || last").hashKey("user_hk", "mail"));
    }
}
