package dev.mds.load.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class TargetColumnTest {
    /**
     * A loader looks for its target, then takes the target's lock. If another loader created the table and committed
     * in between, the second look must see it, or the loader creates it again and fails with "relation already
     * exists" (seen in {@code ConcurrencyTest} on PostgreSQL 15). {@code to_regclass} answers from the session's
     * catalog cache, which keeps "no such table" until the session takes a relation lock it does not hold yet.
     */
    @Test
    void seesATableThatAnotherTransactionCreatedAfterThisOneLookedForIt(DataSource ds) throws Exception {
        TableName table = TableName.of("raw", "appears");
        try (Connection looking = ds.getConnection(); Connection creating = ds.getConnection();
             Statement st = creating.createStatement()) {
            st.execute("create schema if not exists raw");
            for (int i = 0; i < 6; i++) {
                // a loader's pooled connection runs this lookup at every batch, and pgjdbc prepares it on the server
                // from the fifth use on: the name is then resolved without the parse step
                assertThat(TargetColumn.read(looking, table)).isEmpty();
            }
            looking.setAutoCommit(false);
            assertThat(TargetColumn.read(looking, table)).isEmpty();
            st.execute("create table raw.appears (id bigint not null, v text)");   // committed (autocommit)
            assertThat(TargetColumn.read(looking, table)).hasValueSatisfying(columns ->
                    assertThat(columns).containsOnlyKeys("id", "v"));
            assertThat(TargetColumn.read(looking, table).orElseThrow().get("id").notNull()).isTrue();
            looking.rollback();
        }
    }

    /** The change test of a MERGE compares a column as text only when its type has no equality of its own. */
    @Test
    void tellsWhichColumnTypesHaveEquality(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists raw");
            st.execute("create type raw.mood as enum ('sad', 'ok')");
            st.execute("create domain raw.positive as int check (value > 0)");
            st.execute("create table raw.types (i int8, t text, v varchar(9), c char(2), n numeric(9,2), j jsonb, ts timestamptz,"
                    + " u uuid, b bytea, ta text[], m raw.mood, p raw.positive, r int4range,"
                    + " js json, jsa json[], x xml, bx box, pt point)");
            Map<String, TargetColumn> columns = TargetColumn.read(c, TableName.of("raw", "types")).orElseThrow();
            assertThat(columns.values().stream().filter(TargetColumn::equality).map(TargetColumn::name))
                    .containsExactly("i", "t", "v", "c", "n", "j", "ts", "u", "b", "ta", "m", "p", "r");
        }
    }

    /** A domain's column is known by its base type, through domains over domains and arrays, for the date check. */
    @Test
    void resolvesDomainsToTheirBaseTypes(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists raw");
            st.execute("create domain raw.b_day as date; create domain raw.b_day2 as raw.b_day;"
                    + " create domain raw.b_days as date[]; create domain raw.b_days2 as raw.b_day2[]");
            st.execute("create table raw.bases (d date, da date[], t text, ts timestamptz, x raw.b_day, x2 raw.b_day2,"
                    + " xa raw.b_day[], xa2 raw.b_day2[], ys raw.b_days, ys2 raw.b_days2)");
            Map<String, TargetColumn> columns = TargetColumn.read(c, TableName.of("raw", "bases")).orElseThrow();
            assertThat(columns.values().stream().map(tc -> tc.name() + " " + tc.baseTypeName())).containsExactly("d date",
                    "da _date", "t text", "ts timestamptz", "x date", "x2 date", "xa _date", "xa2 _date", "ys _date",
                    "ys2 _date");
        }
    }

    /**
     * A domain's column shows its base type as DDL writes it, with the modifier of the domain that has one (over a
     * domain, of the innermost), and is known as a domain, also an array of one; other columns are not.
     */
    @Test
    void knowsDomainsAndTheirBaseTypesModifiers(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists raw");
            st.execute("create domain raw.m_cents as numeric(12,2) check (value >= 0); create domain raw.m_cents2 as raw.m_cents;"
                    + " create domain raw.m_code as varchar(10); create domain raw.m_amounts as numeric(6,2)[]");
            st.execute("create table raw.modifiers (n numeric(8,3), v varchar(4)[], c raw.m_cents, c2 raw.m_cents2,"
                    + " ca raw.m_cents[], code raw.m_code, am raw.m_amounts)");
            Map<String, TargetColumn> columns = TargetColumn.read(c, TableName.of("raw", "modifiers")).orElseThrow();
            assertThat(columns.values().stream().map(tc -> tc.name() + " " + tc.domain() + " " + tc.baseSqlType()))
                    .containsExactly("n false numeric(8,3)", "v false character varying(4)[]", "c true numeric(12,2)",
                            "c2 true numeric(12,2)", "ca true numeric(12,2)[]", "code true character varying(10)",
                            "am true numeric(6,2)[]");
            assertThat(columns.values()).filteredOn(tc -> !tc.domain()).allMatch(tc -> tc.sqlType().equals(tc.baseSqlType()));
        }
    }
}
