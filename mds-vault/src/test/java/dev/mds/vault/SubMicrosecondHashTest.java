package dev.mds.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * java.time values carry nanoseconds (Instant.now() does on Linux since Java 15); PostgreSQL keeps microseconds and
 * rounds what pgjdbc sends to the nearest one, half up (1.5 µs is stored as 2 µs, 23:59:59.9999995 as the next second).
 */
@MdsPostgres
class SubMicrosecondHashTest {

    /**
     * The Java Hasher, given the values as the application has them, gives the hashes the stage computes from what
     * the columns store. Before, it cut the nanoseconds (1.5 µs hashed as 1 µs), so a timestamp with 500 ns or more
     * past its microsecond hashed apart from the stored one: half of Instant.now()'s values.
     */
    @Test
    void timestampsAndTimesWithNanosecondsHashAsPostgresqlStoresThem(DataSource ds) throws Exception {
        List<LocalDateTime> given = new ArrayList<>();
        for (int nanos : new int[] {1_499, 1_500, 2_500, 999_999_499, 999_999_500, 123_456_789}) {
            given.add(LocalDateTime.of(2024, 3, 31, 1, 59, 59, nanos));
            given.add(LocalDateTime.of(1960, 12, 31, 23, 59, 59, nanos));
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists raw_nanos");
            st.execute("create table raw_nanos.t (id int, ts timestamp, tz timestamptz, t time, ld date default '2024-01-01')");
            try (PreparedStatement ps = c.prepareStatement("insert into raw_nanos.t (id, ts, tz, t) values (?, ?, ?, ?)")) {
                for (int i = 0; i < given.size(); i++) {
                    LocalDateTime l = given.get(i);
                    ps.setInt(1, i);
                    ps.setObject(2, l);
                    ps.setObject(3, l.atOffset(ZoneOffset.ofHours(2)));
                    ps.setObject(4, l.toLocalTime());
                    ps.executeUpdate();
                }
            }
        }
        Vault vault = Vault.on(ds);
        vault.createStage(Stage.of("raw_nanos.t").into("raw_nanos.stg").loadDate("ld").hashDiff("hd", "ts", "tz", "t"));
        List<String> sql = dev.mds.testing.TestSql.strings(ds, "select encode(hd, 'hex') from raw_nanos.stg order by id");
        Hasher hasher = vault.hasher(Schema.of(Field.of("ts", FieldType.TIMESTAMP), Field.of("tz", FieldType.TIMESTAMPTZ),
                Field.of("t", FieldType.TIME)));
        HexFormat hex = HexFormat.of();
        List<String> java = new ArrayList<>();
        List<String> javaInstants = new ArrayList<>();
        for (LocalDateTime l : given) {
            OffsetDateTime o = l.atOffset(ZoneOffset.ofHours(2));
            java.add(hex.formatHex(hasher.hashDiff(l, o, l.toLocalTime())));
            Instant i = o.toInstant();
            javaInstants.add(hex.formatHex(hasher.hashDiff(l, i, l.toLocalTime())));
        }
        assertThat(java).isEqualTo(sql);
        assertThat(javaInstants).isEqualTo(sql);
        // 23:59:59.9999995 is stored as 24:00:00, which pgjdbc reads as LocalTime.MAX
        Hasher time = vault.hasher(Schema.of(Field.of("t", FieldType.TIME)));
        assertThat(time.hashDiff(LocalTime.of(23, 59, 59, 999_999_500))).isEqualTo(time.hashDiff(LocalTime.MAX));
    }
}
