package dev.mds.vault;

import dev.mds.testing.Row;
import dev.mds.testing.TableFixture;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.List;
import javax.sql.DataSource;

/** The vault tests' shared set-up: plain SQL, and a raw customers table loaded batch by batch through a stage. */
final class VaultFixtures {
    private VaultFixtures() {
    }

    /** Midnight UTC of a day of January 2024. */
    static OffsetDateTime day(int d) {
        return OffsetDateTime.of(2024, 1, d, 0, 0, 0, 0, ZoneOffset.UTC);
    }

    /** A raw customers table (id, email, name, age, ld) holding {@code rows}. */
    static void raw(DataSource ds, String table, Row... rows) {
        TableFixture.on(ds, table).columns("id text", "email text", "name text", "age int", "ld timestamptz").rows(rows);
    }

    /** The next batch: the raw table's rows replaced (a stage view over it stays). */
    static void batch(DataSource ds, String table, Row... rows) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("truncate " + table);
            if (rows.length == 0) {
                return;
            }
            try (PreparedStatement ps = c.prepareStatement("insert into " + table + " values ("
                    + String.join(", ", Collections.nCopies(rows[0].size(), "?")) + ")")) {
                for (Row r : rows) {
                    for (int i = 0; i < r.size(); i++) {
                        ps.setObject(i + 1, r.values().get(i));
                    }
                    ps.executeUpdate();
                }
            }
        }
    }

    /** The stage of a raw customers table {@code raw.x} into {@code stg.x}: customer_hk over id, a hashdiff. */
    static Stage customers(String raw, String source) {
        return Stage.of(raw).into("stg." + raw.substring(4)).loadDate("ld").recordSource(source)
                .hashKey("customer_hk", "id").hashDiff("customer_hashdiff", "email", "name", "age");
    }

    /**
     * Runs an effectivity satellite's load statements in one transaction, after {@code setting} (a {@code set local},
     * or null), and returns the final query's counts: rows inserted, stage rows skipped.
     */
    static List<Long> effectivityLoad(DataSource ds, String setting, List<String> statements) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            try {
                if (setting != null) {
                    st.execute(setting);
                }
                for (String s : statements.subList(0, statements.size() - 1)) {
                    st.execute(s);
                }
                try (java.sql.ResultSet rs = st.executeQuery(statements.get(statements.size() - 1))) {
                    rs.next();
                    List<Long> out = List.of(rs.getLong(1), rs.getLong(2));
                    c.commit();
                    return out;
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
