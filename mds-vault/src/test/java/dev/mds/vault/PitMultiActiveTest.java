package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.time.LocalDate;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A PIT over a multi-active satellite, which holds several rows (a set) per key and load date, beside a satellite. */
@MdsPostgres
class PitMultiActiveTest {
    /**
     * Sets of one, two and three rows at several load dates, a key with no set yet at the first as-of date and the
     * multi-active satellite's ghost record: the PIT holds one row per hub key and as-of date, pointing at the load
     * date of the set in effect (the ghost before any), next to the satellite's row in effect; a re-run writes
     * nothing. A guard: the PIT pairs each satellite row with its key's next load date, and the rows of one set are
     * the same load date, so exactly one row of a set is in effect at any date.
     */
    @Test
    void aPitOverSetsPointsAtTheSetInEffectOncePerKeyAndDate(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        sql(ds, "create schema if not exists raw", "create schema if not exists dds",
                "create table raw.pma (email text, phone_type text, phone text, name text, ld timestamptz)",
                "insert into raw.pma values"
                        + " ('a@x', 'home', '1', 'Ann', '2024-01-01Z'), ('a@x', 'work', '2', 'Ann', '2024-01-01Z'),"
                        + " ('a@x', 'home', '1', 'Ann', '2024-01-03Z'),"
                        + " ('a@x', 'home', '1', 'Ann B', '2024-01-05Z'), ('a@x', 'work', '3', 'Ann B', '2024-01-05Z'),"
                        + " ('a@x', 'mobile', '4', 'Ann B', '2024-01-05Z'),"
                        + " ('b@x', 'home', '5', 'Bob', '2024-01-04Z'), ('b@x', 'work', '6', 'Bob', '2024-01-04Z')");
        Stage stage = Stage.of("raw.pma").into("stg.pma").loadDate("ld").recordSource("crm").hashKey("user_hk", "email")
                .hashDiff("phone_hashdiff", "phone_type", "phone").hashDiff("user_hashdiff", "name");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.pma_hub").hashKey("user_hk").businessKey("email").from(stage);
        MultiActiveSatellite phones = vault.multiActiveSatellite("dds.pma_phones").parent("user_hk").childKeys("phone_type")
                .hashDiff("phone_hashdiff").payload("phone").from(stage);
        Satellite names = vault.satellite("dds.pma_names").parent("user_hk").hashDiff("user_hashdiff").payload("name").from(stage);
        hub.createTable();
        phones.createTable();
        names.createTable();
        hub.load();
        assertThat(phones.load().rowsInserted()).isEqualTo(8);
        names.load();
        phones.insertGhostRecord();
        Pit pit = vault.pit("dds.pma_pit").hub("dds.pma_hub", "user_hk").satellites("dds.pma_phones", "dds.pma_names")
                .asOf(List.of(LocalDate.of(2024, 1, 2), LocalDate.of(2024, 1, 4), LocalDate.of(2024, 1, 6)));
        pit.createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(6);
        assertThat(pit.load().rowsInserted()).isZero();
        assertThat(strings(ds, "select h.email || ' ' || (p.as_of_date at time zone 'UTC')::date || ' '"
                + " || (p.pma_phones_ldts at time zone 'UTC')::date || ' ' || (p.pma_names_ldts at time zone 'UTC')::date"
                + " from dds.pma_pit as p join dds.pma_hub as h using (user_hk) order by 1")).containsExactly(
                        "a@x 2024-01-02 2024-01-01 2024-01-01",
                        "a@x 2024-01-04 2024-01-03 2024-01-01",
                        "a@x 2024-01-06 2024-01-05 2024-01-05",
                        "b@x 2024-01-02 1900-01-01 1900-01-01",
                        "b@x 2024-01-04 2024-01-04 2024-01-04",
                        "b@x 2024-01-06 2024-01-04 2024-01-04");
        // the phone set each PIT row points at, read back through the PIT
        assertThat(strings(ds, "select h.email || ' ' || (p.as_of_date at time zone 'UTC')::date || ' '"
                + " || coalesce(string_agg(m.phone_type || '=' || m.phone, ',' order by m.phone_type), '')"
                + " from dds.pma_pit as p join dds.pma_hub as h using (user_hk) left join dds.pma_phones as m"
                + " on m.user_hk = p.pma_phones_pk and m.load_date = p.pma_phones_ldts and m.phone is not null"
                + " group by h.email, p.as_of_date order by 1")).containsExactly(
                        "a@x 2024-01-02 home=1,work=2",
                        "a@x 2024-01-04 home=1",
                        "a@x 2024-01-06 home=1,mobile=4,work=3",
                        "b@x 2024-01-02 ",
                        "b@x 2024-01-04 home=5,work=6",
                        "b@x 2024-01-06 home=5,work=6");
    }
}
