package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * AUTOMATEDV hashes a {@code timestamptz} by its text, which is in the session's TimeZone (pgjdbc sets it from the
 * JVM's default zone). {@link Vault#timeZone(ZoneId)} runs every hashing statement under one zone, so loads from
 * sessions in different zones agree with each other and with AutomateDV's SQL evaluated in that zone; without it
 * they do not (the hazard the option is for).
 */
@MdsPostgres
class AutomateDvTimeZoneTest {
    /** 12:00 UTC on 1 January 2024: 13:00 in Berlin, 07:00 in New York. */
    private static final OffsetDateTime NOON = OffsetDateTime.of(2024, 1, 1, 12, 0, 0, 0, ZoneOffset.UTC);

    private static void raw(DataSource ds, String table) {
        TableFixture.on(ds, table).columns("id text", "name text", "ts timestamptz", "ld timestamptz")
                .rows(row("1", "Ann", NOON, day(1)), row("2", "Bob", NOON.plusHours(1), day(1)));
    }

    /** id_hk over id, event_hk over (id, ts), a hashdiff over (name, ts), ts_hk over ts alone. */
    private static Stage stage(String raw, Stage.Materialization m) {
        return Stage.of(raw).into("stg." + raw.substring(4)).loadDate("ld").recordSource("crm").materialized(m)
                .hashKey("id_hk", "id").hashKey("event_hk", "id", "ts").hashKey("ts_hk", "ts")
                .hashDiff("id_hashdiff", "name", "ts");
    }

    /** Creates the stage and loads a hub on id, a hub on (id, ts) and a satellite of (name, ts): the rows each inserted. */
    private static List<Long> load(Vault vault, Stage stage, String suffix) {
        vault.createStage(stage);
        Hub ids = vault.hub("dds.tz_hub_id_" + suffix).hashKey("id_hk").businessKey("id").from(stage);
        Hub events = vault.hub("dds.tz_hub_event_" + suffix).hashKey("event_hk").businessKey("id", "ts").from(stage);
        Satellite sat = vault.satellite("dds.tz_sat_" + suffix).parent("id_hk").hashDiff("id_hashdiff")
                .payload("name", "ts").from(stage);
        ids.createTable();
        events.createTable();
        sat.createTable();
        return List.of(ids.load().rowsInserted(), events.load().rowsInserted(), sat.load().rowsInserted());
    }

    @ParameterizedTest
    @EnumSource(value = Stage.Materialization.class, names = {"VIEW", "TABLE"})
    void sameRowsLoadedFromUtcThenBerlinSessionsStoreNothingNewUnderTheVaultsTimeZone(Stage.Materialization m, DataSource ds)
            throws Exception {
        String raw = "raw.tz_same_" + m.name().toLowerCase();
        raw(ds, raw);
        Stage stage = stage(raw, m);
        Vault utc = Vault.on(PitModelTest.inTimeZone(ds, "UTC")).standard(HashStandard.AUTOMATEDV).timeZone(ZoneOffset.UTC);
        Vault berlin = Vault.on(PitModelTest.inTimeZone(ds, "Europe/Berlin")).standard(HashStandard.AUTOMATEDV)
                .timeZone(ZoneOffset.UTC);
        assertThat(load(utc, stage, "set_" + m.name().toLowerCase())).containsExactly(2L, 2L, 2L);
        sql(ds, "update " + raw + " set ld = ld + interval '1 day'");      // the next batch: the same rows, a day later
        assertThat(load(berlin, stage, "set_" + m.name().toLowerCase())).containsExactly(0L, 0L, 0L);
    }

    /** Links, transactional links, multi-active and effectivity satellites: their loads run under the zone too. */
    @Test
    void everyOtherStructureLoadedFromUtcThenBerlinSessionsStoresNothingNewUnderTheVaultsTimeZone(DataSource ds)
            throws Exception {
        raw(ds, "raw.tz_others");
        Stage stage = stage("raw.tz_others", Stage.Materialization.VIEW);
        Vault utc = Vault.on(PitModelTest.inTimeZone(ds, "UTC")).standard(HashStandard.AUTOMATEDV).timeZone(ZoneOffset.UTC);
        Vault berlin = Vault.on(PitModelTest.inTimeZone(ds, "Europe/Berlin")).standard(HashStandard.AUTOMATEDV)
                .timeZone(ZoneOffset.UTC);
        assertThat(loadOthers(utc, stage)).containsExactly(2L, 2L, 2L, 2L);
        sql(ds, "update raw.tz_others set ld = ld + interval '1 day'");
        assertThat(loadOthers(berlin, stage)).containsExactly(0L, 0L, 0L, 0L);
    }

    private static List<Long> loadOthers(Vault vault, Stage stage) {
        vault.createStage(stage);
        Link link = vault.link("dds.tz_link").hashKey("event_hk").refs("id_hk", "ts_hk").from(stage);
        TransactionalLink tLink = vault.transactionalLink("dds.tz_t_link").hashKey("event_hk").refs("id_hk")
                .payload("name").effectiveFrom("ts").from(stage);
        MultiActiveSatellite ma = vault.multiActiveSatellite("dds.tz_ma_sat").parent("id_hk").childKeys("name")
                .hashDiff("id_hashdiff").payload("ts").from(stage);
        EffectivitySatellite eff = vault.effectivitySatellite("dds.tz_eff").link("event_hk").drivingKey("id_hk")
                .effectiveFrom("ts").from(stage);
        link.createTable();
        tLink.createTable();
        ma.createTable();
        eff.createTable();
        return List.of(link.load().rowsInserted(), tLink.load().rowsInserted(), ma.load().rowsInserted(),
                eff.load().rowsInserted());
    }

    /**
     * The hazard, without the option: the same rows a day later from a Berlin session are a new event (a second hub
     * row per key holding a timestamptz) and a changed satellite row, though nothing changed.
     */
    @Test
    void withoutTheVaultsTimeZoneTheSameRowsFromABerlinSessionStoreNewHubAndSatelliteRows(DataSource ds) throws Exception {
        raw(ds, "raw.tz_unset");
        Stage stage = stage("raw.tz_unset", Stage.Materialization.VIEW);
        Vault utc = Vault.on(PitModelTest.inTimeZone(ds, "UTC")).standard(HashStandard.AUTOMATEDV);
        Vault berlin = Vault.on(PitModelTest.inTimeZone(ds, "Europe/Berlin")).standard(HashStandard.AUTOMATEDV);
        assertThat(load(utc, stage, "unset")).containsExactly(2L, 2L, 2L);
        sql(ds, "update raw.tz_unset set ld = ld + interval '1 day'");
        assertThat(load(berlin, stage, "unset")).containsExactly(0L, 2L, 2L);
        assertThat(strings(ds, "select name || ' ' || ts::text from dds.tz_sat_unset order by load_date, name"))
                .hasSize(4);
    }

    /**
     * Under each zone, from a New York session: a table stage's hash and a hub loaded from a view stage hold what
     * AutomateDV's SQL ({@code NULLIF(UPPER(TRIM(CAST(ts AS VARCHAR))), '')}, MD5) gives in a session of that zone;
     * a fixed offset is that many hours east (PostgreSQL's own {@code '+02:00'} would be two hours west).
     */
    @Test
    void hashesAreAutomateDvsSqlEvaluatedInTheVaultsTimeZone(DataSource ds) throws Exception {
        raw(ds, "raw.tz_oracle");
        DataSource newYork = PitModelTest.inTimeZone(ds, "America/New_York");
        String oracle = "select encode(DECODE(MD5(NULLIF(UPPER(TRIM(CAST(ts AS VARCHAR))), '')), 'hex'), 'hex') from raw.tz_oracle order by id";
        record Case(ZoneId zone, String postgresZone, String firstText) {
        }
        List<Case> cases = List.of(new Case(ZoneOffset.UTC, "UTC", "2024-01-01 12:00:00+00"),
                new Case(ZoneId.of("Europe/Berlin"), "Europe/Berlin", "2024-01-01 13:00:00+01"),
                new Case(ZoneOffset.ofHours(2), "<+02:00>-02:00", "2024-01-01 14:00:00+02"),
                new Case(ZoneOffset.ofHoursMinutes(-9, -30), "<-09:30>+09:30", "2024-01-01 02:30:00-09:30"),
                new Case(ZoneId.of("UTC+01:00"), "<+01:00>-01:00", "2024-01-01 13:00:00+01"));
        int i = 0;
        for (Case c : cases) {
            i++;
            Vault vault = Vault.on(newYork).standard(HashStandard.AUTOMATEDV).timeZone(c.zone());
            List<String> expected = inZone(ds, c.postgresZone(), oracle);
            assertThat(strings(ds, "select md5('" + c.firstText() + "')")).as(c.toString()).containsExactly(expected.get(0));
            Stage table = stage("raw.tz_oracle", Stage.Materialization.TABLE).into("stg.tz_oracle_table_" + i);
            vault.createStage(table);
            assertThat(strings(ds, "select encode(ts_hk, 'hex') from stg.tz_oracle_table_" + i + " order by id"))
                    .as(c.toString()).isEqualTo(expected);
            Stage view = stage("raw.tz_oracle", Stage.Materialization.VIEW).into("stg.tz_oracle_view_" + i);
            vault.createStage(view);
            Hub hub = vault.hub("dds.tz_hub_ts_" + i).hashKey("ts_hk").businessKey("ts").from(view);
            hub.createTable();
            hub.load();
            assertThat(strings(ds, "select encode(ts_hk, 'hex') from dds.tz_hub_ts_" + i + " order by ts"))
                    .as(c.toString()).isEqualTo(expected);
        }
    }

    /** The first column of {@code query}'s rows as text, run in a transaction whose TimeZone is {@code zone}. */
    private static List<String> inZone(DataSource ds, String zone, String query) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("set local timezone = '" + zone + "'");
                try (ResultSet rs = st.executeQuery(query)) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
        return out;
    }

    @Test
    void sqlShowsTheTimeZoneFirstWhereAStatementHashesAndNothingByDefault(DataSource ds) throws Exception {
        raw(ds, "raw.tz_sql");
        Vault plain = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Vault berlin = plain.timeZone(ZoneId.of("Europe/Berlin"));
        assertThat(plain.timeZone()).isEmpty();
        assertThat(berlin.timeZone()).contains(ZoneId.of("Europe/Berlin"));
        assertThat(berlin.standard(HashStandard.CANONICAL).timeZone()).contains(ZoneId.of("Europe/Berlin"));
        String set = "SET LOCAL TimeZone = 'Europe/Berlin'";

        Stage view = stage("raw.tz_sql", Stage.Materialization.VIEW);
        assertThat(berlin.stageSql(view)).doesNotContain(set).isEqualTo(plain.stageSql(view));
        Stage table = stage("raw.tz_sql", Stage.Materialization.TABLE).into("stg.tz_sql_table");
        assertThat(berlin.stageSql(table).get(0)).isEqualTo(set);
        assertThat(berlin.stageSql(table).subList(1, berlin.stageSql(table).size())).isEqualTo(plain.stageSql(table));
        plain.createStage(view);

        Hub hub = plain.hub("dds.tz_sql_hub").hashKey("id_hk").businessKey("id").from(view);
        hub.createTable();
        Satellite sat = plain.satellite("dds.tz_sql_sat").parent("id_hk").hashDiff("id_hashdiff").payload("name", "ts").from(view);
        sat.createTable();
        List<String> plainHub = hub.sql();
        assertThat(plainHub).noneMatch(s -> s.contains("TimeZone"));
        List<String> berlinHub = berlin.hub("dds.tz_sql_hub").hashKey("id_hk").businessKey("id").from(view).sql();
        assertThat(berlinHub.get(0)).isEqualTo(set);
        assertThat(berlinHub.subList(1, berlinHub.size())).isEqualTo(plainHub);
        List<String> berlinSat = berlin.satellite("dds.tz_sql_sat").parent("id_hk").hashDiff("id_hashdiff")
                .payload("name", "ts").from(view).sql();
        assertThat(berlinSat.get(0)).isEqualTo(set);
        assertThat(berlinSat.subList(1, berlinSat.size())).isEqualTo(sat.sql());
        // DDL hashes nothing
        assertThat(berlin.hub("dds.tz_sql_hub").hashKey("id_hk").businessKey("id").from(view).createTableSql())
                .noneMatch(s -> s.contains("TimeZone"));
    }

    /**
     * The Java Hasher does not hash a timestamptz under AUTOMATEDV at all (its text depends on session settings), with
     * or without the vault's TimeZone; what it does hash agrees with the loads.
     */
    @Test
    void javaHasherStillRefusesTimestamptzUnderAutomateDvAndAgreesOnTheRest(DataSource ds) throws Exception {
        raw(ds, "raw.tz_hasher");
        Vault vault = Vault.on(PitModelTest.inTimeZone(ds, "Europe/Berlin")).standard(HashStandard.AUTOMATEDV)
                .timeZone(ZoneOffset.UTC);
        assertThatThrownBy(() -> vault.hasher(Schema.of(Field.of("ts", FieldType.TIMESTAMPTZ))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TimeZone");
        Stage stage = stage("raw.tz_hasher", Stage.Materialization.VIEW);
        assertThat(load(vault, stage, "hasher")).containsExactly(2L, 2L, 2L);
        byte[] ann = vault.hasher(Schema.of(Field.of("id", FieldType.STRING))).hashKey("1").orElseThrow();
        assertThat(strings(ds, "select encode(id_hk, 'hex') from dds.tz_hub_id_hasher where id = '1'"))
                .containsExactly(HexFormat.of().formatHex(ann));
    }
}
