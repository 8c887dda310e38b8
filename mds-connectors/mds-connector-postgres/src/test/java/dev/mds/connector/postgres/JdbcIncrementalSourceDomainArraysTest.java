package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.FieldType;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.Schema;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An array of a domain over date, time, timestamp, timestamptz, uuid, bytea or money is read as the array of the
 * domain's base type, each value equal to the database's. pgjdbc reads an array's elements by the element's own type,
 * the domain, whose OID it does not know: it cannot give a LocalDate, LocalTime, UUID or bytes of it, so such columns
 * were refused ("mds has no logical type for database type '_day' (an array of a domain over date)"). Each is now
 * selected cast to its base type's array ({@code cast(days as pg_catalog.date[])}), which the driver reads as it reads
 * a date[] column. A domain over a domain over the type, and a domain named like a built-in type, included.
 */
@MdsPostgres
class JdbcIncrementalSourceDomainArraysTest {

    @Test
    void anArrayOfADomainOverDateIsReadAsDates(DataSource ds) {
        readsAsTheBaseArray(ds, "da", List.of("create domain da.day0 as date", "create domain da.day as da.day0"),
                "da.day", "date",
                "'{2024-02-29,0044-03-15 BC,NULL,infinity,-infinity}'", FieldType.DATE);
    }

    @Test
    void anArrayOfADomainOverTimeIsReadAsTimes(DataSource ds) {
        readsAsTheBaseArray(ds, "ti", List.of("create domain ti.clock as time(6) check (value > '00:00')"),
                "ti.clock", "time", "'{12:34:56.789012,00:00:00.000001,24:00:00,NULL}'", FieldType.TIME);
    }

    @Test
    void anArrayOfADomainOverTimestampIsReadAsTimestamps(DataSource ds) {
        // a domain named as the built-in type: the cast names pg_catalog's
        readsAsTheBaseArray(ds, "tp", List.of("create domain tp.\"timestamp\" as timestamp"), "tp.\"timestamp\"",
                "timestamp", "'{\"2024-03-31 02:30:00.25\",\"0044-03-15 10:00:00 BC\",NULL,infinity}'",
                FieldType.TIMESTAMP);
    }

    @Test
    void anArrayOfADomainOverTimestamptzIsReadAsInstants(DataSource ds) {
        readsAsTheBaseArray(ds, "tz", List.of("create domain tz.at as timestamptz"), "tz.at", "timestamptz",
                "'{\"2024-10-27 00:30:00.123456+00\",\"2024-10-27 01:30:00.5+00\",NULL,-infinity}'", FieldType.TIMESTAMPTZ);
    }

    @Test
    void anArrayOfADomainOverUuidIsReadAsUuids(DataSource ds) {
        readsAsTheBaseArray(ds, "uu", List.of("create domain uu.id as uuid not null"), "uu.id", "uuid",
                "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,00000000-0000-0000-0000-000000000000}'", FieldType.UUID);
    }

    @Test
    void anArrayOfADomainOverByteaIsReadAsBytes(DataSource ds) {
        readsAsTheBaseArray(ds, "by", List.of("create domain by.blob as bytea"), "by.blob", "bytea",
                "array['\\x00ff10'::bytea, null, '\\x'::bytea, convert_to('a,b\"c', 'UTF8')]", FieldType.BYTES);
    }

    @Test
    void anArrayOfADomainOverMoneyIsReadAsExactDecimals(DataSource ds) {
        // money's text carries lc_monetary's sign and separators ($1,000.25): read as numeric, as a money column is
        readsAsTheBaseArray(ds, "mo", List.of("create domain mo.cash as money"), "mo.cash", "numeric",
                "'{1000.25,-92233720368547758.08,NULL}'", FieldType.DECIMAL);
    }

    private static void readsAsTheBaseArray(DataSource ds, String schema, List<String> domains, String domain,
            String base, String values, FieldType element) {
        List<String> ddl = new ArrayList<>();
        ddl.add("create schema " + schema);
        ddl.addAll(domains);
        ddl.add("create table " + schema + ".t (id int primary key, ts timestamptz not null, vs " + domain + "[])");
        ddl.add("insert into " + schema + ".t values (1, '2024-01-01Z', " + values + "), (2, '2024-01-02Z', null),"
                + " (3, '2024-01-03Z', '{}')");
        sql(ds, ddl.toArray(String[]::new));
        MergeLoader loader = MergeLoader.into(ds, "raw_" + schema + ".t").mode(SyncMode.MERGE).key("id").build();
        List<Schema> schemas = new ArrayList<>();
        long read = JdbcIncrementalSource.builder(ds, schema + ".t").cursor("ts").key("id").batchRows(2)
                .offsets(JdbcStateStore.create(ds)).build()
                .run(ds, (batch, c) -> {
                    schemas.add(batch.schema());
                    loader.load(batch, c);
                });
        assertThat(read).isEqualTo(3);
        assertThat(schemas.get(0).fields().get(2).type()).isEqualTo(FieldType.arrayOf(element));
        // the values the database holds, as the base type's text, and the warehouse's
        assertThat(Cdc.difference(ds, "(select id, vs::pg_catalog." + base + "[]::text as vs from " + schema + ".t) s",
                "(select id, vs::text as vs from raw_" + schema + ".t) w", "id, vs")).isZero();
        assertThat(Cdc.count(ds, "select count(*) from raw_" + schema + ".t")).isEqualTo(3);
    }
}
