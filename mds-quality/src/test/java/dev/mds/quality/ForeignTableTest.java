package dev.mds.quality;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Checks on a foreign table, through file_fdw on the embedded server (which has the contrib extensions). */
@MdsPostgres(MdsPostgres.Source.EMBEDDED)
class ForeignTableTest {

    /**
     * PostgreSQL does not enforce NOT NULL on a foreign table (its data lives elsewhere), yet the check trusted the
     * declaration: a CSV read through file_fdw with an empty field passed not_null as "(NOT NULL constraint)".
     */
    @Test
    void notNullOnAForeignTableCountsItsNullsWhateverItDeclares(DataSource ds) {
        sql(ds, "create extension file_fdw", "create server landing_files foreign data wrapper file_fdw",
                "create foreign table landing (id int not null, v text not null) server landing_files"
                        + " options (program 'printf ''1,a\\n2,\\n3,c\\n''', format 'csv')");
        QualityReport r = QualitySuite.on(ds).table("landing", t -> t.notNull("v", "id")).run();
        CheckResult v = r.check("landing", "not_null_v").orElseThrow();
        assertThat(v.status()).isEqualTo(Status.FAIL);
        assertThat(v.failingRows()).isEqualTo(1);
        // no samples: PostgreSQL 17's planner itself trusts the declaration and folds "v is null" to false
        assertThat(r.check("landing", "not_null_id").orElseThrow().status()).isEqualTo(Status.PASS);
    }

    /**
     * A partitioned (or inheritance parent) table declares NOT NULL for its partitions, and a foreign partition (an
     * archive on another server, or files) does not enforce it: the check trusted the parent's declaration and passed
     * "(NOT NULL constraint)" over a partition's NULLs.
     */
    @Test
    void notNullOnATableWithAForeignPartitionCountsItsNulls(DataSource ds) {
        sql(ds, "create extension if not exists file_fdw", "create server archive_files foreign data wrapper file_fdw",
                "create table sales (id int not null, v text not null) partition by list (id)",
                "create table sales_now partition of sales for values in (1)", "insert into sales values (1, 'a')",
                "create foreign table sales_old partition of sales for values in (2, 3) server archive_files"
                        + " options (program 'printf ''2,\\n3,c\\n''', format 'csv')",
                "create table events (id int not null, v text not null)", "insert into events values (1, 'a')",
                "create foreign table events_old (id int not null, v text not null) inherits (events) server archive_files"
                        + " options (program 'printf ''2,\\n''', format 'csv')");
        QualityReport r = QualitySuite.on(ds).table("sales", t -> t.notNull("v")).table("events", t -> t.notNull("v")).run();
        for (String table : new String[] {"sales", "events"}) {
            CheckResult v = r.check(table, "not_null_v").orElseThrow();
            assertThat(v.status()).as(table + ": " + v.observed()).isEqualTo(Status.FAIL);
            assertThat(v.failingRows()).isEqualTo(1);
        }
    }
}
