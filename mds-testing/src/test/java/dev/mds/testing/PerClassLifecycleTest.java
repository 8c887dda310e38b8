package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A class with one instance for all its tests: JUnit creates it before the class's before-all callbacks. */
@MdsPostgres
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PerClassLifecycleTest {
    private final DataSource ds;

    PerClassLifecycleTest(DataSource ds) {
        this.ds = ds;
    }

    @BeforeAll
    void table() {
        TableFixture.on(ds, "per_class.t").columns("id int").rows(MdsAssertions.row(1));
    }

    @Test
    void theConstructorGetsTheClassDatabase(TestDatabase db, DataSource param) throws Exception {
        assertThat(ds).isSameAs(param).isSameAs(db.dataSource());
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select current_database()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(db.name()).contains("perclasslifecycletest");
        }
        MdsAssertions.assertThatTable(ds, "per_class.t").hasRowCount(1);
    }
}
