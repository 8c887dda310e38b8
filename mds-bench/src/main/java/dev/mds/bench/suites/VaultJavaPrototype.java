package dev.mds.bench.suites;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.vault.Hasher;
import dev.mds.vault.Vault;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * NOT mds's design: a measurement for a design decision. The first hub + satellite load done the other way round,
 * with the set work in Java: the raw rows are read with {@code COPY … TO STDOUT}, hashed by the AutomateDV standard
 * with {@link Hasher}, sorted, deduplicated and change-detected in Java, and written with {@code COPY … FROM STDIN}
 * into a hub and a satellite with the same primary keys as mds's. DESIGN.md principle 1 keeps dedupes and merges
 * in SQL; this class exists so that the cost of breaking it is measured rather than estimated. It handles only a
 * first load into empty tables (no stored rows to merge with), in one transaction.
 */
final class VaultJavaPrototype {
    private final DataSource ds;
    private final String[] payload;
    private final Hasher key;
    private final Hasher diff;
    private final long[] phaseNanos = new long[5];
    private static final String[] PHASES = {"read + hash", "sort", "hub copy", "satellite copy", "commit"};

    VaultJavaPrototype(DataSource ds, Vault vault, String[] payload) {
        this.ds = ds;
        this.payload = payload;
        this.key = vault.hasher(Schema.of(Field.of("customer_id", FieldType.STRING)));
        Schema.Builder s = Schema.builder();
        for (String p : payload) {
            s.add(p, FieldType.STRING);   // AutomateDV hashes each column's text form, which COPY's text output is
        }
        this.diff = vault.hasher(s.build());
    }

    /** Creates empty {@code proto.hub_customer} and {@code proto.sat_customer} shaped as mds's tables. */
    void reset() throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists proto");
            st.execute("drop table if exists proto.hub_customer, proto.sat_customer");
            st.execute("create table proto.hub_customer (like dds.hub_customer including all)");
            st.execute("create table proto.sat_customer (like dds.sat_customer including all)");
            st.execute("checkpoint");
        }
    }

    /** One stage row: hashes, load date (epoch micros) and the COPY-text fields as read (escaped). */
    private record Row(byte[] hk, byte[] hd, long loadMicros, String[] fields) {
    }

    /** Where the last first load spent its time. */
    String phases() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < PHASES.length; i++) {
            b.append(i == 0 ? "" : ", ").append(PHASES[i]).append(String.format(" %.2f s", phaseNanos[i] / 1e9));
        }
        return b.toString();
    }

    /** The first load; returns {hub rows, satellite rows}. */
    long[] firstLoad() throws Exception {
        long t0 = System.nanoTime();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            // fields: customer_id, payload..., load_ts, then epoch micros for sorting; ::text gives the text that
            // AutomateDV's CAST(… AS VARCHAR) hashes (COPY's own output would write booleans as t/f), and it is
            // valid input for the satellite's typed columns
            StringBuilder select = new StringBuilder("select customer_id::text");
            for (String p : payload) {
                select.append(", ").append(p).append("::text");
            }
            select.append(", load_ts, (extract(epoch from load_ts) * 1000000)::bigint from raw.customers");
            List<Row> rows = new ArrayList<>(1 << 20);
            CopyOut out = copy.copyOut("copy (" + select + ") to stdout");
            Object[] values = new Object[payload.length];
            byte[] line;
            while ((line = out.readFromCopy()) != null) {
                String[] f = new String(line, 0, line.length - 1, StandardCharsets.UTF_8).split("\t", -1);
                var hk = key.hashKey(text(f[0]));
                if (hk.isEmpty()) {
                    continue;
                }
                for (int i = 0; i < payload.length; i++) {
                    values[i] = text(f[1 + i]);
                }
                rows.add(new Row(hk.get(), diff.hashDiff(values), Long.parseLong(f[f.length - 1]), f));
            }
            long t1 = System.nanoTime();
            rows.sort(Comparator.comparing(Row::hk, Arrays::compareUnsigned).thenComparingLong(Row::loadMicros)
                    .thenComparing(Row::hd, Arrays::compareUnsigned));

            long t2 = System.nanoTime();
            String cols = String.join(", ", payload);
            CopyIn hub = copy.copyIn("copy proto.hub_customer (customer_hk, customer_id, load_date, record_source) from stdin");
            long hubRows = 0;
            ByteArrayOutputStream buf = new ByteArrayOutputStream(1 << 20);
            Row prev = null;
            for (Row r : rows) {
                if (prev == null || !Arrays.equals(prev.hk, r.hk)) {
                    line(buf, hex(r.hk), r.fields[0], r.fields[payload.length + 1], "crm");
                    hubRows++;
                    flush(hub, buf, false);
                }
                prev = r;
            }
            flush(hub, buf, true);
            hub.endCopy();
            long t3 = System.nanoTime();

            CopyIn sat = copy.copyIn("copy proto.sat_customer (customer_hk, customer_hashdiff, " + cols
                    + ", load_date, record_source) from stdin");
            long satRows = 0;
            Row kept = null;
            for (Row r : rows) {
                boolean sameKey = kept != null && Arrays.equals(kept.hk, r.hk);
                if (sameKey && kept.loadMicros == r.loadMicros) {
                    continue;                                   // DISTINCT ON (key, load date): smallest hashdiff
                }
                if (!sameKey || !Arrays.equals(kept.hd, r.hd)) {
                    String[] f = new String[payload.length + 4];
                    f[0] = hex(r.hk);
                    f[1] = hex(r.hd);
                    System.arraycopy(r.fields, 1, f, 2, payload.length);
                    f[payload.length + 2] = r.fields[payload.length + 1];
                    f[payload.length + 3] = "crm";
                    line(buf, f);
                    satRows++;
                    flush(sat, buf, false);
                }
                kept = r;
            }
            flush(sat, buf, true);
            sat.endCopy();
            long t4 = System.nanoTime();
            c.commit();
            long[] at = {t0, t1, t2, t3, t4, System.nanoTime()};
            for (int i = 0; i < PHASES.length; i++) {
                phaseNanos[i] = at[i + 1] - at[i];
            }
            return new long[] {hubRows, satRows};
        }
    }

    /** The value of a COPY text field: NULL for {@code \N}; this data has no other escapes (checked). */
    private static String text(String field) {
        if (field.equals("\\N")) {
            return null;
        }
        if (field.indexOf('\\') >= 0) {
            throw new IllegalStateException("the prototype does not unescape COPY text: " + field);
        }
        return field;
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** A bytea in COPY text: {@code \\x…} (the backslash escaped). */
    private static String hex(byte[] b) {
        char[] c = new char[3 + 2 * b.length];
        c[0] = '\\';
        c[1] = '\\';
        c[2] = 'x';
        for (int i = 0; i < b.length; i++) {
            c[3 + 2 * i] = HEX[(b[i] >> 4) & 0xF];
            c[4 + 2 * i] = HEX[b[i] & 0xF];
        }
        return new String(c);
    }

    private static void line(ByteArrayOutputStream buf, String... fields) {
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                buf.write('\t');
            }
            buf.writeBytes(fields[i].getBytes(StandardCharsets.UTF_8));
        }
        buf.write('\n');
    }

    private static void flush(CopyIn in, ByteArrayOutputStream buf, boolean always) throws SQLException {
        if (always || buf.size() >= 1 << 20) {
            byte[] b = buf.toByteArray();
            in.writeToCopy(b, 0, b.length);
            buf.reset();
        }
    }
}
