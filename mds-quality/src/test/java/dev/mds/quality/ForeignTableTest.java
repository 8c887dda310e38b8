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
}
