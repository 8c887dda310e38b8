package dev.mds.connector.postgres.internal;

import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.core.Unchanged;
import dev.mds.testing.MdsPostgres;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The reader reads values again from the source for two reasons: the unchanged TOASTed values the insert half of a key
 * change does not carry, and snapshot values Debezium may have read wrong (money of 10^13 or more, read through a
 * double; a timestamp in a daylight-saving gap of the JVM's zone). A value it then cannot carry, or a read that
 * fails, is reported with the reason it was read: a snapshot value's error said "after a key change" too, sending the
 * user after a key change that never happened. The events are as {@link RecordMapper} makes them; the source is a
 * real PostgreSQL, its column changed since the event was read (as a change at the source between Debezium's read and
 * the reader's would).
 */
@MdsPostgres
class UnsentToastReaderTest {
    private static final Schema SCHEMA = Schema.of(new Field("id", FieldType.INT, false),
            new Field("m", FieldType.decimal(20, 2), true), new Field("ts", FieldType.TIMESTAMP, true));

    @Test
    void aValueReadAgainAfterAKeyChangeSaysSo(DataSource ds) {
        sql(ds, "create schema utk", "create table utk.t (id int primary key, m numeric, ts timestamp)",
                "insert into utk.t values (2, 'NaN', '2024-01-01 00:00')");
        ChangeEvent keyChange = ChangeEvent.create(TableName.parse("utk.t"), Record.of(2), Record.of(2, Unchanged.VALUE, Unchanged.VALUE),
                new EventPosition(10, 10), Instant.EPOCH);
        try (UnsentToastReader reader = new UnsentToastReader(ds::getConnection)) {
            assertThatThrownBy(() -> reader.complete(keyChange, SCHEMA, List.of("id")))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("utk.t column m of the row with key")
                    .hasMessageContaining("read from the source after a key change of the row (its unchanged TOASTed"
                            + " value is not in the WAL): numeric 'NaN', which mds cannot carry")
                    .hasMessageNotContaining("snapshot");
        }
        sql(ds, "drop table utk.t");
        try (UnsentToastReader reader = new UnsentToastReader(ds::getConnection)) {
            assertThatThrownBy(() -> reader.complete(keyChange, SCHEMA, List.of("id")))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("cannot read from the source the values of utk.t (key ")
                    .hasMessageContaining("that a key change did not send (unchanged TOASTed values)")
                    .hasMessageNotContaining("snapshot");
        }
    }

    @Test
    void aSnapshotValueReadAgainSaysWhyItWasReadAgainNotAKeyChange(DataSource ds) {
        sql(ds, "create schema uts", "create table uts.t (id int primary key, m numeric, ts text)",
                "insert into uts.t values (1, 'NaN', '2024-01-01 00:00'), (3, 1, 'soon')");
        // money of 10^13 or more: Debezium's snapshot reads it through a double
        ChangeEvent money = ChangeEvent.read(TableName.parse("uts.t"), Record.of(1), Record.of(1,
                new RecordMapper.ReadFromSource(new BigDecimal("10000000000000.00")), LocalDateTime.of(2024, 1, 1, 0, 0)),
                EventPosition.ZERO, Instant.EPOCH);
        // a timestamp in a daylight-saving gap of the JVM's zone: the driver moves it by an hour
        ChangeEvent gap = ChangeEvent.read(TableName.parse("uts.t"), Record.of(3), Record.of(3, BigDecimal.ONE,
                new RecordMapper.ReadFromSource(LocalDateTime.of(2024, 3, 31, 3, 30))), EventPosition.ZERO, Instant.EPOCH);
        try (UnsentToastReader reader = new UnsentToastReader(ds::getConnection)) {
            assertThatThrownBy(() -> reader.complete(money, SCHEMA, List.of("id")))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("uts.t column m of the row with key")
                    .hasMessageContaining("read again from the source for the snapshot (Debezium's snapshot reads money"
                            + " through a double, exact only below 10^13): numeric 'NaN', which mds cannot carry")
                    .hasMessageNotContaining("key change");
            assertThatThrownBy(() -> reader.complete(gap, SCHEMA, List.of("id")))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("uts.t column ts of the row with key")
                    .hasMessageContaining("read again from the source for the snapshot (a timestamp in a daylight-saving"
                            + " gap of the JVM's time zone, which the driver moves by the gap): 'soon'")
                    .hasMessageNotContaining("key change");
        }
        sql(ds, "drop table uts.t");
        try (UnsentToastReader reader = new UnsentToastReader(ds::getConnection)) {
            assertThatThrownBy(() -> reader.complete(gap, SCHEMA, List.of("id")))
                    .isInstanceOf(MdsException.class)
                    .hasMessageContaining("cannot read from the source the values of uts.t (key ")
                    .hasMessageContaining("that the snapshot reads again (a timestamp in a daylight-saving gap of the"
                            + " JVM's time zone")
                    .hasMessageNotContaining("key change");
        }
    }
}
