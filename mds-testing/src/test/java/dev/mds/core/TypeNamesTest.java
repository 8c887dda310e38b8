package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class TypeNamesTest {
    /**
     * A user's enum or composite type may bear a built-in type's name (an enum public.date, a composite public.uuid):
     * on the search_path pgjdbc names it as the built-in, and the catalog queries for domains give only its bare
     * name. Such a column was read as the built-in type (date, uuid, boolean), so a load sent it dates.
     */
    @Test
    void aUserTypeNamedAsABuiltInTypeIsNotReadAsTheBuiltIn(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("create schema named");
            st.execute("create type public.date as enum ('draft', 'final')");
            st.execute("create type named.bool as enum ('yes', 'no')");
            st.execute("create type public.uuid as (a int, b text)");
            st.execute("create domain named.stage as public.date");
            st.execute("create domain named.pair as public.uuid");
            st.execute("create table named.t (plain_date pg_catalog.date, d public.date, ds public.date[],"
                    + " b named.bool, s named.stage, ss named.stage[], i int)");
            st.execute("set search_path = public, named");
            Schema schema = PostgresDialect.INSTANCE.readSchema(c, TableName.of("named", "t")).orElseThrow();
            assertThat(schema.fields()).containsExactly(Field.of("plain_date", FieldType.DATE),
                    Field.of("d", FieldType.STRING), Field.of("ds", FieldType.arrayOf(FieldType.STRING)),
                    Field.of("b", FieldType.STRING), Field.of("s", FieldType.STRING),
                    Field.of("ss", FieldType.arrayOf(FieldType.STRING)), Field.of("i", FieldType.INT));
            for (String composite : new String[] {"public.uuid", "public.uuid[]", "named.pair"}) {
                st.execute("create table named.c (x " + composite + ")");
                assertThatThrownBy(() -> PostgresDialect.INSTANCE.readSchema(c, TableName.of("named", "c")))
                        .as(composite).isInstanceOf(MdsException.class).hasMessageContaining("no logical type");
                st.execute("drop table named.c");
            }
        }
    }

    /** The same for a domain over an array of such a type: a domain over public.date[] (an enum) read as array<date>. */
    @Test
    void aDomainOverAnArrayOfAUserTypeNamedAsABuiltInTypeIsNotReadAsAnArrayOfTheBuiltIn(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("create schema arrays_named");
            st.execute("create type arrays_named.date as enum ('draft', 'final')");
            st.execute("create type arrays_named.uuid as (a int)");
            st.execute("create domain arrays_named.stages as arrays_named.date[]");
            st.execute("create domain arrays_named.pairs as arrays_named.uuid[]");
            st.execute("create domain arrays_named.ints as int[]");
            st.execute("create table arrays_named.t (s arrays_named.stages, p arrays_named.pairs, i arrays_named.ints)");
            assertThat(PostgresDialect.INSTANCE.readSchema(c, TableName.of("arrays_named", "t"), java.util.List.of("s", "i"))
                    .fields()).containsExactly(Field.of("s", FieldType.arrayOf(FieldType.STRING)),
                            Field.of("i", FieldType.arrayOf(FieldType.INT)));
            assertThatThrownBy(() -> PostgresDialect.INSTANCE.readSchema(c, TableName.of("arrays_named", "t"),
                    java.util.List.of("p"))).isInstanceOf(MdsException.class).hasMessageContaining("no logical type");
        }
    }
}
