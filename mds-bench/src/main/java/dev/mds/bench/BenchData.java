package dev.mds.bench;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.sql.DataSource;

/**
 * Deterministic test data shared by suites: the 8-column "transactions" shape (bigint key, text, numeric,
 * timestamptz, boolean, integer, double, date). Row {@code i} of {@code version v} is always the same values.
 */
public final class BenchData {
    private static final OffsetDateTime EPOCH = Instant.parse("2024-01-01T00:00:00Z").atOffset(ZoneOffset.UTC);
    private static final LocalDate DAY0 = LocalDate.of(2024, 1, 1);

    private BenchData() {
    }

    /** {@code id bigint, name text, amount numeric(12,2), booked_at timestamptz, paid boolean, quantity int, score double, booked_on date}. */
    public static Schema schema8() {
        return Schema.builder()
                .required("id", FieldType.LONG)
                .add("name", FieldType.STRING)
                .add("amount", FieldType.decimal(12, 2))
                .add("booked_at", FieldType.TIMESTAMPTZ)
                .add("paid", FieldType.BOOLEAN)
                .add("quantity", FieldType.INT)
                .add("score", FieldType.DOUBLE)
                .add("booked_on", FieldType.DATE)
                .build();
    }

    /** The DDL of {@link #schema8()} with {@code id} as primary key. */
    public static String ddl8(String quotedTable) {
        return "create table " + quotedTable + " (id bigint primary key, name text, amount numeric(12,2),"
                + " booked_at timestamptz, paid boolean, quantity integer, score double precision, booked_on date)";
    }

    /**
     * Drops and creates {@code quotedTable} as {@link #ddl8}, then checkpoints, so no timed round pays for an
     * earlier round's writes.
     */
    public static void recreate8(DataSource ds, String quotedTable) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists bench");
            st.execute("drop table if exists " + quotedTable);
            st.execute(ddl8(quotedTable));
            st.execute("checkpoint");
        }
    }

    /** Row count and a checksum of the contents of {@code quotedTable}; fails on a count other than expected. */
    public static String checksum(DataSource ds, String quotedTable, long expectedRows) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*), sum(hashtext(t::text)::bigint) from " + quotedTable + " t")) {
            rs.next();
            long n = rs.getLong(1);
            if (n != expectedRows) {
                throw new AssertionError("expected " + expectedRows + " rows in " + quotedTable + ", found " + n);
            }
            return n + " rows, checksum " + rs.getLong(2);
        }
    }

    /** Row {@code id} in version {@code version} (versions differ in amount, paid and score). */
    public static Record record8(long id, int version) {
        SplittableRandom r = new SplittableRandom(id * 31 + version);
        return Record.of(id, "customer " + id + " of " + (id % 977),
                BigDecimal.valueOf(r.nextLong(1, 10_000_000), 2),
                EPOCH.plusSeconds(id * 7 % 31_536_000),
                (id + version) % 3 == 0,
                (int) (id % 100),
                r.nextDouble() * 1000,
                DAY0.plusDays(id % 365));
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) in one version. */
    public static List<Record> records8(long from, long to, int version) {
        List<Record> out = new ArrayList<>((int) (to - from));
        for (long id = from; id < to; id++) {
            out.add(record8(id, version));
        }
        return out;
    }

    /** One record as a line of PostgreSQL COPY text format. */
    public static void appendCopyText(StringBuilder s, Record r) {
        for (int i = 0; i < r.size(); i++) {
            if (i > 0) {
                s.append('\t');
            }
            Object v = r.get(i);
            if (v == null) {
                s.append("\\N");
            } else {
                s.append(v);
            }
        }
        s.append('\n');
    }

    /**
     * The honest JDBC baseline: {@code sql} as one prepared statement, the records bound in order, sent in
     * batches of 1000, in one transaction.
     */
    public static void batchedInsert(javax.sql.DataSource ds, String sql, List<Record> records) throws java.sql.SQLException {
        try (java.sql.Connection c = ds.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(false);
            int inBatch = 0;
            for (Record r : records) {
                for (int i = 0; i < r.size(); i++) {
                    ps.setObject(i + 1, r.get(i));
                }
                ps.addBatch();
                if (++inBatch == 1000) {
                    ps.executeBatch();
                    inBatch = 0;
                }
            }
            ps.executeBatch();
            c.commit();
        }
    }
}
