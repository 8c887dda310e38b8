package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A name the stage needs for itself that a derived column already has is refused as a derived column's. */
@MdsPostgres
class StageDerivedNameClashTest {
    /**
     * A hash column, or the stage's own load_date, named like a derived column is refused saying it is a derived
     * column of the stage. Before, the refusal said the SOURCE had the column ('hash column 'h' is already a column of
     * raw.dnc', 'the source already has a column 'load_date''), which the user looking at raw.dnc could not find.
     */
    @Test
    void aNameTakenByADerivedColumnIsRefusedAsTheDerivedColumns(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create table raw.dnc (email text, ld timestamptz)");
        Vault vault = Vault.on(ds);
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.dnc").into("stg.dnc1").loadDate("ld").recordSource("crm")
                .derived("user_hk", "lower(email)").hashKey("user_hk", "email"))).isInstanceOf(MdsException.class)
                .hasMessage("stage stg.dnc1: hash column 'user_hk' is already a derived column of the stage");
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.dnc").into("stg.dnc2").loadDate("ld").recordSource("crm")
                .derived("load_date", "ld::date").hashKey("user_hk", "email"))).isInstanceOf(MdsException.class)
                .hasMessage("stage stg.dnc2: derived column 'load_date' has the name of the column the stage adds;"
                        + " name it otherwise");
        // a derived column named load_date that IS the load date column stays allowed
        vault.createStage(Stage.of("raw.dnc").into("stg.dnc4").loadDate("load_date").recordSource("crm")
                .derived("load_date", "ld::date").hashKey("user_hk", "email"));
        assertThatThrownBy(() -> vault.createStage(Stage.of("raw.dnc").into("stg.dnc3").loadDate("ld").recordSource("crm")
                .derived("email2", "email").hashKey("email", "email2"))).isInstanceOf(MdsException.class)
                .hasMessage("stage stg.dnc3: hash column 'email' is already a column of raw.dnc");
    }
}
