package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * What {@link DifferentialQualityTest} found, each as a minimal case. The data source is a HikariCP pool, as most
 * applications' is: it closes a connection on which a statement failed with SQLSTATE 0A000 (feature not supported).
 */
@MdsPostgres
class DifferentialFindingsTest {

    @Test
    void aDomainIsReadAsItsBaseType(DataSource ds) throws Exception {
        sql(ds, "create schema dom", "create domain dom.amount as numeric(10,2)", "create domain dom.stamp as timestamp",
                "create table dom.t (a dom.amount, s dom.stamp)",
                "insert into dom.t values (1.00, (now() at time zone 'UTC') - interval '30 minutes'), (2.50, null)");
        QualityReport r = QualitySuite.on(ds).table("dom.t", t -> t.statistic(Statistic.SUM, "a", 3.5, 3.5)).run();
        // was ERROR: column "a" of dom.t is not a number
        assertThat(r.check("dom.t", "sum_a").orElseThrow().status()).isEqualTo(Status.PASS);

        // a timestamp is read as UTC whatever the session's TimeZone, a domain over one too: in a session 14 hours
        // ahead of UTC, the newest value read in the session's zone was 14 hours older, so this failed
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("set timezone = 'Pacific/Kiritimati'");
            QualityReport fresh = QualitySuite.create().table("dom.t", t -> t.freshness("s", Duration.ofHours(2))).run(c);
            assertThat(fresh.check("dom.t", "freshness_s").orElseThrow().status()).isEqualTo(Status.PASS);
            st.execute("reset timezone");
        }
    }

    @Test
    void matchesUnderANondeterministicCollationIsAnErrorOfThatCheckOnly(DataSource ds) {
        sql(ds, "create schema nd", "create collation nd.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table nd.t (id int, c text collate nd.ci)", "insert into nd.t values (1, 'a'), (2, 'B'), (3, null)");
        // the run stopped: 'quality run stopped, its database session was lost: ERROR: nondeterministic collations are
        // not supported for regular expressions' (the pool had closed the connection)
        QualityReport r = QualitySuite.on(ds).table("nd.t", t -> t.matches("c", "^a").notNull("c").acceptedValues("c", "A", "b")).run();
        CheckResult m = r.check("nd.t", "matches_c").orElseThrow();
        assertThat(m.status()).isEqualTo(Status.ERROR);
        assertThat(m.message()).contains("nondeterministic collation \"ci\"");
        assertThat(r.check("nd.t", "not_null_c").orElseThrow().failingRows()).isEqualTo(1);
        assertThat(r.check("nd.t", "accepted_values_c").orElseThrow().status()).isEqualTo(Status.PASS);
    }

    @Test
    void acceptedValuesAndRangeOnACompositeAndAnArrayColumn(DataSource ds) {
        sql(ds, "create schema cx", "create type cx.pair as (x int, y text)", "create table cx.t (id int, p cx.pair, a text[])",
                "insert into cx.t values (1, '(1,a)', '{a,b}'), (2, '(2,b)', '{}'), (3, '(1,)', '{a,NULL}'), (4, null, null)");
        // composite: 'input of anonymous composite types is not implemented' (0A000, the run stopped); array: 'could
        // not find array type for data type text[]' (ERROR)
        QualityReport r = QualitySuite.on(ds).table("cx.t", t -> t
                .acceptedValues("p", "(1,a)").id("one_pair")
                .acceptedValues("p", "(1,a)", "(2,b)").id("two_pairs")
                .range("p", "(1,b)", null)
                .acceptedValues("a", "{a,b}").id("one_array")
                .acceptedValues("a", "{a,b}", "{}").id("two_arrays")).run();
        assertThat(r.check("cx.t", "one_pair").orElseThrow().failingRows()).isEqualTo(2);
        assertThat(r.check("cx.t", "two_pairs").orElseThrow().failingRows()).isEqualTo(1);
        assertThat(r.check("cx.t", "range_p").orElseThrow().failingRows()).isEqualTo(1);     // (1,a) < (1,b)
        assertThat(r.check("cx.t", "one_array").orElseThrow().failingRows()).isEqualTo(2);
        assertThat(r.check("cx.t", "two_arrays").orElseThrow().failingRows()).isEqualTo(1);
        assertThat(r.withStatus(Status.ERROR)).isEmpty();
    }

    @Test
    void relationshipsCountEachRowOnceWhenTheParentsKeysCompareInAnotherTypeOrCollation(DataSource ds) {
        sql(ds, "create schema rel", "create collation rel.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                // 0.1 and 0.10000000000000000001 are two numerics but one float8
                "create table rel.parent (n numeric, k text)",
                "insert into rel.parent values (0.1, 'a'), (0.10000000000000000001, 'A'), (2, 'b')",
                "create table rel.child (f float8, c text collate rel.ci)",
                "insert into rel.child values (0.1, 'a'), (3, 'x'), (null, null)");
        QualityReport r = QualitySuite.on(ds).table("rel.child", t -> t
                .relationships("f", "rel.parent", "n").threshold(Threshold.percent(50))
                .relationships("c", "rel.parent", "k").threshold(Threshold.percent(50))).run();
        for (String id : new String[] {"relationships_f", "relationships_c"}) {
            CheckResult c = r.check("rel.child", id).orElseThrow();
            // was 4 of 4: the child's 0.1 (or 'a', compared under rel.ci) met two parent keys and was counted twice
            assertThat(c.checkedRows()).as(id).isEqualTo(3);
            assertThat(c.failingRows()).as(id).isEqualTo(1);
        }
    }
}
