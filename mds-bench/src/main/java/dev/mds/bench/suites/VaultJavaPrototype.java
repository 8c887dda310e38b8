package dev.mds.bench.suites;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.vault.Hasher;
import dev.mds.vault.Vault;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
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
 *
 * <p>Tuned ({@code tuned = true}): the rows are read first and hashed afterwards on every core, sorted with
 * {@link Arrays#parallelSort}, and the satellite's primary key is built after the rows are in (the table is empty).
 */
final class VaultJavaPrototype {
    private final DataSource ds;
    private final String[] payload;
    private final Hasher key;
    private final Hasher diff;
    private final boolean tuned;
    private Set<String> booleans;
    private final long[] phaseNanos = new long[5];
    private static final String[] PHASES = {"read + hash", "sort", "hub copy", "satellite copy (and key)", "commit"};

    VaultJavaPrototype(DataSource ds, Vault vault, String[] payload, boolean tuned) {
        this.ds = ds;
        this.tuned = tuned;
        this.payload = payload;
        this.key = vault.hasher(Schema.of(Field.of("customer_id", FieldType.STRING)));
        Schema.Builder s = Schema.builder();
        for (String p : payload) {
            s.add(p, FieldType.STRING);   // AutomateDV hashes each column's text form, which COPY's text output is
        }
        this.diff = vault.hasher(s.build());
    }

    /** Reads which raw columns are boolean (their COPY text, t/f, is not the text AutomateDV hashes). */
    private Set<String> booleans() throws SQLException {
        if (booleans == null) {
            booleans = new HashSet<>();
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select attname from pg_attribute where attrelid = 'raw.customers'::regclass"
                         + " and atttypid = 'boolean'::regtype and attnum > 0 and not attisdropped")) {
                while (rs.next()) {
                    booleans.add(rs.getString(1));
                }
            }
        }
        return booleans;
    }

    /** Creates empty {@code proto.hub_customer} and {@code proto.sat_customer} shaped as mds's tables. */
    void reset() throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists proto");
            st.execute("drop table if exists proto.hub_customer, proto.sat_customer");
            st.execute("create table proto.hub_customer (like dds.hub_customer including all)");
            st.execute("create table proto.sat_customer (like dds.sat_customer including "
                    + (tuned ? "defaults including constraints)" : "all)"));
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
            b.append(i == 0 ? "" : ", ").append(PHASES[i]).append(String.format(Locale.ROOT, " %.2f s", phaseNanos[i] / 1e9));
        }
        return b.toString();
    }

    /** The first load; returns {hub rows, satellite rows}. */
    long[] firstLoad() throws Exception {
        long t0 = System.nanoTime();
        Set<String> casts = booleans();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            // fields: customer_id, payload..., load_ts, then epoch micros for sorting. COPY's text is what
            // AutomateDV's CAST(… AS VARCHAR) hashes, except for booleans (t/f against true/false): those are cast
            StringBuilder select = new StringBuilder("select customer_id");
            for (String p : payload) {
                select.append(", ").append(p).append(casts.contains(p) ? "::text" : "");
            }
            select.append(", load_ts, (date_part('epoch', load_ts) * 1000000)::bigint from raw.customers");
            List<String[]> lines = new ArrayList<>(1 << 20);
            List<Row> rows = new ArrayList<>(1 << 20);
            CopyOut out = copy.copyOut("copy (" + select + ") to stdout");
            byte[] line;
            while ((line = out.readFromCopy()) != null) {
                String[] f = new String(line, 0, line.length - 1, StandardCharsets.UTF_8).split("\t", -1);
                if (tuned) {
                    lines.add(f);
                } else {
                    Row r = row(f);
                    if (r != null) {
                        rows.add(r);
                    }
                }
            }
            if (tuned) {
                Row[] hashed = new Row[lines.size()];
                IntStream.range(0, hashed.length).parallel().forEach(i -> hashed[i] = row(lines.get(i)));
                rows = Arrays.stream(hashed).filter(Objects::nonNull).collect(Collectors.toCollection(ArrayList::new));
            }
            long t1 = System.nanoTime();
            Comparator<Row> order = Comparator.comparing(Row::hk, Arrays::compareUnsigned).thenComparingLong(Row::loadMicros)
                    .thenComparing(Row::hd, Arrays::compareUnsigned);
            if (tuned) {
                Row[] a = rows.toArray(Row[]::new);
                Arrays.parallelSort(a, order);
                rows = Arrays.asList(a);
            } else {
                rows.sort(order);
            }

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
            if (tuned) {
                try (Statement st = c.createStatement()) {
                    st.execute("alter table proto.sat_customer add primary key (customer_hk, load_date)");
                }
            }
            long t4 = System.nanoTime();
            c.commit();
            long[] at = {t0, t1, t2, t3, t4, System.nanoTime()};
            for (int i = 0; i < PHASES.length; i++) {
                phaseNanos[i] = at[i + 1] - at[i];
            }
            return new long[] {hubRows, satRows};
        }
    }

    /** A row with its hashes, or null when its key is NULL (not loaded). */
    private Row row(String[] f) {
        var hk = key.hashKey(text(f[0]));
        if (hk.isEmpty()) {
            return null;
        }
        Object[] values = new Object[payload.length];
        for (int i = 0; i < payload.length; i++) {
            values[i] = text(f[1 + i]);
        }
        return new Row(hk.get(), diff.hashDiff(values), Long.parseLong(f[f.length - 1]), f);
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
