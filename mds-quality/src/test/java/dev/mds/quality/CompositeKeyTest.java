package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Composite-typed key columns: a value whose fields are (partly) NULL is a value, not a NULL. {@code k is null} is
 * true for {@code (null,null)::pair} and {@code k is not null} is false for {@code (1,null)::pair}, so unique and
 * relationships must ask {@code is [not] distinct from null}, as a unique index and a NOT NULL constraint do.
 */
@MdsPostgres
class CompositeKeyTest {

    private static CheckResult check(QualityReport r, String table, String id) {
        return r.check(table, id).orElseThrow(() -> new AssertionError("no check " + id + " in " + r.checks()));
    }

    @Test
    void uniqueCountsCompositeValuesWithNullFieldsAsAUniqueIndexDoesAndIgnoresOnlySqlNulls(DataSource ds) {
        sql(ds, "create type pair as (a int, b int)",
                "create table cp (id int primary key, k pair, g int)",
                // (null,null) twice and (1,null) twice are duplicates; the two SQL NULLs are not compared
                "insert into cp values (1, row(null,null), 1), (2, row(null,null), 1), (3, row(1,null), 1),"
                        + " (4, row(1,null), 1), (5, null, 1), (6, null, 1), (7, row(2,3), 1)");
        // PostgreSQL's own verdict: a unique index over k refuses these rows
        assertThatThrownBy(() -> sql(ds, "create unique index cp_k on cp (k)")).hasMessageContaining("could not create unique index");

        QualityReport r = QualitySuite.on(ds).table("cp", t -> t.unique("k").unique("k", "g").notNull("k")).run();
        CheckResult single = check(r, "public.cp", "unique_k");
        assertThat(single.status()).isEqualTo(Status.FAIL);
        assertThat(single.failingRows()).isEqualTo(4);
        assertThat(single.observed()).startsWith("2 duplicated keys");
        assertThat(single.samples()).extracting(m -> m.get("k")).containsExactlyInAnyOrder("(,)", "(1,)");
        assertThat(single.samples()).allSatisfy(m -> assertThat(m.get("duplicates")).isEqualTo(2L));

        CheckResult composite = check(r, "public.cp", "unique_k_g");
        assertThat(composite.failingRows()).isEqualTo(4);
        assertThat(composite.samples()).hasSize(2);
        // not_null counts only the two SQL NULLs (unchanged behaviour, for comparison)
        assertThat(check(r, "public.cp", "not_null_k").failingRows()).isEqualTo(2);
    }

    @Test
    void uniquePassesWhenCompositeValuesWithNullFieldsDifferAndOnlySqlNullsRepeat(DataSource ds) {
        sql(ds, "create type pair2 as (a int, b text)",
                "create table cq (id int primary key, k pair2)",
                "insert into cq values (1, row(null,null)), (2, row(1,null)), (3, row(null,'x')), (4, null), (5, null)");
        sql(ds, "create unique index cq_probe on cq (k)", "drop index cq_probe"); // PostgreSQL agrees: no duplicate
        QualityReport r = QualitySuite.on(ds).table("cq", t -> t.unique("k")).run();
        CheckResult u = r.checks().get(0);
        assertThat(u.status()).isEqualTo(Status.PASS);
        assertThat(u.failingRows()).isZero();
        assertThat(u.checkedRows()).isEqualTo(5);
    }

    @Test
    void relationshipsCountsCompositeChildValuesWithNullFieldsThatHaveNoParent(DataSource ds) {
        sql(ds, "create type ref as (a int, b int)",
                "create table parent_c (k ref)",
                "insert into parent_c values (row(1,null)), (row(2,3))",
                "create table child_c (id int primary key, k ref)",
                // 1: matches (1,null) (composite equality compares NULL fields as equal); 2: (null,null) has no parent;
                // 3: (9,null) has no parent; 4: SQL NULL, ignored; 5: matches (2,3)
                "insert into child_c values (1, row(1,null)), (2, row(null,null)), (3, row(9,null)), (4, null), (5, row(2,3))");
        QualityReport r = QualitySuite.on(ds).table("child_c", t -> t.relationships("k", "parent_c", "k")).run();
        CheckResult rel = r.checks().get(0);
        assertThat(rel.status()).isEqualTo(Status.FAIL);
        assertThat(rel.failingRows()).isEqualTo(2);
        assertThat(rel.checkedRows()).isEqualTo(5);
        assertThat(rel.samples()).extracting(m -> m.get("id")).containsExactly(2, 3);
        assertThat(rel.samples()).extracting(m -> m.get("k")).containsExactly("(,)", "(9,)");
    }

    @Test
    void relationshipsDoesNotCountAChildValueMatchedByAParentValueWhoseFieldsAreAllNull(DataSource ds) {
        sql(ds, "create type ref2 as (a int, b int)",
                "create table parent_n (k ref2)", "insert into parent_n values (row(null,null))",
                "create table child_n (id int primary key, k ref2)", "insert into child_n values (1, row(null,null))");
        QualityReport r = QualitySuite.on(ds).table("child_n", t -> t.relationships("k", "parent_n", "k")).run();
        assertThat(r.checks().get(0).status()).isEqualTo(Status.PASS);
        assertThat(r.checks().get(0).failingRows()).isZero();
        assertThat(r.checks().get(0).samples()).isEqualTo(List.<Map<String, Object>>of());
    }
}
