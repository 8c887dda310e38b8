package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The embedded server itself, also when {@code MDS_TEST_JDBC_URL} sends the other tests elsewhere. */
@MdsPostgres(MdsPostgres.Source.EMBEDDED)
class EmbeddedServerTest {
    @Test
    void embeddedServerIsPostgres17WithLogicalDecoding(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            ResultSet rs = st.executeQuery("select current_setting('server_version_num')::int, current_setting('wal_level')");
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(170000);
            assertThat(rs.getString(2)).isEqualTo("logical");
        }
    }
}
