package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.time.LocalDate;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A PIT's columns are the hub's hash key, {@code as_of_date} and per satellite {@code <table name>_pk} and
 * {@code <table name>_ldts} (AutomateDV's names): a hub hash key named like one of a satellite's columns is refused
 * before any statement runs, naming the PIT, the satellite and the column.
 */
@MdsPostgres
class PitColumnNamesTest {
    /**
     * Before, createTable() and sql() refused it with the generic "column 'customer_pk' would be stored twice; the
     * table's columns are [customer_pk, as_of_date, customer_pk, customer_ldts]", which names neither the satellite
     * nor why (PostgreSQL's 'specified more than once' was already not reached).
     */
    @Test
    void aHubHashKeyNamedLikeASatellitesPitColumnIsRefusedNamingThePitTheSatelliteAndTheColumn(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists dds",
                "create table dds.pcn_hub (customer_pk bytea primary key, id text, load_date timestamptz not null,"
                        + " record_source text not null)",
                "create table dds.customer (customer_pk bytea not null, customer_hashdiff bytea not null, name text,"
                        + " load_date timestamptz not null, record_source text not null, primary key (customer_pk, load_date))");
        Pit pit = Vault.on(ds).pit("dds.pcn_pit").hub("dds.pcn_hub", "customer_pk").satellites("dds.customer")
                .asOf(List.of(LocalDate.of(2024, 1, 31)));
        assertThatThrownBy(pit::createTable).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pit dds.pcn_pit")
                .hasMessageContaining("satellite dds.customer")
                .hasMessageContaining("'customer_pk'")
                .hasMessageNotContaining("specified more than once");
        assertThat(strings(ds, "select count(*) from pg_class where relname = 'pcn_pit'")).containsExactly("0");
        assertThatThrownBy(pit::sql).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("satellite dds.customer");
    }
}
