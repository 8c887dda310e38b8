package dev.mds.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A batch too large for an index probe is merged by hashing the target's keys; the MERGE runs with {@code work_mem}
 * raised to {@link MergeLoader.Builder#workMem} (never lowered) so that hash stays in memory, and the caller's
 * setting is back right after, in the caller's own transaction too. A statement trigger on the target records the
 * setting the MERGE ran with. Before, the MERGE ran with the session's (PostgreSQL's default 4MB: the hash of 1M
 * target keys spilled in 8 batches).
 */
@MdsPostgres
class WorkMemTest {
    static final Schema SCHEMA = Schema.builder().required("id", FieldType.LONG).add("v", FieldType.INT).build();
    static final int LARGE = 100_100;   // above 100,000 also with a refused row set aside

    static RecordBatch batch(int rows, int v) {
        List<Record> records = new ArrayList<>(rows);
        for (long id = 1; id <= rows; id++) {
            records.add(Record.of(id, v));
        }
        return RecordBatch.of(SCHEMA, records);
    }

    /** A target holding one row, with a trigger logging the work_mem of each statement inserting or updating it. */
    static void target(DataSource ds, String table) {
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw." + table + " (id bigint primary key, v int check (v <> 13))",
                "insert into raw." + table + " values (1, 0)",
                "create table if not exists raw.seen (tbl text, work_mem text)",
                "create or replace function raw.log_work_mem() returns trigger language plpgsql as $$ begin"
                        + " insert into raw.seen values (TG_TABLE_NAME, current_setting('work_mem')); return null; end $$",
                "create trigger log after insert or update on raw." + table
                        + " for each statement execute function raw.log_work_mem()");
    }

    static List<String> seen(DataSource ds, String table) {
        return TestSql.strings(ds, "select work_mem from raw.seen where tbl = '" + table + "'");
    }

    static String show(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("show work_mem")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aLargeBatchsMergeRunsWithTheRaisedWorkMemAndTheCallersSettingIsBackRightAfterInItsTransaction(DataSource ds)
            throws Exception {
        target(ds, "large");
        MergeLoader loader = MergeLoader.into(ds, "raw.large").key("id").build();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("set local work_mem = '3MB'");
            }
            LoadResult r = loader.load(batch(LARGE, 1), c);
            assertThat(r.inserted()).isEqualTo(LARGE - 1);
            assertThat(r.updated()).isEqualTo(1);
            assertThat(show(c)).isEqualTo("3MB");
            c.commit();
        }
        // one MERGE statement (its insert and update fire the statement trigger once each), with the default
        assertThat(seen(ds, "large")).containsOnly(MergeLoader.Builder.DEFAULT_WORK_MEM).hasSize(2);
        assertThat(TestSql.strings(ds, "select count(*) || ' ' || sum(v) from raw.large")).containsExactly(LARGE + " " + LARGE);
    }

    @Test
    void aHigherSettingIsKeptAndZeroOrASmallBatchLeavesTheSettingAsItIs(DataSource ds) throws Exception {
        target(ds, "higher");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("set local work_mem = '200MB'");
            }
            MergeLoader.into(ds, "raw.higher").key("id").build().load(batch(LARGE, 1), c);
            assertThat(show(c)).isEqualTo("200MB");
            c.commit();
        }
        assertThat(seen(ds, "higher")).containsOnly("200MB");

        target(ds, "zero");
        MergeLoader.into(ds, "raw.zero").key("id").workMem("0kB").build().load(batch(LARGE, 1));
        assertThat(seen(ds, "zero")).containsOnly(TestSql.strings(ds, "show work_mem").get(0));

        target(ds, "small");   // an index probe: the setting is not touched
        MergeLoader.into(ds, "raw.small").key("id").workMem("1GB").build().load(batch(1000, 1));
        assertThat(seen(ds, "small")).containsOnly(TestSql.strings(ds, "show work_mem").get(0));

        target(ds, "custom");
        MergeLoader.into(ds, "raw.custom").key("id").workMem("96MB").build().load(batch(LARGE, 1));
        assertThat(seen(ds, "custom")).containsOnly("96MB");
    }

    @Test
    void aMergeTheTableRefusesIsRunAgainRaisedAndTheSettingIsBackAfterwards(DataSource ds) throws Exception {
        target(ds, "refused");
        List<Record> records = new ArrayList<>(batch(LARGE, 1).records());
        records.set(500, Record.of(501L, 13));   // the check constraint refuses it
        MergeLoader loader = MergeLoader.into(ds, "raw.refused").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            LoadResult r = loader.load(RecordBatch.of(SCHEMA, records), c);
            assertThat(r.rejected()).isEqualTo(1);
            assertThat(show(c)).isEqualTo(TestSql.strings(ds, "show work_mem").get(0));
            c.commit();
        }
        assertThat(seen(ds, "refused")).containsOnly(MergeLoader.Builder.DEFAULT_WORK_MEM).isNotEmpty();
        assertThat(TestSql.strings(ds, "select count(*) from raw.refused")).containsExactly(String.valueOf(LARGE - 1));
    }

    @Test
    void workMemMustBeAMemorySizeWithItsUnit(DataSource ds) {
        for (String bad : new String[] {"64", "64 MB", "64mb", "lots", "-1MB", ""}) {
            assertThatThrownBy(() -> MergeLoader.into(ds, "raw.t").key("id").workMem(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("workMem \"" + bad + "\" is not a PostgreSQL memory size with its unit");
        }
        assertThatThrownBy(() -> MergeLoader.into(ds, "raw.t").workMem(null)).isInstanceOf(NullPointerException.class);
    }
}
