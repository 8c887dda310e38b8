package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import java.util.List;
import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A satellite, a multi-active satellite and a transactional link order a key's stage rows of one load date by their
 * effective-from (a satellite and a multi-active satellite keep the latest); as text, effective-froms go by their
 * characters ({@code '2024-01-01 9:00'} after {@code '2024-01-01 10:00'}), so an effective-from that is no date,
 * timestamp or timestamptz is refused, as an effectivity satellite refuses it.
 */
@MdsPostgres
class EffectiveFromTypeTest {

    /**
     * createTable() of each refuses a text effective-from column of the stage, naming the structure, the column and
     * its type, and creates nothing; a satellite load into a table created by hand with a text effective_from is
     * refused likewise, writing nothing. Before, the satellite was created with a text effective_from and, of key 1's
     * two rows of one load date (Amy at '2024-01-01 9:00', Zed at '2024-01-01 10:00'), stored Amy, the latest by text,
     * where Zed is the key's state at the end of the batch.
     */
    @Test
    void aTextEffectiveFromIsRefusedNamingTheColumn(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table raw.people (id text, shop text, name text, eff text, ld timestamptz)",
                "insert into raw.people values ('1', 's', 'Amy', '2024-01-01 9:00', '2024-01-02Z'),"
                        + " ('1', 's', 'Zed', '2024-01-01 10:00', '2024-01-02Z')");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.people").into("stg.people").loadDate("ld").recordSource("crm")
                .hashKey("hk", "id").hashKey("shop_hk", "shop").hashKey("t_hk", "id", "eff").hashDiff("hd", "name");
        vault.createStage(stage);
        List<Structure> structures = List.of(
                vault.satellite("dds.p_sat").parent("hk").hashDiff("hd").payload("name").effectiveFrom("eff").from(stage),
                vault.multiActiveSatellite("dds.p_ma").parent("hk").childKeys("shop").hashDiff("hd").payload("name")
                        .effectiveFrom("eff").from(stage),
                vault.transactionalLink("dds.p_tlink").hashKey("t_hk").refs("hk", "shop_hk").effectiveFrom("eff").from(stage));
        for (Structure s : structures) {
            assertThatThrownBy(s::createTable).as(s.name()).isInstanceOf(MdsException.class)
                    .hasMessageContaining(s.name())
                    .hasMessageContaining("effective-from column 'eff' of stg.people is text")
                    .hasMessageContaining("date, timestamp or timestamptz");
        }
        assertThat(strings(ds, "select count(*) from pg_class where relnamespace = 'dds'::regnamespace")).containsExactly("0");

        sql(ds, "create table dds.p_sat (hk bytea not null, hd bytea not null, name text, effective_from text,"
                + " load_date timestamptz not null, record_source text not null, primary key (hk, load_date))");
        Satellite sat = (Satellite) structures.get(0);
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class)
                .hasMessageContaining("satellite dds.p_sat").hasMessageContaining("effective-from column 'effective_from' of dds.p_sat is text");
        assertThat(strings(ds, "select count(*) from dds.p_sat")).containsExactly("0");
    }
}
