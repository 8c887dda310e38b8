package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A count of one reads "1 group", "1 row", "1 check": never "1 groups". */
@MdsPostgres
class PluralsTest {

    @Test
    void oneGroupRowKeyRunCheckOrQueryIsSingular(DataSource ds) throws Exception {
        sql(ds, "create schema pl",
                "create table pl.t (id int, country text, email text, n int)",
                "insert into pl.t values (1, 'DE', null, 1), (1, 'DE', null, 3)",
                "create table pl.one (country text)",
                "insert into pl.one values ('DE')");
        QualityReport r = QualitySuite.on(ds).table("pl.t", t -> t
                .atLeastOne("email").groupBy("country")
                .sequentialValues("n").groupBy("country")
                .equalRowCount("pl.one").groupBy("country")
                .atLeastOne("email").groupBy("id").id("by_id").threshold(Threshold.rows(1))
                .unique("id")
                .notNull("email").threshold(Threshold.rows(1))).run();
        assertThat(r.checks().get(0).observed()).isEqualTo("1 of 1 group by country have no non-NULL email: DE");
        assertThat(r.checks().get(0).message()).isEqualTo("1 failing group (100.00%), more than the threshold of 0 groups");
        assertThat(r.checks().get(1).observed()).isEqualTo(
                "1 of 2 rows in 1 group by country do not follow the previous value by 1");
        assertThat(r.checks().get(1).message()).startsWith("1 failing row (50.00%)");
        assertThat(r.checks().get(2).observed()).isEqualTo(
                "1 of 1 group by country differ in rows from pl.one (2 rows, pl.one 1 row): DE");
        assertThat(r.checks().get(3).message()).isEqualTo("1 failing group (100.00%), within the threshold > 1 group");
        assertThat(r.checks().get(4).observed()).isEqualTo("1 duplicated key in 2 of 2 rows");
        assertThat(r.checks().get(5).decidedBy()).isEqualTo("error_if > 1 row");

        sql(ds, "delete from pl.t where n = 3");
        QualityReport one = QualitySuite.on(ds).table("pl.t", t -> t.rowCount(Bounds.atLeast(2))).run();
        assertThat(one.checks().get(0).observed()).isEqualTo("1 row");
        assertThat(one.checks().get(0).message()).isEqualTo("1 row, expected " + Bounds.atLeast(2));
        assertThat(one.toConsoleTable()).contains(": 1 check, 0 passed, 0 warned, 1 failed, 0 errors; 1 query in ");
        assertThatThrownBy(one::assertPassed).hasMessageStartingWith("1 of 1 quality check did not pass");
        QualityReport equal = QualitySuite.on(ds).table("pl.t", t -> t.equality("pl.one", "country")).run();
        assertThat(equal.checks().get(0).observed()).isEqualTo("0 rows differ: 0 of 1 only in pl.t, 0 of 1 only in pl.one");
        assertThat(QualitySuite.on(ds).table("pl.t", t -> t.range("n", 5, null).threshold(Threshold.percentOfNonNull(50)))
                .run().checks().get(0).message()).startsWith("1 failing row (100.00% of 1 non-null row), more than");
    }
}
