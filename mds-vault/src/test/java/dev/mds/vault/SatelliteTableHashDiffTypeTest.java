package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A satellite table (made by hand) whose hashdiff column is not {@code bytea} is refused by a load before anything is
 * written, naming the satellite and the column, as its parent key is, and as a multi-active satellite's hashdiff is.
 */
@MdsPostgres
class SatelliteTableHashDiffTypeTest {
    /**
     * Before, the first load into the empty table stored each bytea hashdiff as its text ('\x1a2b…', PostgreSQL's
     * assignment of any type to text), and the next load failed with 'UNION types bytea and text cannot be matched'.
     */
    @Test
    void aTableHashDiffOfAnotherTypeThanByteaIsRefusedNamingIt(DataSource ds) throws Exception {
        raw(ds, "raw.st_hd", row("1", "a@x", "Ann", 30, day(1)));
        Vault vault = Vault.on(ds);
        Stage stage = customers("raw.st_hd", "crm");
        vault.createStage(stage);
        sql(ds, "create schema if not exists dds", "create table dds.st_hd (customer_hk bytea not null,"
                + " customer_hashdiff text not null, name text, load_date timestamptz not null, record_source text not null,"
                + " primary key (customer_hk, load_date))");
        Satellite sat = vault.satellite("dds.st_hd").parent("customer_hk").hashDiff("customer_hashdiff").payload("name")
                .from(stage);
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class)
                .hasMessageContaining("satellite dds.st_hd")
                .hasMessageContaining("column 'customer_hashdiff' of dds.st_hd is text, expected bytea");
        assertThat(strings(ds, "select count(*) from dds.st_hd")).containsExactly("0");
    }
}
