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
 * A stage view mds did not build (by hand, or AutomateDV's, whose hash of one column given as a string is NULL for a
 * NULL value) can hold a NULL hashdiff, which a satellite cannot store. Such a row fails the load, naming the stage
 * and the column, whether it is a key's first row or a later one; it is never dropped silently.
 */
@MdsPostgres
class ForeignStageNullHashdiffTest {
    @Test
    void aNullHashdiffInAStageViewMdsDidNotBuildFailsTheLoadNamingTheStageAndColumn(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists raw", "create schema if not exists stg",
                "create table raw.phones (id text, phone text, ld timestamptz)",
                "insert into raw.phones values ('1', '555-0101', '2024-01-01Z'), ('2', null, '2024-01-01Z')",
                // as AutomateDV's stage renders hashed_columns {hk: id, hashdiff: {is_hashdiff: true, columns: phone}}
                "create view stg.phones as select p.*, ld as load_date, 'crm'::text as record_source,"
                        + " DECODE(MD5(NULLIF(UPPER(TRIM(CAST(id AS VARCHAR))), '')), 'hex') as hk,"
                        + " DECODE(MD5(NULLIF(UPPER(TRIM(CAST(phone AS VARCHAR))), '')), 'hex') as hd from raw.phones p");
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = Stage.of("raw.phones").into("stg.phones").loadDate("ld");
        Satellite sat = vault.satellite("dds.sat_phones").parent("hk").hashDiff("hd").payload("phone").from(stage);
        sat.createTable();
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class)
                .hasMessageContaining("satellite dds.sat_phones")
                .hasMessageContaining("stage stg.phones (from raw.phones) has 1 row(s) with a NULL hd");
        assertThat(strings(ds, "select count(*) from dds.sat_phones")).containsExactly("0");

        // a key's later row with a NULL hashdiff fails in the same way
        sql(ds, "update raw.phones set phone = '555-0102' where id = '2'");
        assertThat(sat.load().rowsInserted()).isEqualTo(2);
        sql(ds, "update raw.phones set phone = null, ld = '2024-01-02Z' where id = '2'");
        assertThatThrownBy(sat::load).isInstanceOf(MdsException.class)
                .hasMessageContaining("stage stg.phones (from raw.phones) has 1 row(s) with a NULL hd");
        assertThat(strings(ds, "select count(*) from dds.sat_phones")).containsExactly("2");
    }
}
