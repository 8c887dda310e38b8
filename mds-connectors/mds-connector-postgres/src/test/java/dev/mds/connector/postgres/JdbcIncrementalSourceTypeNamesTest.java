package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.mds.core.FieldType;
import dev.mds.core.JdbcStateStore;
import dev.mds.core.MdsException;
import dev.mds.core.Schema;
import dev.mds.core.StateStore;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A user's type named as a built-in one is read as what it is. pgjdbc names a type on the {@code search_path} by its
 * bare name, so an enum {@code public.date} is "date" and an array of it "_date", as a composite {@code public.uuid}
 * is "uuid": the source's types, taken from those names, were the built-in ones (a class of its own: the types it
 * creates in {@code public} would be on every other test's path).
 */
@MdsPostgres
class JdbcIncrementalSourceTypeNamesTest {

    @Test
    void aUserTypeNamedAsABuiltInTypeIsReadByItsKindNotItsName(TestDatabase db) {
        DataSource ds = db.dataSource();
        sql(ds, "create schema named", "create schema s1",
                "create type public.date as enum ('monday', 'tuesday')",
                "create type named.bool as enum ('yes', 'no')",
                "create domain public.day as public.date",
                // a domain over text named as a built-in type, and an array of it ("_int8")
                "create domain public.int8 as text",
                "create table s1.t (id int primary key, ts timestamptz not null, d public.date, ds public.date[],"
                        + " b named.bool, dd public.day, words public.int8[], n int8)",
                "insert into s1.t values (1, '2024-01-01Z', 'monday', '{tuesday,NULL,monday}', 'yes', 'tuesday',"
                        + " '{a,b}', 7)");
        StateStore state = JdbcStateStore.create(ds);
        MergeLoader loader = MergeLoader.into(ds, "raw1.t").mode(SyncMode.MERGE).key("id").build();
        List<Schema> schemas = new ArrayList<>();
        try (HikariDataSource src = db.newDataSource(2, Map.of("options", "-c search_path=public,named"))) {
            JdbcIncrementalSource source = JdbcIncrementalSource.builder(src, "s1.t").cursor("ts").key("id")
                    .offsets(state).build();
            assertThat(source.run(ds, (batch, c) -> {
                schemas.add(batch.schema());
                loader.load(batch, c);
            })).isEqualTo(1);
            Schema schema = schemas.get(0);
            assertThat(schema.fields().get(schema.require("d")).type()).isEqualTo(FieldType.STRING);
            assertThat(schema.fields().get(schema.require("ds")).type()).isEqualTo(FieldType.arrayOf(FieldType.STRING));
            assertThat(schema.fields().get(schema.require("b")).type()).isEqualTo(FieldType.STRING);
            assertThat(schema.fields().get(schema.require("dd")).type()).isEqualTo(FieldType.STRING);
            assertThat(schema.fields().get(schema.require("words")).type()).isEqualTo(FieldType.arrayOf(FieldType.STRING));
            assertThat(schema.fields().get(schema.require("n")).type()).as("the built-in int8").isEqualTo(FieldType.LONG);
            assertThat(Cdc.text(ds, "select concat_ws(' ', d, ds::text, b, dd, words::text, n) from raw1.t"))
                    .isEqualTo("monday {tuesday,NULL,monday} yes tuesday {a,b} 7");

            // such an enum as the key (and cursor) pages through ties: the page conditions cast to the enum
            sql(ds, "create table s1.k (d public.date primary key, at public.date not null)",
                    "insert into s1.k values ('monday', 'tuesday'), ('tuesday', 'tuesday')");
            List<Object> keys = new ArrayList<>();
            assertThat(JdbcIncrementalSource.builder(src, "s1.k").cursor("at").key("d").batchRows(1).offsets(state)
                    .build().run(ds, (batch, c) -> batch.records().forEach(r -> keys.add(r.get(0))))).isEqualTo(2);
            assertThat(keys).containsExactly("monday", "tuesday");

            // a composite named as a built-in type is refused as any composite is, not read as a uuid
            sql(ds, "create type public.uuid as (a int, b text)",
                    "create table s1.c (id int primary key, ts timestamptz not null, u public.uuid)",
                    "insert into s1.c values (1, '2024-01-01Z', '(1,x)')");
            assertThatThrownBy(() -> JdbcIncrementalSource.builder(src, "s1.c").cursor("ts").key("id").offsets(state)
                    .build().run(ds, (batch, c) -> { }))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("s1.c column u: mds has no logical type for database type 'uuid'");

            // an array of a domain is the array of its base type, with the domain's precision and scale; one over a
            // date named "timestamp" is read as dates (JdbcIncrementalSourceDomainArraysTest has every such type)
            sql(ds, "create domain s1.price as numeric(12,2)", "create domain s1.price2 as s1.price",
                    "create domain public.timestamp as date",
                    "create table s1.p (id int primary key, ts timestamptz not null, prices s1.price2[])",
                    "insert into s1.p values (1, '2024-01-01Z', '{1.50,NULL,2}')",
                    "create table s1.dd (id int primary key, ts timestamptz not null, days public.timestamp[])");
            schemas.clear();
            MergeLoader prices = MergeLoader.into(ds, "raw1.p").mode(SyncMode.MERGE).key("id").build();
            assertThat(JdbcIncrementalSource.builder(src, "s1.p").cursor("ts").key("id").offsets(state).build()
                    .run(ds, (batch, c) -> {
                        schemas.add(batch.schema());
                        prices.load(batch, c);
                    })).isEqualTo(1);
            assertThat(schemas.get(0).fields().get(2).type()).isEqualTo(FieldType.arrayOf(FieldType.decimal(12, 2)));
            assertThat(Cdc.text(ds, "select prices::text from raw1.p")).isEqualTo("{1.50,NULL,2.00}");
            sql(ds, "insert into s1.dd values (1, '2024-01-01Z', '{2024-02-29}')");
            schemas.clear();
            assertThat(JdbcIncrementalSource.builder(src, "s1.dd").cursor("ts").key("id").offsets(state)
                    .build().run(ds, (batch, c) -> schemas.add(batch.schema()))).isEqualTo(1);
            assertThat(schemas.get(0).fields().get(2).type()).as("dates, not the timestamps its name says")
                    .isEqualTo(FieldType.arrayOf(FieldType.DATE));
        }
    }
}
