package dev.mds.connector.csv;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Bad rows of the real forex seed file land in a dead-letter table; good rows in the target, one batch per transaction. */
@MdsPostgres
class DeadLetterTableTest {
    @Test
    void badRowsOfTheSeedFileLandInADeadLetterTableAndGoodRowsInTheTarget(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema raw");
            st.execute("create table raw.prices (transaction_id text, price numeric(10,2))");
            st.execute("create table raw.rejected (source text, line bigint, reason text, row_text text)");
        }
        BadRowSink toTable = bad -> {
            try (Connection c = ds.getConnection();
                 PreparedStatement ps = c.prepareStatement("insert into raw.rejected values (?, ?, ?, ?)")) {
                ps.setString(1, bad.location().source());
                ps.setLong(2, bad.location().line().orElseThrow());
                ps.setString(3, bad.reason());
                ps.setString(4, bad.text());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
        try (CsvSource csv = CsvSource.builder().path(SeedData.file("002-forex-transactions/customer_transactions.csv"))
                .type("price", FieldType.decimal(10, 2)).onBadRow(OnBadRow.DEAD_LETTER, toTable)
                .chunkRows(25).parallelism(2).build()) {
            int id = csv.schema().indexOf("transaction_id");
            int price = csv.schema().indexOf("price");
            for (RecordBatch batch : (Iterable<RecordBatch>) csv.batches()::iterator) {
                insert(ds, batch.records(), id, price);
            }
        }
        assertThatTable(ds, "raw.prices").hasRowCount(89);
        assertThatTable(ds, "raw.rejected").hasRowCount(11);
        assertThatTable(ds, "raw.rejected").columns("source", "line", "reason").contains(
                row("customer_transactions.csv", 10L, "\"Two Hundred\" is not a decimal(10,2)"));
        assertThatTable(ds, "raw.prices").columns("transaction_id", "price")
                .contains(row("1001", new java.math.BigDecimal("76.27")));
    }

    private static void insert(DataSource ds, List<Record> records, int id, int price) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("insert into raw.prices values (?, ?)")) {
            c.setAutoCommit(false);
            for (Record r : records) {
                ps.setObject(1, r.get(id));
                ps.setObject(2, r.get(price));
                ps.addBatch();
            }
            ps.executeBatch();
            c.commit();
        }
    }
}
