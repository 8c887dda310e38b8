package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** dbt-utils' equality, compared as multisets: the rows each table holds that the other does not. */
@MdsPostgres
class EqualityTest {

    private static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void equalityCountsTheRowsOfBothDifferencesAndNullsAreEqual(DataSource ds) throws Exception {
        sql(ds, "create schema eq", "create schema eq_audit", "create table eq.t (id int, name text, score int)",
                "insert into eq.t values (1, 'a', 10), (2, 'b', null), (3, 'c', 30), (3, 'c', 30), (4, null, 40)",
                "create table eq.o (id int, name text, score int, extra text)",
                "insert into eq.o values (1, 'a', 10, 'x'), (2, 'b', null, 'y'), (3, 'c', 30, 'z'), (4, null, 40, 'w'),"
                        + " (5, 'e', 50, 'v')",
                "create table eq.same as select * from eq.t");
        QualityReport r = QualitySuite.on(ds).storeFailures("eq_audit").table("eq.t", t -> t
                .equality("eq.o")
                .equality("eq.o", "id", "name").id("on_id_name")
                .equality("eq.same")).run();
        CheckResult all = r.checks().get(0);
        assertThat(all.id()).isEqualTo("equality_o");
        assertThat(all.kind()).isEqualTo("equality");
        assertThat(all.status()).isEqualTo(Status.FAIL);
        assertThat(all.failingRows()).isEqualTo(2);      // the second (3, c, 30) here, (5, e, 50) there; NULLs match
        assertThat(all.checkedRows()).isEqualTo(10);
        assertThat(all.observed()).isEqualTo("2 rows differ: 1 of 5 only in eq.t, 1 of 5 only in eq.o");
        assertThat(all.samples()).containsExactly(
                row("only_in", "eq.o", "id", 5, "name", "e", "score", 50),
                row("only_in", "eq.t", "id", 3, "name", "c", "score", 30));
        assertThat(r.checks().get(1).failingRows()).isEqualTo(2);
        assertThat(r.checks().get(1).samples().get(0)).isEqualTo(row("only_in", "eq.o", "id", 5, "name", "e"));
        assertThat(r.checks().get(2).status()).isEqualTo(Status.PASS);
        assertThat(r.queries()).isEqualTo(3 + 2);        // one query per check, samples of the two failing
        assertThat(all.failuresTable()).isEqualTo("eq_audit.t__equality_o");
        try (Connection c = ds.getConnection(); var st = c.createStatement();
                var rs = st.executeQuery("select string_agg(only_in || ':' || id, ',' order by only_in) from eq_audit.t__equality_o")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("eq.o:5,eq.t:3");
        }
        try (Connection c = ds.getConnection()) {
            assertThat(QualitySuite.create().table("eq.t", t -> t.equality("eq.o")).sql(c)).containsExactly(all.sql());
        }
        assertThat(all.sql()).contains("except all");
        assertThat(r.toJson()).contains("\"equality\"", "only_in");

        // where applies here only; a threshold counts the differing rows of both sides; severity WARN warns
        QualityReport filtered = QualitySuite.on(ds).samples(0).table("eq.t", t -> t.where("id <> 3")
                .equality("eq.o").threshold(Threshold.rows(2))
                .equality("eq.same").id("same").warn()).run();
        assertThat(filtered.checks()).extracting(CheckResult::status).containsExactly(Status.PASS, Status.WARN);
        assertThat(filtered.checks()).extracting(CheckResult::failingRows).containsExactly(2L, 2L); // (3, c, 30) and (5, e, 50) only there; both (3, c, 30) of eq.same
    }

    @Test
    void aMissingColumnOrTableIsAnErrorNamingIt(DataSource ds) throws Exception {
        sql(ds, "create schema eqm", "create table eqm.t (id int, name text, score int)", "insert into eqm.t values (1, 'a', 1)",
                "create table eqm.narrow (id int)", "insert into eqm.narrow values (1)");
        QualityReport r = QualitySuite.on(ds).table("eqm.t", t -> t
                .equality("eqm.narrow")
                .equality("eqm.narrow", "nope").id("nope")
                .equality("eqm.gone")
                .equality("eqm.narrow", "id").id("on_id")).run();
        assertThat(r.checks()).extracting(CheckResult::status).containsExactly(Status.ERROR, Status.ERROR, Status.ERROR,
                Status.PASS);
        assertThat(r.checks().get(0).message()).isEqualTo("column(s) \"name\", \"score\" of eqm.t do not exist in the table"
                + " to compare with eqm.narrow (columns: id)");
        assertThat(r.checks().get(1).message()).contains("\"nope\"", "does not exist in eqm.t");
        assertThat(r.checks().get(2).message()).contains("eqm.gone", "does not exist");
        assertThat(r.queries()).isEqualTo(1);
        assertThatThrownBy(() -> QualitySuite.on(ds).table("eqm.t", t -> t.equality("eqm.narrow", "id", "id")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("eqm.t: equality(eqm.narrow): a column is given twice");
    }
}
