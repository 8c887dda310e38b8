package dev.mds.vault;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.customers;
import static dev.mds.vault.VaultFixtures.day;
import static dev.mds.vault.VaultFixtures.raw;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Sessions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The PIT at a moderate size against a reference written independently (per hub key and date, a correlated
 * subquery for each satellite's latest row at or before the date), and PIT loads that overlap in time.
 */
@MdsPostgres
class PitTest {
    private static final String GHOST = "0".repeat(32) + " 1900-01-01 00:00:00";

    /** The as-of instants of {@link #AS_OF}, in UTC, written out by hand for the reference query. */
    private static final String REFERENCE_DATES = "'2023-12-31 00:00:00+00', '2024-01-01 00:00:00+00', '2024-01-05 01:00:00+00',"
            + " '2024-01-10 00:00:00+00', '2024-01-16 00:00:00+00', '2024-01-21 07:00:00+00', '2024-02-15 00:00:00+00'";

    /**
     * Before any satellite row, exactly on load dates of some rows (1 January midnight in A; 16 January midnight and
     * 21 January 07:00 in B), between them, after them all; 10 January three times (twice as a LocalDate, once as the same instant with an offset).
     */
    private static final List<Object> AS_OF = List.of(LocalDate.of(2023, 12, 31), day(1), day(5).plusHours(1), LocalDate.of(2024, 1, 10),
            day(16), LocalDate.of(2024, 1, 10), OffsetDateTime.of(2024, 1, 21, 7, 0, 0, 0, ZoneOffset.UTC),
            day(10), LocalDate.of(2024, 2, 15));

    /** What the reference query and the PIT both give per row: key, as-of, and per satellite its key and load date (UTC). */
    private static List<String> pitRows(DataSource ds, String pit) throws Exception {
        return strings(ds, "select encode(customer_hk, 'hex') || ' ' || (as_of_date at time zone 'UTC')"
                + " || ' ' || encode(pit_sat_a_pk, 'hex') || ' ' || (pit_sat_a_ldts at time zone 'UTC')"
                + " || ' ' || encode(pit_sat_b_pk, 'hex') || ' ' || (pit_sat_b_ldts at time zone 'UTC') from " + pit + " order by 1");
    }

    private static String latest(String sat) {
        return "coalesce((select encode(t.customer_hk, 'hex') || ' ' || (t.load_date at time zone 'UTC') from " + sat + " t"
                + " where t.customer_hk = h.customer_hk and t.load_date = (select max(u.load_date) from " + sat + " u"
                + " where u.customer_hk = h.customer_hk and u.load_date <= a.d)), '" + GHOST + "')";
    }

    private static List<String> reference(DataSource ds) throws Exception {
        return reference(ds, REFERENCE_DATES);
    }

    private static List<String> reference(DataSource ds, String dates) throws Exception {
        return strings(ds, "select encode(h.customer_hk, 'hex') || ' ' || (a.d at time zone 'UTC') || ' ' || "
                + latest("dds.pit_sat_a") + " || ' ' || " + latest("dds.pit_sat_b")
                + " from dds.pit_hub h cross join (select distinct d from unnest(array[" + dates + "]::timestamptz[]) as d) a"
                + " order by 1");
    }

    /**
     * 3,100 hub keys: 3,000 in satellite A (up to six versions each, some repeating the one before, so not stored),
     * of which those not divisible by 7 also in satellite B, and 100 keys only in B; both satellites hold their ghost
     * record. The PIT equals the reference row for row, on its first load, on a re-run (which rebuilds the same rows,
     * no duplicates) and after a batch of new and late rows.
     */
    @Test
    void pitOfThousandsOfKeysEqualsACorrelatedSubqueryReferenceAndARerunRebuildsTheSameRows(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.pit_a");
        raw(ds, "raw.pit_b");
        sql(ds, "insert into raw.pit_a select i::text, 'a' || i, 'n' || ((v * (i % 3)) % 3), i % 90,"
                + " '2024-01-01'::timestamptz + (v * 5 + i % 4) * interval '1 day' + (i % 3) * interval '1 hour'"
                + " from generate_series(1, 3000) i, generate_series(0, 5) v");
        sql(ds, "insert into raw.pit_b select i::text, 'b' || i, 'm' || v, 1,"
                + " '2024-01-03'::timestamptz + (v * 9 + i % 5) * interval '1 day' + (i % 8) * interval '1 hour'"
                + " from generate_series(1, 3100) i, generate_series(0, 2) v where i % 7 <> 0 or i > 3000");
        Stage a = customers("raw.pit_a", "crm");
        Stage b = customers("raw.pit_b", "web");
        vault.createStage(a);
        vault.createStage(b);
        Hub hub = vault.hub("dds.pit_hub").hashKey("customer_hk").businessKey("id").from(a, b);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(3100);
        Satellite satA = vault.satellite("dds.pit_sat_a").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(a);
        Satellite satB = vault.satellite("dds.pit_sat_b").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(b);
        for (Satellite s : List.of(satA, satB)) {
            s.createTable();
            s.load();
            s.insertGhostRecord();
        }
        assertThat(strings(ds, "select count(*) from dds.pit_sat_a")).containsExactly("13001");   // 1000 keys never change, and the ghost
        Pit pit = vault.pit("dds.pit").hub("dds.pit_hub", "customer_hk").satellites("dds.pit_sat_a", "dds.pit_sat_b").asOf(AS_OF);
        pit.createTable();

        assertThat(pit.load().rowsInserted()).isEqualTo(3100 * 7);
        List<String> expected = reference(ds);
        assertThat(expected).hasSize(3100 * 7);
        // the reference covers every case: keys absent from one satellite, dates before a key's first row, rows found
        assertThat(expected).filteredOn(r -> r.substring(53).startsWith(GHOST)).hasSizeBetween(3100, 3100 * 6);
        assertThat(expected).filteredOn(r -> r.endsWith(GHOST)).hasSizeBetween(3100, 3100 * 6);
        assertThat(expected).filteredOn(r -> !r.contains(GHOST)).hasSizeGreaterThan(3100);
        assertThat(pitRows(ds, "dds.pit")).containsExactlyElementsOf(expected);

        // a re-run over unchanged satellites writes nothing (the same row versions stay) and leaves the same rows
        String versions = "select count(*) || ' ' || string_agg(distinct xmin::text, ',') || ' ' || max(ctid::text) from dds.pit";
        List<String> before = strings(ds, versions);
        assertThat(pit.load().rowsInserted()).isZero();
        assertThat(pitRows(ds, "dds.pit")).containsExactlyElementsOf(expected);
        assertThat(strings(ds, versions)).isEqualTo(before);

        // a new version of every tenth key on 20 January, and late rows (before the stored ones) on 2 January
        sql(ds, "truncate raw.pit_a");
        sql(ds, "insert into raw.pit_a select i::text, 'a' || i, 'late', 1, '2024-01-02 00:00:00+00'::timestamptz from generate_series(1, 3000, 3) i"
                + " union all select i::text, 'a' || i, 'new', 1, '2024-01-20 12:00:00+00'::timestamptz from generate_series(1, 3000, 10) i");
        assertThat(satA.load().rowsInserted()).isPositive();
        long changed = pit.load().rowsInserted();
        List<String> after = reference(ds);
        assertThat(after).isNotEqualTo(expected);
        assertThat(pitRows(ds, "dds.pit")).containsExactlyElementsOf(after);
        // only the rows whose satellite rows changed were written
        List<String> differing = new java.util.ArrayList<>(after);
        differing.removeAll(expected);
        assertThat(changed).isEqualTo(differing.size()).isPositive().isLessThan(3100 * 7);

        // other dates: the rows of dates no longer asked for go, the new dates' rows come
        Pit fewer = vault.pit("dds.pit").hub("dds.pit_hub", "customer_hk").satellites("dds.pit_sat_a", "dds.pit_sat_b")
                .asOf(List.of(LocalDate.of(2024, 1, 10), LocalDate.of(2024, 3, 1)));
        assertThat(fewer.load().rowsInserted()).isEqualTo(3100);
        assertThat(strings(ds, "select to_char(as_of_date at time zone 'UTC', 'MM-DD') || ' ' || count(*) from dds.pit group by as_of_date order by as_of_date"))
                .containsExactly("01-10 3100", "03-01 3100");
        assertThat(pitRows(ds, "dds.pit")).containsExactlyElementsOf(reference(ds, "'2024-01-10 00:00:00+00', '2024-03-01 00:00:00+00'"));

        // keys no longer in the hub lose their rows
        sql(ds, "delete from dds.pit_hub where customer_hk in (select customer_hk from dds.pit_hub order by customer_hk limit 100)");
        assertThat(fewer.load().rowsInserted()).isZero();
        assertThat(pitRows(ds, "dds.pit")).hasSize(3000 * 2)
                .containsExactlyElementsOf(reference(ds, "'2024-01-10 00:00:00+00', '2024-03-01 00:00:00+00'"));
    }

    /**
     * Two loads of one PIT at once take turns: the second waits for the first and then finds every row there.
     * Without the table lock the second one did not see the rows the first had not committed yet, and its insert
     * then met them: a duplicate key.
     */
    @Test
    void pitLoadsThatOverlapTakeTurns(DataSource ds) throws Exception {
        Vault vault = Vault.on(ds);
        raw(ds, "raw.pit_turns", row("1", "a", "A", 1, day(1)), row("2", "b", "B", 1, day(3)));
        Stage stage = customers("raw.pit_turns", "crm");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.pit_turns_hub").hashKey("customer_hk").businessKey("id").from(stage);
        hub.createTable();
        hub.load();
        Satellite sat = vault.satellite("dds.pit_turns_sat").parent("customer_hk").hashDiff("customer_hashdiff").payload("name").from(stage);
        sat.createTable();
        sat.load();
        Pit pit = vault.pit("dds.pit_turns").hub("dds.pit_turns_hub", "customer_hk").satellites("dds.pit_turns_sat")
                .asOf(List.of(day(2), day(4)));
        pit.createTable();
        assertThat(pit.load().rowsInserted()).isEqualTo(4);
        sql(ds, "truncate dds.pit_turns");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            for (String s : pit.sql()) {
                st.execute(s);
            }
            CompletableFuture<LoadResult> second = CompletableFuture.supplyAsync(pit::load);
            assertThat(Sessions.awaitLockWait(ds, second)).isTrue();
            c.commit();
            assertThat(second.join().rowsInserted()).isZero();
        }
        assertThatTable(ds, "dds.pit_turns").hasRowCount(4);
        assertThat(strings(ds, "select count(*) filter (where encode(pit_turns_sat_pk, 'hex') = repeat('0', 32)) from dds.pit_turns"))
                .containsExactly("1");
    }
}
