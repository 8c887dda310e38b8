package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.awaitSame;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.ChangeEvent;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Columns of a domain over another domain: over text[], int[], timestamptz, timestamp, numeric(12,2), timestamp[] and
 * boolean[] through two domains, from the snapshot and the stream, and their unchanged out-of-line values under the
 * default replica identity. (One level of domain: {@code CdcReviewTest}.)
 */
@MdsPostgres
class CdcNestedDomainsTest {

    @Test
    void aDomainOverADomainIsConvertedAndCheckedAsItsBaseType(TestDatabase db) throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema n1",
                "create domain n1.words0 as text[]", "create domain n1.words as n1.words0",
                "create domain n1.ints0 as int[]", "create domain n1.ints as n1.ints0",
                "create domain n1.tstz0 as timestamptz", "create domain n1.tstz as n1.tstz0 not null",
                "create domain n1.ts0 as timestamp", "create domain n1.ts as n1.ts0",
                "create domain n1.amount0 as numeric(12,2)", "create domain n1.amount as n1.amount0 check (value >= 0)",
                "create domain n1.stamps0 as timestamp[]", "create domain n1.stamps as n1.stamps0",
                "create domain n1.flags0 as boolean[]", "create domain n1.flags as n1.flags0",
                "create domain n1.cash0 as money", "create domain n1.cash as n1.cash0",
                "create domain n1.blob0 as bytea", "create domain n1.blob as n1.blob0",
                "create domain n1.clock0 as timetz", "create domain n1.clock as n1.clock0",
                "create table n1.t (id int primary key, title text, w n1.words, i n1.ints, tz n1.tstz, ts n1.ts,"
                        + " a n1.amount, st n1.stamps, fl n1.flags, m n1.cash, bl n1.blob)",
                "create table n1.z (id int primary key, opens n1.clock)",
                "alter table n1.t alter column w set storage external, alter column i set storage external,"
                        + " alter column st set storage external, alter column fl set storage external,"
                        + " alter column bl set storage external",
                "set timezone = 'UTC'",
                "insert into n1.t select g, 't' || g, (select array_agg('w' || x) from generate_series(1, 2000) x),"
                        + " (select array_agg(x) from generate_series(1, 2000) x),"
                        + " '2024-01-01 10:00:00.123456+02', '0044-03-15 10:00:00 BC', 1234567890.25,"
                        + " (select array_agg(timestamp '2024-01-01' + x * interval '1 second') from generate_series(1, 2000) x),"
                        + " (select array_agg(x % 2 = 0) from generate_series(1, 20000) x),"
                        // money of 10^13 or more in the snapshot is read again from the source by the key
                        + " 12345678901234.56, decode(repeat('ab', 5000), 'hex')"
                        + " from generate_series(1, 2) g",
                "insert into n1.t (id, title, tz, ts, a) values (3, 'inf', 'infinity', '-infinity', 0)");
        SetupReport report = CdcSetup.check(ds, CdcSetup.spec().tables("n1.t", "n1.z").build());
        assertThat(report.items(SetupReport.Severity.WARNING)).as("a domain over a domain over boolean[], over timetz")
                .map(Object::toString).satisfiesExactlyInAnyOrder(
                        w -> assertThat(w).contains("table n1.t has REPLICA IDENTITY DEFAULT and array columns Debezium"
                                + " has no unchanged-TOAST placeholder for (fl (n1.flags)):"),
                        w -> assertThat(w).contains("table n1.z has time with time zone columns (opens)"));
        String kept = "id, title, w::text, i::text, tz::text, ts::text, a::text, st::text, m::numeric::text, bl::text";
        try (var run = Cdc.start(Cdc.source(db, ds, "n_domains", "n1.t").build(), Cdc.loadInto(ds, "nw1"))) {
            awaitSame(ds, "n1.t", "nw1.t", kept + ", fl::text");
            assertThat(Cdc.text(ds, "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by"
                    + " attnum) from pg_attribute where attrelid = 'nw1.t'::regclass and attnum between 3 and 11"))
                    .as("the target types of the base types")
                    .isEqualTo("w text[], i integer[], tz timestamp with time zone, ts timestamp without time zone,"
                            + " a numeric(12,2), st timestamp without time zone[], fl boolean[], m numeric, bl bytea");
            Cdc.awaitSlotActive(ds, "n_domains");
            sql(ds, "insert into n1.t select id + 10, title, w, i, tz, ts, a, st, fl, m, bl from n1.t",
                    "update n1.t set title = 'renamed' where id = 2",
                    // a key change: the new key's unsent out-of-line values are read from the source
                    "update n1.t set id = 20 where id = 1",
                    "update n1.t set a = 2.5, tz = '1500-03-15 10:00:00+00', ts = '2024-03-31 02:30:00' where id = 11");
            awaitSame(ds, "n1.t", "nw1.t", kept);
            assertThat(run.rowEvents()).filteredOn(e -> e.operation() == ChangeEvent.Operation.UPDATE
                    && e.after().orElseThrow().get(0).equals(2)).singleElement()
                    .satisfies(e -> {
                        assertThat(e.after().orElseThrow().get(2)).isSameAs(dev.mds.core.Unchanged.VALUE);
                        assertThat(e.after().orElseThrow().get(3)).isSameAs(dev.mds.core.Unchanged.VALUE);
                        assertThat(e.after().orElseThrow().get(7)).isSameAs(dev.mds.core.Unchanged.VALUE);
                    });
        }
        Cdc.dropSlot(ds, "n_domains");
    }
}
