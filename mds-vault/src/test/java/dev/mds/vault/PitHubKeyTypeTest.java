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
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * A PIT over a hub (a table made by hand) whose hash key column is not {@code bytea} is refused by
 * {@code createTable()}, {@code sql()} and {@code load()} before anything is created or written, naming the PIT, the
 * hub and the column, as a satellite whose hash key is not {@code bytea} is.
 */
@MdsPostgres
class PitHubKeyTypeTest {
    /** Before, createTable() created the PIT (its key bytea) over the text key; only sql() and load() refused it. */
    @Test
    void aHubHashKeyOfAnotherTypeThanByteaIsRefusedByCreateTableNamingIt(DataSource ds) throws Exception {
        sql(ds, "create schema if not exists dds",
                "create table dds.phkt_hub (customer_hk text primary key, id text, load_date timestamptz not null,"
                        + " record_source text not null)",
                "insert into dds.phkt_hub values ('\\x01', '1', '2024-01-01', 'crm')",
                "create table dds.phkt_sat (customer_hk bytea not null, customer_hashdiff bytea not null, name text,"
                        + " load_date timestamptz not null, record_source text not null, primary key (customer_hk, load_date))",
                "insert into dds.phkt_sat values ('\\x01', '\\x02', 'Ann', '2024-01-01', 'crm')");
        Pit pit = Vault.on(ds).pit("dds.phkt_pit").hub("dds.phkt_hub", "customer_hk").satellites("dds.phkt_sat")
                .asOf(List.of(LocalDate.of(2024, 1, 31)));
        String what = "column 'customer_hk' of dds.phkt_hub is text, expected bytea";
        assertThatThrownBy(pit::createTable).isInstanceOf(MdsException.class)
                .hasMessageContaining("pit dds.phkt_pit").hasMessageContaining(what);
        assertThat(strings(ds, "select count(*) from pg_class where relname = 'phkt_pit'")).containsExactly("0");
        // a PIT table made by hand: the load, and the statements it would run, are refused before anything is written
        sql(ds, "create table dds.phkt_pit (customer_hk bytea not null, as_of_date timestamptz not null,"
                + " phkt_sat_pk bytea not null, phkt_sat_ldts timestamptz not null, primary key (customer_hk, as_of_date))");
        for (ThrowingCallable call : List.<ThrowingCallable>of(pit::sql, pit::load)) {
            assertThatThrownBy(call).isInstanceOf(MdsException.class)
                    .hasMessageContaining("pit dds.phkt_pit").hasMessageContaining(what);
        }
        assertThat(strings(ds, "select count(*) from dds.phkt_pit")).containsExactly("0");
    }
}
