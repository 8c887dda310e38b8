package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * AutomateDV's ghost record on PostgreSQL: its {@code binary_ghost} renders {@code CAST('000…0' AS BYTEA)}, which
 * is the text's bytes (32 bytes {@code 0x30} under MD5), not 16 zero bytes. A satellite AutomateDV created and gave
 * its ghost record is loaded by an AUTOMATEDV vault all the same: the ghost is not taken for the table's hash width.
 */
@MdsPostgres
class AutomateDvGhostRecordTest {
    @Test
    void satelliteHoldingAutomateDvsGhostRecordLoadsAndKeepsIt(DataSource ds) throws Exception {
        raw(ds, "raw.adv_ghost", row("1", "a@x", "Ann", 30, day(1)), row("2", "b@x", "Bob", 40, day(1)));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = customers("raw.adv_ghost", "crm");
        vault.createStage(stage);
        // the satellite as AutomateDV made it (no width check), its ghost record first
        sql(ds, "create schema if not exists dds");
        sql(ds, "create table dds.adv_sat (customer_hk bytea not null, customer_hashdiff bytea not null, email text,"
                + " name text, age int, load_date timestamptz not null, record_source text not null,"
                + " primary key (customer_hk, load_date))");
        sql(ds, "insert into dds.adv_sat values (CAST('00000000000000000000000000000000' AS BYTEA),"
                + " CAST('00000000000000000000000000000000' AS BYTEA), NULL, NULL, NULL, '1900-01-01 00:00:00+00', 'AUTOMATE_DV_SYSTEM')");
        Satellite sat = vault.satellite("dds.adv_sat").parent("customer_hk").hashDiff("customer_hashdiff")
                .payload("email", "name", "age").from(stage);
        assertThat(sat.load().rowsInserted()).isEqualTo(2);
        assertThat(sat.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select octet_length(customer_hk) || ' ' || record_source from dds.adv_sat order by load_date, name"))
                .containsExactly("32 AUTOMATE_DV_SYSTEM", "16 crm", "16 crm");
    }
}
