package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import java.time.LocalDate;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A PIT over a hub or satellite whose load_date is text (tables made by hand, or by AutomateDV's dbt from a stage
 * whose load date was text): as text, load dates compare by their characters, so the rows "in effect" as of a date
 * are not those of that date; the PIT refuses such tables, as every stage-fed structure refuses a text load date.
 */
@MdsPostgres
class PitLoadDateTypeTest {

    /**
     * createTable() and load() of a PIT over a hub with a text load_date, and over a timestamptz hub with a satellite
     * whose load_date is text, are refused naming the PIT, the table and the column, creating and writing nothing (the
     * load into a PIT table made by hand).
     * Before, the PIT was created with a text as_of_date, and key 1, whose satellite row was loaded on '1/10/2024',
     * was given that row as of 2024-01-09 ('1/10/2024' &lt;= '2024-01-09' as text).
     */
    @Test
    void aHubOrSatelliteWhoseLoadDateIsTextIsRefused(DataSource ds) {
        sql(ds, "create schema if not exists dds",
                "create table dds.t_hub (hk bytea not null, id text, load_date text not null, record_source text not null)",
                "create table dds.t_sat (hk bytea not null, hd bytea not null, load_date text not null, record_source text not null)",
                "insert into dds.t_hub values (decode(md5('1'), 'hex'), '1', '1/10/2024', 'crm')",
                "insert into dds.t_sat values (decode(md5('1'), 'hex'), decode(md5('a'), 'hex'), '1/10/2024', 'crm')",
                "create table dds.z_hub (hk bytea not null, id text, load_date timestamptz not null, record_source text not null)");
        Vault vault = Vault.on(ds);
        Pit textHub = vault.pit("dds.t_pit").hub("dds.t_hub", "hk").satellites("dds.t_sat").asOf(List.of(LocalDate.of(2024, 1, 9)));
        assertThatThrownBy(textHub::createTable).isInstanceOf(MdsException.class).hasMessageContaining("pit dds.t_pit")
                .hasMessageContaining("'load_date' of dds.t_hub is text");
        // a PIT table made by hand (as an earlier createTable made it): the load is refused too, writing nothing
        sql(ds, "create table dds.t_pit (hk bytea not null, as_of_date text not null, t_sat_pk bytea not null,"
                + " t_sat_ldts text not null, primary key (hk, as_of_date))");
        assertThatThrownBy(textHub::load).isInstanceOf(MdsException.class).hasMessageContaining("pit dds.t_pit")
                .hasMessageContaining("'load_date' of dds.t_hub is text");
        Pit textSat = vault.pit("dds.z_pit").hub("dds.z_hub", "hk").satellites("dds.t_sat").asOf(List.of(LocalDate.of(2024, 1, 9)));
        assertThatThrownBy(textSat::createTable).isInstanceOf(MdsException.class).hasMessageContaining("pit dds.z_pit")
                .hasMessageContaining("'load_date' of dds.t_sat is text");
        assertThat(strings(ds, "select count(*) from dds.t_pit")).containsExactly("0");
        assertThat(strings(ds, "select count(*) from pg_class where relname = 'z_pit'")).containsExactly("0");
    }
}
