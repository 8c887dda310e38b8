package dev.mds.connector.faker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every record of a data set, pinned: a SHA-256 over the values of all users (generation 3, so two rounds of
 * changes), products and purchases of seed 42. Equal on every JVM, machine, default time zone and locale: a JVM of its own
 * computes it under {@code -Duser.timezone=Pacific/Kiritimati -Duser.language=tr -Duser.country=TR}, and under
 * {@code th_TH_TH} with Thai digits, {@code ar_SA} in {@code Asia/Kathmandu}, {@code America/St_Johns}. If this
 * changes, every data set made with mds changes: change it only on purpose.
 */
class FakerPinnedDataTest {
    private static final String PINNED = "877c5ff109f9baed36c9a93216a4cd8c44e71369bf28d8d8ac28875d5fb0eb7a";

    @Test
    void everyRecordOfAGivenSeedIsPinned() {
        FakerSource source = FakerSource.builder().seed(42).users(3_000).products(77).build();
        long records = 0;
        for (FakerStream stream : FakerStream.values()) {
            records += source.batches(stream).mapToLong(b -> b.records().size()).sum();
        }
        assertThat(records).isGreaterThan(3_077);
        assertThat(PinnedDigest.digest()).isEqualTo(PINNED);
    }

    /**
     * The same digest in other JVMs, under default time zones and locales that change how dates and numbers would be
     * written if any value went through them: Kiritimati (UTC+14) in Turkish (a dotless i in upper and lower case),
     * Thai with Thai digits and the Buddhist calendar, Nepal (UTC+5:45) in Arabic (Saudi Arabia), St John's (UTC-3:30).
     * Before, the class Javadoc said so but only this JVM's defaults were tested.
     */
    @Test
    void theSameDigestInOtherJvmsUnderOtherDefaultTimeZonesAndLocales() throws Exception {
        String[][] defaults = {
            {"Pacific/Kiritimati", "tr", "TR", ""},
            {"Asia/Bangkok", "th", "TH", "TH"},
            {"Asia/Kathmandu", "ar", "SA", ""},
            {"America/St_Johns", "en", "CA", ""}};
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String[] d : defaults) {
            Process p = new ProcessBuilder(java, "-Duser.timezone=" + d[0], "-Duser.language=" + d[1],
                    "-Duser.country=" + d[2], "-Duser.variant=" + d[3], "-cp", classPath(),
                    PinnedDigest.class.getName()).redirectErrorStream(true).start();
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the JVM under " + List.of(d) + " ended").isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out.lines().filter(l -> l.matches("[0-9a-f]{64}")).toList()).as("under " + List.of(d) + ": " + out)
                    .containsExactly(PINNED);
        }
    }

    /** This test JVM's class path and module path (surefire puts the module under test on the latter) as one. */
    private static String classPath() {
        String modules = System.getProperty("jdk.module.path");
        String classes = System.getProperty("java.class.path");
        return modules == null || modules.isEmpty() ? classes : modules + java.io.File.pathSeparator + classes;
    }
}
