package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * NULLs in a unique check's key. By default a row with a NULL in any key column is not compared, as a PostgreSQL unique
 * constraint and dbt's {@code unique} test ignore it; {@code nullKeys(COMPARED)} counts a NULL as a value, as
 * dbt-utils' {@code unique_combination_of_columns} (a GROUP BY of the columns, where NULLs group together) and
 * PostgreSQL 15's {@code UNIQUE NULLS NOT DISTINCT} do; {@code nullKeys(SKIPPED_IF_ALL_NULL)} skips only keys of NULLs
 * alone, as Great Expectations' {@code expect_compound_columns_to_be_unique} does by default.
 */
@MdsPostgres
class UniqueNullsTest {

    private static long scalar(DataSource ds, String query) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void nullKeysComparedCountsKeysWithNullsAsDbtUtilsUniqueCombinationOfColumnsDoes(DataSource ds) throws Exception {
        sql(ds, "create table combo (id int primary key, month text, product text)",
                "insert into combo values (1, 'jan', 'a'), (2, 'jan', null), (3, 'jan', null), (4, null, null),"
                        + " (5, null, null), (6, 'feb', null), (7, 'jan', 'b')");
        // dbt-utils' test query, as it runs on PostgreSQL: the groups it returns are its failures
        long dbtUtilsGroups = scalar(ds, "select count(*) from (select month, product from combo group by month, product"
                + " having count(*) > 1) validation_errors");
        assertThat(dbtUtilsGroups).isEqualTo(2);

        QualityReport r = QualitySuite.on(ds).storeFailures("public").table("combo", t -> t
                .unique("month", "product")
                .unique("month", "product").nullKeys(NullKeys.COMPARED).id("combination")
                .unique("product").nullKeys(NullKeys.COMPARED).id("product_nulls"))
                .table("combo", t -> t.unique("month", "product").nullKeys(NullKeys.SKIPPED_IF_ALL_NULL).id("ge_default"))
                .table("combo", t -> t.where("id in (1, 2, 6, 7)").unique("month", "product").nullKeys(NullKeys.COMPARED).id("distinct"))
                .run();
        CheckResult plain = r.check("public.combo", "unique_month_product").orElseThrow();
        assertThat(plain.status()).isEqualTo(Status.PASS);

        CheckResult combination = r.check("public.combo", "combination").orElseThrow();
        assertThat(combination.status()).isEqualTo(Status.FAIL);
        assertThat(combination.failingRows()).isEqualTo(4);
        assertThat(combination.checkedRows()).isEqualTo(7);
        assertThat(combination.observed()).isEqualTo("2 duplicated keys in 4 of 7 rows (NULLs compared as values)");
        assertThat(combination.samples()).extracting(m -> m.get("month")).containsExactlyInAnyOrder("jan", null);
        assertThat(combination.samples()).allSatisfy(m -> assertThat(m.get("duplicates")).isEqualTo(2L));
        assertThat(combination.failuresTable()).isNotEmpty();
        assertThat(scalar(ds, "select count(*) from " + combination.failuresTable())).isEqualTo(4);
        assertThat(scalar(ds, "select count(*) from " + combination.failuresTable() + " where id in (2, 3, 4, 5)")).isEqualTo(4);

        CheckResult distinct = r.check("public.combo", "distinct").orElseThrow();
        assertThat(distinct.status()).as("(jan, NULL) and (feb, NULL) differ").isEqualTo(Status.PASS);
        assertThat(distinct.checkedRows()).isEqualTo(4);

        CheckResult ge = r.check("public.combo", "ge_default").orElseThrow();
        assertThat(ge.failingRows()).as("('jan', NULL) twice; (NULL, NULL) skipped").isEqualTo(2);
        assertThat(ge.checkedRows()).as("all rows, as for the default").isEqualTo(7);
        assertThat(ge.samples()).extracting(m -> m.get("month")).containsExactly("jan");
        assertThat(scalar(ds, "select count(*) from " + ge.failuresTable() + " where id in (2, 3)")).isEqualTo(2);
        assertThat(scalar(ds, "select count(*) from " + ge.failuresTable())).isEqualTo(2);

        CheckResult single = r.check("public.combo", "product_nulls").orElseThrow();
        assertThat(single.failingRows()).as("the five NULL products are one key").isEqualTo(5);
    }

    @Test
    void nullKeysComparedTrustsOnlyAUniqueIndexOverNotNullColumns(DataSource ds) {
        sql(ds, "create table idx (a int, b int not null, unique (a))", "insert into idx values (null, 1), (null, 2)",
                "create table idx2 (a int not null, b int, unique (a))", "insert into idx2 values (1, null), (2, null)");
        QualityReport r = QualitySuite.on(ds).table("idx", t -> t.unique("a").nullKeys(NullKeys.COMPARED))
                .table("idx2", t -> t.unique("a", "b").nullKeys(NullKeys.COMPARED)).run();
        assertThat(r.checks().get(0).status()).as("unique (a) lets NULLs repeat").isEqualTo(Status.FAIL);
        assertThat(r.checks().get(0).failingRows()).isEqualTo(2);
        assertThat(r.checks().get(1).status()).isEqualTo(Status.PASS);
        assertThat(r.checks().get(1).observed()).startsWith("guaranteed by unique index");
    }

    /**
     * A unique index declared {@code NULLS NOT DISTINCT} over nullable columns: the checks that compare NULLs still scan
     * (the index is trusted only over NOT NULL columns), and every way of treating NULLs reports what the rows hold; a
     * check on fewer columns than the index is not guaranteed by it.
     */
    @Test
    void aUniqueIndexNullsNotDistinctIsCheckedNotTrustedForNullKeysAndEveryModeReportsTheRows(DataSource ds) {
        sql(ds, "create table nnd (id int primary key, a int, b text, c text, unique nulls not distinct (a, b))",
                "insert into nnd values (1, 1, null, 'p'), (2, null, null, 'p'), (3, 2, 'x', 'p'), (4, null, 'x', 'p'),"
                        + " (5, 1, 'y', 'q')");
        QualityReport r = QualitySuite.on(ds).table("nnd", t -> t
                .unique("a", "b").id("default")
                .unique("a", "b").nullKeys(NullKeys.COMPARED).id("compared")
                .unique("a", "b").nullKeys(NullKeys.SKIPPED_IF_ALL_NULL).id("all_null")
                .unique("a", "b", "c").nullKeys(NullKeys.COMPARED).id("wider")
                .unique("a").nullKeys(NullKeys.COMPARED).id("narrower")
                .unique("a").id("narrower_default")).run();
        assertThat(r.check("public.nnd", "default").orElseThrow().observed()).startsWith("guaranteed by unique index");
        CheckResult compared = r.check("public.nnd", "compared").orElseThrow();
        assertThat(compared.status()).isEqualTo(Status.PASS);
        assertThat(compared.observed()).isEqualTo("0 duplicated keys in 5 rows (NULLs compared as values)");
        assertThat(compared.sql()).isNotEmpty();
        assertThat(r.check("public.nnd", "all_null").orElseThrow().observed())
                .isEqualTo("0 duplicated keys in 5 rows (NULLs compared as values, keys of NULLs alone skipped)");
        assertThat(r.check("public.nnd", "wider").orElseThrow().status()).isEqualTo(Status.PASS);
        CheckResult narrower = r.check("public.nnd", "narrower").orElseThrow();
        assertThat(narrower.status()).as("a = 1 twice, a NULL twice").isEqualTo(Status.FAIL);
        assertThat(narrower.failingRows()).isEqualTo(4);
        CheckResult narrowerDefault = r.check("public.nnd", "narrower_default").orElseThrow();
        assertThat(narrowerDefault.failingRows()).as("a = 1 twice; NULLs skipped").isEqualTo(2);
    }

    @Test
    void nullKeysFollowsOnlyAUniqueCheck(DataSource ds) {
        assertThatThrownBy(() -> QualitySuite.on(ds).table("t", t -> t.notNull("a").nullKeys(NullKeys.COMPARED)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not_null_a").hasMessageContaining("unique");
        assertThatThrownBy(() -> QualitySuite.on(ds).table("t", t -> t.nullKeys(NullKeys.COMPARED)))
                .isInstanceOf(IllegalStateException.class);
    }
}
