package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The newest features as a dbt / Great Expectations user tries them: where(...) with every kind of check and
 * storeFailures, odd and long names, and a caller's transaction rolled back after a run replaced and dropped tables.
 */
@MdsPostgres
class DbtUserReviewTest {

    /** Before, the second where(...) silently replaced the first, so the checks ran on rows the caller had excluded. */
    @Test
    void aSecondWhereIsRefusedInsteadOfSilentlyReplacingTheFirst() {
        assertThatThrownBy(() -> QualitySuite.create().table("s.t", t -> t.where("loaded_at > now() - interval '1 day'")
                .notNull("a").where("region = 'EU'")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("s.t: where(\"region = 'EU'\") after where(\"loaded_at > now() - interval '1 day'\"): a table's"
                        + " checks have one condition; write both in one where(...) (\"(a) and (b)\"), or give the table"
                        + " again with its own checks for other rows");
        // one condition, and the same table again with other ids for other rows, are fine
        assertThat(QualitySuite.create().table("s.t", t -> t.where("(a > 0) and (b > 0)").notNull("a"))
                .table("s.t", t -> t.where("a <= 0").notNull("a").id("not_null_a_rest")).sql()).hasSize(2);
    }

    /**
     * where(...) restricts every check, the non-NULL denominators and the stored failing rows alike: each stored
     * table holds exactly the rows its check counted, none from outside the condition. The condition qualifies a
     * column with the table's name and ends in a comment.
     */
    @Test
    void whereRestrictsEveryCheckAndTheStoredRowsAlike(DataSource ds) {
        sql(ds, "create schema wa", "create schema audit_wa", "create table wa.p (pid int primary key)",
                "insert into wa.p values (1)",
                "create table wa.t (id int primary key, v int, c text, pid int, ts timestamptz)",
                // rows 1-4 are checked; rows 5-8 (excluded) break every check too
                "insert into wa.t select g, case when g in (1, 2, 5, 6) then null else 1 end,"
                        + " case when g in (1, 2, 5, 6) then 'dup' when g in (3, 7) then 'odd' else null end,"
                        + " case when g in (3, 7) then 9 else 1 end, now() from generate_series(1, 8) g");
        QualityReport r = QualitySuite.on(ds).storeFailures("audit_wa").table("wa.t", t -> t
                .notNull("v")
                .unique("c").threshold(Threshold.mostly(0.5))                 // 2 of 3 non-NULL keys: FAIL
                .acceptedValues("c", "dup").threshold(Threshold.percentOfNonNull(33))  // 1 of 3 non-NULL: 33.3%, FAIL
                .range("v", 2, null)
                .matches("c", "^d")
                .relationships("pid", "wa.p", "pid")
                .expression("v_set", "v is not null")
                .rowCount(Bounds.between(4, 4))
                .freshness("ts", Duration.ofDays(1))
                .where("wa.t.id <= 4 -- today's rows"))
                .run();
        Map<String, String> seen = new LinkedHashMap<>();
        r.checks().forEach(c -> seen.put(c.id(), c.status() + " " + c.failingRows() + "/" + c.checkedRows()));
        assertThat(seen).containsExactly(Map.entry("not_null_v", "FAIL 2/4"), Map.entry("unique_c", "FAIL 2/4"),
                Map.entry("accepted_values_c", "FAIL 1/4"), Map.entry("range_v", "FAIL 2/4"),
                Map.entry("matches_c", "FAIL 1/4"), Map.entry("relationships_pid", "FAIL 1/4"),
                Map.entry("v_set", "FAIL 2/4"), Map.entry("row_count", "PASS 0/4"), Map.entry("freshness_ts", "PASS 0/4"));
        assertThat(r.check("wa.t", "unique_c").orElseThrow().message()).contains("of 3 non-null rows");
        for (CheckResult c : r.checks()) {
            if (c.kind().equals("row_count") || c.kind().equals("freshness")) {
                assertThat(c.failuresTable()).isEmpty();
                continue;
            }
            assertThat(strings(ds, "select count(*) from " + c.failuresTable())).as(c.id())
                    .containsExactly(Long.toString(c.failingRows()));
            assertThat(strings(ds, "select count(*) from " + c.failuresTable() + " where id > 4")).as(c.id()).containsExactly("0");
        }
    }

    /**
     * Quotes, a semicolon, an apostrophe and a multibyte table name of 62 bytes; two checks whose names are the same
     * once cut to fit 63 bytes get distinct hashes, stable from run to run, and each its own rows.
     */
    @Test
    void oddNamesAreQuotedAndNamesThatCollideOnlyOnceCutGetTheirOwnTables(DataSource ds) {
        String accented = "é".repeat(30) + "ab"; // 62 bytes
        sql(ds, "create schema \"Odd Sch\"", "create schema \"Aud It\"",
                "create table \"Odd Sch\".\"My \"\"Tab\"\"; x\" (id int, \"we'ird col\" text)",
                "insert into \"Odd Sch\".\"My \"\"Tab\"\"; x\" values (1, null), (2, 'a'), (3, 'a')",
                "create table \"Odd Sch\".\"" + accented + "\" (id int, v int, w int)",
                "insert into \"Odd Sch\".\"" + accented + "\" values (1, null, 5), (2, 7, null)");
        QualitySuite suite = QualitySuite.on(ds).storeFailures("Aud It")
                .table("\"Odd Sch\".\"My \"\"Tab\"\"; x\"", t -> t.notNull("we'ird col").unique("we'ird col").id("it's \"u\""))
                .table("\"Odd Sch\".\"" + accented + "\"", t -> t.notNull("v").id("a_long_check_name_v")
                        .notNull("w").id("a_long_check_name_w"));
        QualityReport first = suite.run();
        assertThat(first.checks()).extracting(CheckResult::failuresTable).containsExactly(
                "\"Aud It\".\"My \"\"Tab\"\"; x__not_null_we'ird col\"", "\"Aud It\".\"My \"\"Tab\"\"; x__it's \"\"u\"\"\"",
                first.checks().get(2).failuresTable(), first.checks().get(3).failuresTable());
        String v = first.checks().get(2).failuresTable();
        String w = first.checks().get(3).failuresTable();
        assertThat(List.of(v, w)).doesNotHaveDuplicates().allSatisfy(n -> {
            String name = n.substring("\"Aud It\".\"".length(), n.length() - 1);
            assertThat(name).startsWith("é".repeat(27)).matches(".*_[0-9a-f]{8}");
            assertThat(name.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
        });
        assertThat(strings(ds, "select id from " + v)).containsExactly("1");
        assertThat(strings(ds, "select id from " + w)).containsExactly("2");
        assertThat(strings(ds, "select id from \"Aud It\".\"My \"\"Tab\"\"; x__it's \"\"u\"\"\" order by id"))
                .containsExactly("2", "3");
        assertThat(suite.run().checks()).extracting(CheckResult::failuresTable)
                .containsExactlyElementsOf(first.checks().stream().map(CheckResult::failuresTable).toList());
        assertThat(strings(ds, "select count(*) from pg_tables where schemaname = 'Aud It'")).containsExactly("4");
    }

    /** write-audit-publish: a caller that rolls back after a run replaced one table and dropped another gets both back. */
    @Test
    void aRolledBackRunLeavesTheTablesOfTheRunBefore(DataSource ds) throws Exception {
        sql(ds, "create schema rb", "create schema audit_rb", "create table rb.t (id int, v int, c text)",
                "insert into rb.t values (1, null, 'a'), (2, null, 'a'), (3, 3, 'b')");
        QualitySuite suite = QualitySuite.create().storeFailures("audit_rb").table("rb.t", t -> t.notNull("v").unique("c"));
        try (Connection c = ds.getConnection()) {
            suite.run(c); // auto-commit: stored for good
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("update rb.t set v = 0, c = 'z' where id = 1");
            }
            QualityReport r = suite.run(c);
            assertThat(r.check("rb.t", "not_null_v").orElseThrow().failingRows()).isEqualTo(1);
            assertThat(r.check("rb.t", "unique_c").orElseThrow().status()).isEqualTo(Status.PASS);
            c.rollback();
        }
        assertThat(strings(ds, "select id from audit_rb.t__not_null_v order by id")).containsExactly("1", "2");
        assertThat(strings(ds, "select id from audit_rb.t__unique_c order by id")).containsExactly("1", "2");
    }
}
