package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Under AUTOMATEDV a {@code timestamptz} is hashed by its text in the session's TimeZone: a vault without
 * {@link Vault#timeZone(java.time.ZoneId)} says so once per stage, at WARN, naming the stage, the columns, the session's
 * zone and the setting; not per load, and not when a zone is set or nothing hashed depends on it.
 */
@MdsPostgres
class SessionTimeZoneWarningTest {
    private static final String WARNING = "WARN dev.mds.vault.Vault - ";

    private static Stage stage(DataSource ds, String name) {
        TableFixture.on(ds, "raw." + name).columns("id text", "name text", "seen timestamptz", "ld timestamptz")
                .rows(row("1", "Ann", day(2), day(1)), row("2", "Bob", day(3), day(1)));
        return Stage.of("raw." + name).into("stg." + name).loadDate("ld").recordSource("crm")
                .hashKey("id_hk", "id").hashKey("visit_hk", "id", "seen").hashDiff("id_hashdiff", "name", "seen");
    }

    /** Creates the stage and loads a hub and a satellite from it, twice. */
    private static void createAndLoadTwice(Vault vault, Stage stage) {
        vault.createStage(stage);
        String name = stage.target().name();
        Hub hub = vault.hub("dds.hub_" + name).hashKey("visit_hk").businessKey("id", "seen").from(stage);
        Satellite sat = vault.satellite("dds.sat_" + name).parent("id_hk").hashDiff("id_hashdiff").payload("name", "seen")
                .from(stage);
        hub.createTable();
        sat.createTable();
        for (int i = 0; i < 2; i++) {
            hub.load();
            sat.load();
        }
    }

    /** What {@code action} writes to System.err (where slf4j-simple logs), also passed on to it. */
    private static String stderrOf(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }

    private static int count(String text, String part) {
        Matcher m = Pattern.compile(Pattern.quote(part)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void automateDvStageHashingATimestamptzWithoutAZoneWarnsOncePerStage(DataSource ds) {
        Stage stage = stage(ds, "tzw_unset");
        Vault vault = Vault.on(PitModelTest.inTimeZone(ds, "Europe/Berlin")).standard(HashStandard.AUTOMATEDV);
        String log = stderrOf(() -> createAndLoadTwice(vault, stage));
        assertThat(count(log, WARNING)).as(log).isEqualTo(1);
        String warning = log.substring(log.indexOf(WARNING)).lines().findFirst().orElseThrow();
        assertThat(warning).contains("stage stg.tzw_unset", "'seen'", "Europe/Berlin", "Vault.timeZone");
        // a vault that only loads the stage (created by another) warns at its first load
        Vault loader = Vault.on(PitModelTest.inTimeZone(ds, "America/New_York")).standard(HashStandard.AUTOMATEDV);
        Hub hub = loader.hub("dds.hub_tzw_unset").hashKey("visit_hk").businessKey("id", "seen").from(stage);
        String loads = stderrOf(() -> {
            hub.load();
            hub.load();
        });
        assertThat(count(loads, WARNING)).as(loads).isEqualTo(1);
        assertThat(loads).contains("America/New_York");
        // a second stage of the same vault gets its own warning
        Stage another = stage(ds, "tzw_another");
        assertThat(count(stderrOf(() -> createAndLoadTwice(vault, another)), WARNING)).isEqualTo(1);
    }

    @Test
    void noWarningWithAZoneSetUnderCanonicalOrWithoutTimestamptz(DataSource ds) {
        Stage stage = stage(ds, "tzw_set");
        Vault zoned = Vault.on(ds).standard(HashStandard.AUTOMATEDV).timeZone(ZoneOffset.UTC);
        assertThat(stderrOf(() -> createAndLoadTwice(zoned, stage))).doesNotContain(WARNING);
        Stage canonical = stage(ds, "tzw_canonical");
        assertThat(stderrOf(() -> createAndLoadTwice(Vault.on(ds), canonical))).doesNotContain(WARNING);
        TableFixture.on(ds, "raw.tzw_plain").columns("id text", "name text", "ld timestamptz").rows(row("1", "Ann", day(1)));
        Stage plain = Stage.of("raw.tzw_plain").loadDate("ld").hashKey("id_hk", "id").hashDiff("id_hashdiff", "name");
        Vault automate = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        assertThat(stderrOf(() -> {
            automate.createStage(plain);
            Satellite sat = automate.satellite("dds.sat_tzw_plain").parent("id_hk").hashDiff("id_hashdiff").payload("name")
                    .from(plain);
            sat.createTable();
            sat.load();
        })).doesNotContain(WARNING);
    }
}
