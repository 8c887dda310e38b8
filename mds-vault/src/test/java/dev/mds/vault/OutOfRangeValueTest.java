package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A stage value a table's narrower numeric column cannot hold ({@code numeric} into {@code numeric(5,2)},
 * {@code bigint} into {@code integer}) fails the load naming the structure, the stage, the column, the row's key
 * and the value, as a value too long for a {@code varchar(n)} does; nothing is written.
 */
@MdsPostgres
class OutOfRangeValueTest {
    /**
     * A satellite, a multi-active satellite (a child key and a payload) and a link. Before, the load failed with
     * PostgreSQL's 'numeric field overflow' or 'integer out of range' after the structure's name, naming no column,
     * so a user of a wide stage had to guess which of its columns held the value.
     */
    @Test
    void aValueTheTablesNumericColumnCannotHoldIsNamedWithItsStageColumnAndKey(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table raw.oor (email text, amount numeric, qty bigint, ld timestamptz)",
                "insert into raw.oor values ('a@x', 1.5, 1, '2024-01-01Z'), ('b@x', 123456.5, 2, '2024-01-01Z')",
                "create table dds.oor_sat (user_hk bytea not null, hd bytea not null, qty int, amount numeric(5,2),"
                        + " load_date timestamptz not null, record_source text not null, primary key (user_hk, load_date))",
                "create table dds.oor_ma (user_hk bytea not null, qty int not null, hd bytea not null, amount numeric,"
                        + " load_date timestamptz not null, record_source text not null, primary key (user_hk, qty, load_date))",
                "create table dds.oor_link (l_hk bytea primary key, user_hk bytea, a_hk bytea, amount numeric(5,2),"
                        + " load_date timestamptz not null, record_source text not null)");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw.oor").into("stg.oor").loadDate("ld").recordSource("crm").hashKey("user_hk", "email")
                .hashKey("a_hk", "amount").hashKey("l_hk", "email", "amount").hashDiff("hd", "amount", "qty");
        vault.createStage(stage);
        String bKey = strings(ds, "select user_hk::text from stg.oor where email = 'b@x'").get(0);
        String lKey = strings(ds, "select l_hk::text from stg.oor where email = 'b@x'").get(0);
        Satellite sat = vault.satellite("dds.oor_sat").parent("user_hk").hashDiff("hd").payload("qty", "amount").from(stage);
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("satellite dds.oor_sat: load failed: ")
                .hasMessageContaining("numeric field overflow")
                .hasMessageContaining("\n  stage stg.oor (from raw.oor) column 'amount' holds a value numeric(5,2) cannot hold (user_hk "
                        + bKey + "): '123456.5'")
                .message().doesNotContain("column 'qty'");
        Link link = vault.link("dds.oor_link").hashKey("l_hk").refs("user_hk", "a_hk").payload("amount").from(stage);
        assertThatThrownBy(link::load).hasMessageStartingWith("link dds.oor_link: load failed: ")
                .hasMessageContaining("stg.oor (from raw.oor) column 'amount' holds a value numeric(5,2) cannot hold (l_hk "
                        + lKey + "): '123456.5'");
        sql(ds, "update raw.oor set amount = 1, qty = 5000000000 where email = 'b@x'");
        assertThatThrownBy(sat::load).hasMessageContaining("integer out of range")
                .hasMessageContaining("stg.oor (from raw.oor) column 'qty' holds a value integer cannot hold (user_hk "
                        + bKey + "): '5000000000'");
        MultiActiveSatellite ma = vault.multiActiveSatellite("dds.oor_ma").parent("user_hk").childKeys("qty").hashDiff("hd")
                .payload("amount").from(stage);
        assertThatThrownBy(ma::load).hasMessageStartingWith("multi-active satellite dds.oor_ma: load failed: ")
                .hasMessageContaining("stg.oor (from raw.oor) column 'qty' holds a value integer cannot hold (user_hk "
                        + bKey + "): '5000000000'");
        assertThat(strings(ds, "select (select count(*) from dds.oor_sat) + (select count(*) from dds.oor_ma)"
                + " + (select count(*) from dds.oor_link)")).containsExactly("0");
    }
}
