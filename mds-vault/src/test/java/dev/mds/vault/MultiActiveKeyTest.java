package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A multi-active satellite's table whose primary key (or a unique index) holds one row per key and load date. */
@MdsPostgres
class MultiActiveKeyTest {
    private static Stage phones(DataSource ds, String name) {
        TableFixture.on(ds, "raw." + name).columns("email text", "phone_type text", "phone text", "ld timestamptz")
                .rows(row("a@x", "home", "111", day(1)), row("a@x", "work", "112", day(1)));
        return Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
    }

    private static String table(String name, String key) {
        return "create table dds." + name + " (user_hk bytea not null, phone_type text not null, phone_hashdiff bytea not null,"
                + " phone text, load_date timestamptz not null, record_source text not null, " + key + ")";
    }

    /**
     * A table made as a plain satellite's, primary key (user_hk, load_date) without the child key: the load failed
     * with PostgreSQL's 'duplicate key value violates unique constraint "ma_pk_pkey"' from inside the insert, after
     * the whole set had been computed. Now it is refused before anything is written, naming the table, its key and
     * the child key it lacks; a unique index of that shape likewise.
     */
    @Test
    void aPrimaryKeyOrUniqueIndexWithoutTheChildKeysIsRefusedBeforeWriting(DataSource ds) {
        Vault vault = Vault.on(ds);
        Stage stage = phones(ds, "ma_pk");
        vault.createStage(stage);
        sql(ds, "create schema if not exists dds", table("ma_pk", "primary key (user_hk, load_date)"),
                table("ma_uq", "primary key (user_hk, phone_type, load_date)"),
                "create unique index ma_uq_one on dds.ma_uq (load_date, user_hk)");
        MultiActiveSatellite pk = vault.multiActiveSatellite("dds.ma_pk").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone_hashdiff").payload("phone").from(stage);
        assertThatThrownBy(pk::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("multi-active satellite dds.ma_pk: ")
                .hasMessageContaining("primary key (user_hk, load_date)")
                .hasMessageContaining("[phone_type]")
                .hasMessageNotContaining("duplicate key");
        assertThatThrownBy(pk::sql).isInstanceOf(MdsException.class).hasMessageContaining("[phone_type]");
        MultiActiveSatellite uq = vault.multiActiveSatellite("dds.ma_uq").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone_hashdiff").payload("phone").from(stage);
        assertThatThrownBy(uq::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("multi-active satellite dds.ma_uq: ")
                .hasMessageContaining("unique index ma_uq_one (load_date, user_hk)")
                .hasMessageContaining("[phone_type]");
        assertThat(strings(ds, "select count(*) from dds.ma_pk")).containsExactly("0");
        assertThat(strings(ds, "select count(*) from dds.ma_uq")).containsExactly("0");
    }

    /**
     * Tables whose keys hold a set: without any key (as AutomateDV's dbt tables are), a key of every child key (in any
     * order, with more columns), and a unique index over a payload column too, load as before.
     */
    @Test
    void tablesWithoutAKeyOrWithKeysHoldingTheChildKeysLoad(DataSource ds) {
        Vault vault = Vault.on(ds);
        Stage stage = phones(ds, "ma_ok");
        vault.createStage(stage);
        sql(ds, "create schema if not exists dds", table("ma_nokey", "check (true)"),
                table("ma_order", "primary key (load_date, phone_type, user_hk)"),
                table("ma_more", "primary key (user_hk, load_date, phone_type, record_source)"),
                table("ma_payload", "unique (user_hk, load_date, phone)"));
        for (String t : new String[] {"ma_nokey", "ma_order", "ma_more", "ma_payload"}) {
            MultiActiveSatellite sat = vault.multiActiveSatellite("dds." + t).parent("user_hk").childKeys("phone_type")
                    .hashDiff("phone_hashdiff").payload("phone").from(stage);
            assertThat(sat.load().rowsInserted()).as(t).isEqualTo(2);
        }
    }

    /**
     * A unique index over the child keys and load date without the parent key holds one set per load date, not one
     * per key: two keys with a home phone at one load date failed the load with PostgreSQL's 'duplicate key value
     * violates unique constraint "ma_nohk_one"' from inside the insert (the earlier check let a key holding every child
     * key pass). Now it is refused before anything is written, naming the parent key it lacks.
     */
    @Test
    void aUniqueIndexWithoutTheParentKeyIsRefusedBeforeWriting(DataSource ds) {
        Vault vault = Vault.on(ds);
        TableFixture.on(ds, "raw.ma_two").columns("email text", "phone_type text", "phone text", "ld timestamptz")
                .rows(row("a@x", "home", "111", day(1)), row("b@x", "home", "211", day(1)));
        Stage stage = Stage.of("raw.ma_two").into("stg.ma_two").loadDate("ld").recordSource("crm")
                .hashKey("user_hk", "email").hashDiff("phone_hashdiff", "phone_type", "phone");
        vault.createStage(stage);
        sql(ds, "create schema if not exists dds", table("ma_nohk", "check (true)"),
                "create unique index ma_nohk_one on dds.ma_nohk (phone_type, load_date)");
        MultiActiveSatellite sat = vault.multiActiveSatellite("dds.ma_nohk").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone_hashdiff").payload("phone").from(stage);
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class)
                .hasMessageStartingWith("multi-active satellite dds.ma_nohk: ")
                .hasMessageContaining("unique index ma_nohk_one (phone_type, load_date)")
                .hasMessageContaining("[user_hk]")
                .hasMessageNotContaining("duplicate key");
        assertThat(strings(ds, "select count(*) from dds.ma_nohk")).containsExactly("0");
    }
}
