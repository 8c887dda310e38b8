package dev.mds.connector.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.FieldType;
import dev.mds.core.ProgressListener;
import dev.mds.load.MergeLoader;
import dev.mds.load.OnBadRow;
import dev.mds.load.SyncMode;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Date-times with an offset are read as PostgreSQL's timestamptz input reads them: fraction digits are ASCII digits
 * only, as PostgreSQL takes only those; the T and the Z may be lower case, as RFC 3339 allows and PostgreSQL reads.
 */
@MdsPostgres
class JsonTimestampDigitsTest {
    /** Fraction digits ARABIC-INDIC TWO, SEVEN, ZERO (U+0662, U+0667, U+0660), then six ASCII zeros. */
    private static final String INDIC_FRACTION = "2021-12-17T11:49:40.\u0662\u0667\u0660000000Z";

    @TempDir
    Path dir;

    /**
     * Before, fraction digits were taken with Character.isDigit and their value as the character minus '0', so nine
     * digits of which some were Arabic-Indic overflowed an int into a plausible number: the string above was read as
     * 2021-12-17 11:49:40.000340864 UTC, in a declared timestamptz column and by inference, a time no one wrote,
     * where PostgreSQL refuses the text.
     */
    @Test
    void fractionDigitsOtherThanAsciiMakeABadRecordNotAnotherTime(DataSource ds) throws IOException {
        assertThatThrownBy(() -> TestSql.strings(ds, "select '" + INDIC_FRACTION + "'::timestamptz"))
                .hasMessageContaining("invalid input syntax for type timestamp with time zone");
        Path p = dir.resolve("indic.jsonl");
        Files.writeString(p, "{\"id\": 1, \"t\": \"2021-12-17T11:49:40.5Z\"}\n{\"id\": 2, \"t\": \"" + INDIC_FRACTION
                + "\"}\n", StandardCharsets.UTF_8);
        MergeLoader loader = MergeLoader.into(ds, "raw.indic").mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER).build();
        try (JsonSource json = JsonSource.builder().path(p).type("t", FieldType.TIMESTAMPTZ)
                .onBadRecord(OnBadRecord.DEAD_LETTER).build()) {
            loader.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        assertThat(TestSql.strings(ds, "select id || ' ' || (t at time zone 'UTC') from raw.indic order by id"))
                .containsExactly("1 2021-12-17 11:49:40.5");
        assertThat(TestSql.strings(ds, "select record_number || ' ' || reason from raw.indic_rejected"))
                .singleElement().asString().startsWith("2 " + p + " line 2 record 2, column 't'");
        try (JsonSource inferred = JsonSource.builder().path(p).build()) {
            assertThat(inferred.schema().toString()).isEqualTo("[id long, t string]");
        }
    }

    /**
     * RFC 3339 (section 5.6) lets the T and the Z of a date-time be lower case, and PostgreSQL reads them so; the
     * source reads them as the upper-case ones, in a declared timestamptz column and by inference. Before, such a
     * value was a bad record in a declared timestamptz column ("is not an ISO 8601 date-time with an offset"), and a
     * column of them was inferred as text, though a declared timestamp column read a lower-case t.
     */
    @Test
    void aLowerCaseTAndZReadAsRfc3339AndPostgresqlReadThem(DataSource ds) throws IOException {
        Path p = dir.resolve("lower.jsonl");
        Files.writeString(p, "{\"id\": 1, \"t\": \"2021-12-17t11:49:40z\"}\n{\"id\": 2, \"t\": \"2021-12-17t11:49:40.5+01:00\"}\n"
                + "{\"id\": 3, \"t\": \"2021-12-17T11:49:40z\"}\n", StandardCharsets.UTF_8);
        MergeLoader loader = MergeLoader.into(ds, "raw.lower").mode(SyncMode.APPEND).onBadRow(OnBadRow.DEAD_LETTER).build();
        try (JsonSource json = JsonSource.builder().path(p).type("t", FieldType.TIMESTAMPTZ)
                .onBadRecord(OnBadRecord.DEAD_LETTER).build()) {
            loader.loadAll(json.batches(), 1, ProgressListener.NONE);
        }
        assertThat(TestSql.strings(ds, "select count(*) from raw.lower l where l.t = case l.id"
                + " when 1 then '2021-12-17t11:49:40z'::timestamptz when 2 then '2021-12-17t11:49:40.5+01:00'::timestamptz"
                + " else '2021-12-17T11:49:40z'::timestamptz end")).containsExactly("3");
        try (JsonSource inferred = JsonSource.builder().path(p).build()) {
            assertThat(inferred.schema().toString()).isEqualTo("[id long, t timestamptz]");
        }
    }
}
