package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.TimeZone;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** Table assertions under another JVM time zone; isolated, as it changes the JVM's default zone for a moment. */
@MdsPostgres
@Isolated
class TableAssertTimeZoneTest {
    @Test
    void aTimestampInTheJvmZonesDaylightSavingGapIsComparedAsStored(DataSource ds) throws Exception {
        TableFixture.on(ds, "t.gap").columns("ts timestamp", "d date").rows();
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "insert into t.gap values ('2024-03-31 02:30:00', '2024-03-31')");
        }
        TimeZone before = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));   // 02:00 to 03:00 does not exist there that day
        try {
            assertThatTable(ds, "t.gap").containsExactlyInAnyOrder(row(LocalDateTime.of(2024, 3, 31, 2, 30), LocalDate.of(2024, 3, 31)));
            assertThatThrownBy(() -> assertThatTable(ds, "t.gap").columns("ts")
                    .containsExactlyInAnyOrder(row(LocalDateTime.of(2024, 3, 31, 3, 30)))).isInstanceOf(AssertionError.class);
        } finally {
            TimeZone.setDefault(before);
        }
    }
}
