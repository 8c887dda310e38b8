package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import java.time.Duration;
import java.time.Period;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PGInterval;

/** An interval compares as PostgreSQL compares it: a month is 30 days, a day 24 hours. */
@MdsPostgres
class IntervalComparisonTest {
    @Test
    void intervalsCompareAsPostgresqlComparesThemAndWithDurationsAndPeriods(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table spans (id int primary key, span interval)");
            Sql.execute(c, "insert into spans values (1, '1 day'), (2, '1 mon'), (3, '90 minutes'), (4, '-1.5 seconds'),"
                    + " (5, '1 year 2 days')");
        }
        assertThat(TestSql.strings(ds, "select ('1 day'::interval = '24 hours' and '1 mon'::interval = '30 days')::text"))
                .containsExactly("true");   // what PostgreSQL says
        assertThatTable(ds, "public.spans").columns("span").containsExactlyInAnyOrder(row(new PGInterval("24 hours")),
                row(new PGInterval("30 days")), row(new PGInterval("1 hour 30 minutes")), row(new PGInterval("-1.5 seconds")),
                row(new PGInterval("1 year 2 days")));
        assertThatTable(ds, "public.spans").columns("id", "span").containsExactlyInAnyOrder(row(1, Duration.ofDays(1)),
                row(2, Duration.ofDays(30)), row(3, Duration.ofMinutes(90)), row(4, Duration.ofMillis(-1500)),
                row(5, Period.of(1, 0, 2)));
        assertThatQuery(ds, "select span from spans where id = 2").containsExactly(row(Period.ofMonths(1)));
        assertThatQuery(ds, "select array['1 day', '2 hours']::interval[]")
                .containsExactly(row((Object) new Duration[] {Duration.ofHours(24), Duration.ofMinutes(120)}));
        assertThatThrownBy(() -> assertThatQuery(ds, "select span from spans where id = 1").containsExactly(row(Duration.ofHours(23))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected (PT23H), found (1 days)");
        assertThatThrownBy(() -> assertThatQuery(ds, "select span from spans where id = 3")
                .containsExactly(row(Duration.ofMinutes(90).plusNanos(1))))   // PostgreSQL keeps microseconds
                .isInstanceOf(AssertionError.class);
        assertThatTable(ds, "public.spans").column("span").hasNoDuplicates();

        TableChanges changes = TableChanges.of(ds, "public.spans");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "update spans set span = '24 hours' where id = 1");   // the same interval, written otherwise
            Sql.execute(c, "update spans set span = '2 days' where id = 2");
        }
        assertThatChanges(changes.end()).hasNumberOfChanges(1).hasModification(row(2), "span", Duration.ofDays(30), Duration.ofDays(2));
    }

    @Test
    void aFixtureGivesAnIntervalColumnADurationOrAPeriod(DataSource ds) {
        TableFixture.on(ds, "public.waits").columns("id int", "wait interval").rows(row(1, Duration.ofMinutes(90)),
                row(2, Duration.ofMillis(-1500)), row(3, Period.of(1, 2, 3)), row(4, Duration.ofNanos(1000)), row(5, null));
        assertThat(TestSql.strings(ds, "select wait::text from waits order by id"))
                .containsExactly("01:30:00", "-00:00:01.5", "1 year 2 mons 3 days", "00:00:00.000001", null);
    }
}
