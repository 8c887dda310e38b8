package dev.mds.connector.postgres;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A user's type named as a built-in one: pgjdbc (in Debezium's snapshot) and Debezium 3.2 (in the stream) know a
 * column's type by its bare name and take an enum {@code public.date}, its array {@code _date}, an enum
 * {@code cx.timestamptz} or a domain {@code cx.money} over text for the built-in type, so the run stops at the first
 * value that is not one (the snapshot: "Index 6 out of bounds for length 6" in pgjdbc's date parser; the stream:
 * "Text 'tuesday' could not be parsed"; a domain money over text: "numeric 'a lot', which mds cannot carry"). mds's
 * converter sees the same names and cannot tell. The setup check names such columns (a class of its own: the types it
 * creates in {@code public} would be on every other test's path).
 */
@MdsPostgres
class CdcUserTypeNamesTest {

    @Test
    void theCheckNamesColumnsOfAUserTypeNamedAsABuiltInType(TestDatabase db) {
        DataSource ds = db.dataSource();
        sql(ds, "create schema cx", "create type public.date as enum ('monday', 'tuesday')",
                "create type cx.timestamptz as enum ('early', 'late')", "create domain cx.money as text",
                "create domain cx.email as text", "create type cx.mood as enum ('sad', 'happy')",
                "create table cx.t (id int primary key, d public.date, ds public.date[], e cx.timestamptz, m cx.money,"
                        + " mail cx.email, mood cx.mood, moods cx.mood[], at date, n numeric)");
        SetupReport report = CdcSetup.check(ds, CdcSetup.spec().tables("cx.t").build());
        assertThat(report.items(SetupReport.Severity.WARNING)).singleElement().satisfies(w -> assertThat(w.toString())
                .contains("table cx.t has columns of a user's type (an enum, a domain, a composite...) named as a"
                        + " built-in type of PostgreSQL (d (public.date), ds (public.date[]), e (cx.timestamptz),"
                        + " m (cx.money)): Debezium and pgjdbc know a type by its bare name"));
    }
}
