package dev.mds.connector.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.core.FieldType;
import dev.mds.core.Unchanged;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.UnchangedToastedPlaceholder;
import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class RecordMapperTest {
    /** Every value Debezium's own placeholder class builds from the configured placeholder, one per column kind. */
    @Test
    void everyShapeOfDebeziumsUnchangedToastPlaceholderMapsToUnchanged() throws Exception {
        UnchangedToastedPlaceholder debezium = new UnchangedToastedPlaceholder(new PostgresConnectorConfig(
                Configuration.create().with("topic.prefix", "t")
                        .with("unavailable.value.placeholder", RecordMapper.PLACEHOLDER).build()));
        List<Object> shapes = new ArrayList<>();
        for (java.lang.reflect.Field f : UnchangedToastedReplicationMessageColumn.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("UNCHANGED_")) {
                shapes.add(debezium.getValue(f.get(null)).orElseThrow());
            }
        }
        assertThat(shapes).as("the placeholder kinds of Debezium 3.2").hasSize(7);
        Map<?, ?> hstore = shapes.stream().filter(Map.class::isInstance).map(Map.class::cast).findFirst().orElseThrow();
        shapes.add(new ObjectMapper().writeValueAsString(hstore));   // hstore.handling.mode=json
        shapes.add(debezium.getToastPlaceholderBinary());
        Function<Object, Object> converter = RecordMapper.converter(SchemaBuilder.array(
                SchemaBuilder.int32().optional().build()).optional().build());
        for (Object shape : shapes) {
            assertThat(converter.apply(shape)).as("placeholder shape %s", shape).isSameAs(Unchanged.VALUE);
        }
    }

    /**
     * The values Debezium 3.2 sends for PostgreSQL's infinities, seen in its snapshot and its stream, are the MAX and
     * MIN pgjdbc reads (they were refused); a day beyond PostgreSQL's dates that is no infinity is still refused.
     */
    @Test
    void infiniteTimestampsAndDatesAreReadAsMaxAndMinInsteadOfFarDates() {
        Function<Object, Object> tstz = RecordMapper.converter(SchemaBuilder.string()
                .name("io.debezium.time.ZonedTimestamp").optional().build());
        Function<Object, Object> micros = RecordMapper.converter(SchemaBuilder.int64()
                .name("io.debezium.time.MicroTimestamp").optional().build());
        Function<Object, Object> millis = RecordMapper.converter(SchemaBuilder.int64()
                .name("io.debezium.time.Timestamp").optional().build());
        Function<Object, Object> days = RecordMapper.converter(SchemaBuilder.int32()
                .name("io.debezium.time.Date").optional().build());
        assertThat(tstz.apply("infinity")).isEqualTo(OffsetDateTime.MAX);
        assertThat(tstz.apply("-infinity")).isEqualTo(OffsetDateTime.MIN);
        assertThat(micros.apply(9_223_372_036_825_200_000L)).isEqualTo(LocalDateTime.MAX);
        assertThat(micros.apply(-9_223_372_036_832_400_000L)).isEqualTo(LocalDateTime.MIN);
        assertThat(micros.apply(Long.MAX_VALUE)).isEqualTo(LocalDateTime.MAX);
        assertThat(micros.apply(Long.MIN_VALUE)).isEqualTo(LocalDateTime.MIN);
        assertThat(millis.apply(9_223_372_036_825_200L)).isEqualTo(LocalDateTime.MAX);
        // Debezium's own converter (infinity, -infinity), then its stream's decoder (infinity, -infinity)
        assertThat(java.util.stream.Stream.of("-1701532-04-05", "-1711471-07-22", "-5877611-06-21", "-5877611-06-22")
                .map(sent -> days.apply((int) LocalDate.parse(sent).toEpochDay())))
                .containsExactly(LocalDate.MAX, LocalDate.MIN, LocalDate.MAX, LocalDate.MIN);
        assertThat(days.apply(Integer.MAX_VALUE)).isEqualTo(LocalDate.MAX);
        assertThat(days.apply(Integer.MIN_VALUE)).isEqualTo(LocalDate.MIN);
        assertThat(TextValueConverter.epochDay(LocalDate.parse("-5877611-06-21"))).isEqualTo(Integer.MAX_VALUE);
        assertThat(TextValueConverter.epochDay(LocalDate.parse("-5877611-06-22"))).isEqualTo(Integer.MIN_VALUE);
        assertThat(TextValueConverter.localMicros(java.time.Instant.parse("+294247-01-10T04:00:25.200Z"))).isEqualTo(Long.MAX_VALUE);
        assertThat(TextValueConverter.localMicros(java.time.Instant.parse("-290308-12-21T19:59:27.600Z"))).isEqualTo(Long.MIN_VALUE);
        assertThat(TextValueConverter.utcMicros(OffsetDateTime.parse("+292278994-08-16T23:00Z"))).isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> days.apply((int) LocalDate.of(5874898, 1, 1).toEpochDay()))
                .isInstanceOf(RecordMapper.UnrepresentableValue.class).hasMessageContaining("date beyond PostgreSQL's range");
        assertThat(tstz.apply("2024-05-01T10:11:12.654321+02:00"))
                .isEqualTo(OffsetDateTime.of(2024, 5, 1, 10, 11, 12, 654_321_000, ZoneOffset.ofHours(2)));
        assertThat(micros.apply(0L)).isEqualTo(LocalDateTime.of(1970, 1, 1, 0, 0));
        assertThat(days.apply((int) LocalDate.of(-4713, 11, 24).toEpochDay())).isEqualTo(LocalDate.of(-4713, 11, 24));
        assertThat(days.apply((int) LocalDate.of(5874897, 12, 31).toEpochDay())).isEqualTo(LocalDate.of(5874897, 12, 31));
    }

    /**
     * Debezium hands the numeric converter a SpecialValueDecimal (stream), a BigDecimal or a Double NaN (snapshot), or
     * the array literal's text: NaN and the infinities reach the mapper as text, which refuses them, instead of NULL.
     */
    @Test
    void numericNaNAndInfinitiesAreRefusedAndOtherNumericsKeptExactly() {
        assertThat(TextValueConverter.text(SpecialValueDecimal.NOT_A_NUMBER, Integer.MIN_VALUE)).isEqualTo("NaN");
        assertThat(TextValueConverter.text(SpecialValueDecimal.POSITIVE_INF, 2)).isEqualTo("Infinity");
        assertThat(TextValueConverter.text(SpecialValueDecimal.NEGATIVE_INF, 2)).isEqualTo("-Infinity");
        assertThat(TextValueConverter.text(Double.NaN, 2)).isEqualTo("NaN");
        assertThat(TextValueConverter.text(new SpecialValueDecimal(new BigDecimal("1.5")), 3)).isEqualTo("1.500");
        assertThat(TextValueConverter.text(new BigDecimal("-1E-30"), Integer.MIN_VALUE)).isEqualTo("-1E-30");
        assertThat(TextValueConverter.parseLiteral("{1.5,NaN,NULL,-Infinity}"))
                .containsExactly("1.5", "NaN", null, "-Infinity");
        Function<Object, Object> numeric = RecordMapper.converter(SchemaBuilder.string().name(TextValueConverter.NUMERIC_SCHEMA_NAME)
                .optional().build());
        for (String special : new String[] {"NaN", "Infinity", "-Infinity"}) {
            assertThatThrownBy(() -> numeric.apply(special)).isInstanceOf(RecordMapper.UnrepresentableValue.class)
                    .hasMessage("numeric '" + special + "'");
        }
        assertThat(numeric.apply("12345678901234567890.123456789")).isEqualTo(new BigDecimal("12345678901234567890.123456789"));
        assertThat(numeric.apply("-1E-30")).isEqualTo(new BigDecimal("-1E-30"));
        assertThat(numeric.apply(RecordMapper.PLACEHOLDER)).isSameAs(Unchanged.VALUE);
        Function<Object, Object> array = RecordMapper.converter(SchemaBuilder.array(SchemaBuilder.string()
                .name(TextValueConverter.NUMERIC_SCHEMA_NAME).optional().build()).optional().build());
        assertThat(array.apply(java.util.Arrays.asList("1.50", null))).isEqualTo(java.util.Arrays.asList(new BigDecimal("1.50"), null));
        assertThatThrownBy(() -> array.apply(List.of("1", "NaN"))).hasMessage("numeric 'NaN'");
        assertThat(RecordMapper.fieldType(null, "n", SchemaBuilder.string().name(TextValueConverter.NUMERIC_SCHEMA_NAME)
                .parameter(TextValueConverter.PRECISION, "12").parameter(TextValueConverter.SCALE, "2").build()))
                .isEqualTo(FieldType.decimal(12, 2));
    }

    /** Dates and timestamps as the snapshot hands them to the converter: java.sql types built by the driver. */
    @Test
    void snapshotDatesAndTimestampsKeepTheirEraAndCalendarAndInfinitiesAreMaxAndMin() throws Exception {
        var driver = new org.postgresql.jdbc.TimestampUtils(true, java.util.TimeZone::getDefault);
        for (String day : new String[] {"0044-03-15 BC", "1000-01-01", "1582-10-15", "2024-02-29", "4713-11-24 BC"}) {
            Object sent = TextValueConverter.epochDay(driver.toDate(null, day));
            LocalDate expected = day.endsWith(" BC") ? LocalDate.of(1 - Integer.parseInt(day.substring(0, 4)),
                    Integer.parseInt(day.substring(5, 7)), Integer.parseInt(day.substring(8, 10))) : LocalDate.parse(day);
            assertThat(sent).as(day).isEqualTo((int) expected.toEpochDay());
            assertThat(TextValueConverter.epochDay(expected)).isEqualTo(sent);
        }
        Function<Object, Object> days = RecordMapper.converter(SchemaBuilder.int32().name("io.debezium.time.Date")
                .optional().build());
        assertThat(days.apply(TextValueConverter.epochDay(driver.toDate(null, "infinity")))).isEqualTo(LocalDate.MAX);
        assertThat(days.apply(TextValueConverter.epochDay(driver.toDate(null, "-infinity")))).isEqualTo(LocalDate.MIN);
        Function<Object, Object> stamps = RecordMapper.converter(SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp")
                .optional().build());
        Function<Object, Object> zoned = RecordMapper.converter(SchemaBuilder.int64()
                .name(TextValueConverter.TIMESTAMPTZ_MICROS).optional().build());
        assertThat(stamps.apply(TextValueConverter.localMicros(driver.toTimestamp(null, "1000-01-01 10:00:00.000001"))))
                .isEqualTo(LocalDateTime.of(1000, 1, 1, 10, 0, 0, 1_000));
        assertThat(stamps.apply(TextValueConverter.localMicros(driver.toTimestamp(null, "0044-03-15 10:11:12.5 BC"))))
                .isEqualTo(LocalDateTime.of(-43, 3, 15, 10, 11, 12, 500_000_000));
        assertThat(zoned.apply(TextValueConverter.utcMicros(driver.toTimestamp(null, "1000-01-01 10:00:00+03"))))
                .isEqualTo(OffsetDateTime.of(1000, 1, 1, 7, 0, 0, 0, ZoneOffset.UTC));
        assertThat(zoned.apply(TextValueConverter.utcMicros(driver.toTimestamp(null, "2024-06-01 12:00:00.123456+05:30"))))
                .isEqualTo(OffsetDateTime.of(2024, 6, 1, 6, 30, 0, 123_456_000, ZoneOffset.UTC));
        assertThat(stamps.apply(TextValueConverter.localMicros(driver.toTimestamp(null, "infinity")))).isEqualTo(LocalDateTime.MAX);
        assertThat(stamps.apply(TextValueConverter.localMicros(driver.toTimestamp(null, "-infinity")))).isEqualTo(LocalDateTime.MIN);
        assertThat(zoned.apply(TextValueConverter.utcMicros(driver.toTimestamp(null, "infinity")))).isEqualTo(OffsetDateTime.MAX);
        assertThat(zoned.apply(TextValueConverter.utcMicros(driver.toTimestamp(null, "-infinity")))).isEqualTo(OffsetDateTime.MIN);
    }

    /** Dates and times as PostgreSQL prints them in ISO style, as elements of arrays are sent. */
    @Test
    void datesAndTimesAreReadFromPostgresText() {
        assertThat(RecordMapper.dateTimeText("0044-03-15 BC", TextValueConverter.DATE_TEXT)).isEqualTo(LocalDate.of(-43, 3, 15));
        assertThat(RecordMapper.dateTimeText("10000-01-01", TextValueConverter.DATE_TEXT)).isEqualTo(LocalDate.of(10000, 1, 1));
        assertThat(RecordMapper.dateTimeText("24:00:00", TextValueConverter.TIME_TEXT)).isEqualTo(java.time.LocalTime.MAX);
        assertThat(RecordMapper.dateTimeText("10:00:00.5", TextValueConverter.TIME_TEXT))
                .isEqualTo(java.time.LocalTime.of(10, 0, 0, 500_000_000));
        assertThat(RecordMapper.dateTimeText("0044-03-15 10:11:12.000001 BC", TextValueConverter.TIMESTAMP_TEXT))
                .isEqualTo(LocalDateTime.of(-43, 3, 15, 10, 11, 12, 1_000));
        assertThat(RecordMapper.dateTimeText("1000-01-01 10:00:00+00:53:28 BC", TextValueConverter.TIMESTAMPTZ_TEXT))
                .isEqualTo(OffsetDateTime.of(-999, 1, 1, 10, 0, 0, 0, ZoneOffset.ofHoursMinutesSeconds(0, 53, 28)));
        assertThat(RecordMapper.dateTimeText("2024-06-01 12:00:00-05", TextValueConverter.TIMESTAMPTZ_TEXT))
                .isEqualTo(OffsetDateTime.of(2024, 6, 1, 12, 0, 0, 0, ZoneOffset.ofHours(-5)));
        assertThat(RecordMapper.dateTimeText("infinity", TextValueConverter.TIMESTAMPTZ_TEXT)).isEqualTo(OffsetDateTime.MAX);
        assertThat(RecordMapper.dateTimeText("-infinity", TextValueConverter.TIMESTAMP_TEXT)).isEqualTo(LocalDateTime.MIN);
        assertThat(RecordMapper.dateTimeText("infinity", TextValueConverter.DATE_TEXT)).isEqualTo(LocalDate.MAX);
        assertThatThrownBy(() -> RecordMapper.dateTimeText("2024-01-01", TextValueConverter.TIMESTAMP_TEXT))
                .isInstanceOf(RecordMapper.UnrepresentableValue.class);
    }

    /** The array literals PostgreSQL prints, as the converter reads the ones Debezium cannot. */
    @Test
    void arrayLiteralsAreReadElementByElementAndMoreDimensionsRefused() {
        assertThat(TextValueConverter.parseLiteral("{\"a,b\",\"c\\\"d\",NULL,\"NULL\", e f ,\"\"}"))
                .containsExactly("a,b", "c\"d", null, "NULL", "e f", "");
        assertThat(TextValueConverter.parseLiteral("{}")).isEmpty();
        assertThat(TextValueConverter.parseLiteral("{(1,1),(0,0);(3,3),(2,2)}", ';'))
                .containsExactly("(1,1),(0,0)", "(3,3),(2,2)");
        Function<Object, Object> texts = RecordMapper.converter(SchemaBuilder.array(
                SchemaBuilder.string().optional().build()).optional().build());
        for (String literal : new String[] {"{{1,2},{3,4}}", "[0:1]={1,2}"}) {
            List<String> sent = TextValueConverter.parseLiteral(literal);
            assertThatThrownBy(() -> texts.apply(sent)).isInstanceOf(RecordMapper.UnrepresentableValue.class)
                    .hasMessage("array value '" + literal + "'");
        }
    }

    @Test
    void ordinaryArraysAreNotTakenForThePlaceholder() {
        Function<Object, Object> ints = RecordMapper.converter(SchemaBuilder.array(
                SchemaBuilder.int32().optional().build()).optional().build());
        assertThat(ints.apply(List.of(95, 95, 109))).isEqualTo(List.of(95, 95, 109));
        assertThat(ints.apply(List.of(7))).isEqualTo(List.of(7));
        Function<Object, Object> words = RecordMapper.converter(SchemaBuilder.array(
                SchemaBuilder.string().optional().build()).optional().build());
        assertThat(words.apply(List.of("__mds"))).isEqualTo(List.of("__mds"));
    }

    /**
     * Debezium's pgoutput decoder turns each byte of a UTF-8 name into a char (sign-extended); those names are
     * decoded, and names read correctly are kept, also ones holding the chars a garbled name is made of.
     */
    @Test
    void columnNamesGarbledByThePgoutputDecoderAreDecodedAndOthersKept() {
        assertThat(RecordMapper.ungarbled("gr\uFFC3\uFFB6\uFFC3\uFF9Fe")).isEqualTo("größe");
        assertThat(RecordMapper.ungarbled("\uFFE5\uFF90\uFF8D\uFFE5\uFF89\uFF8D x")).isEqualTo("名前 x");
        for (String kept : new String[] {"größe", "名前 x", "plain_Name", "\uFF80\uFF9E", "\uFFC3", "a\uFFC3\uFFB6\u00e9"}) {
            assertThat(RecordMapper.ungarbled(kept)).as(kept).isEqualTo(kept);
        }
    }

    /**
     * The events of a transaction Debezium streams without a commit seen before it ({@code sequence} [null, lsn], the
     * first after a snapshot) share one commit position, the LSN of the transaction's last change in the batch: after
     * the snapshot's reads, before the next transaction's (whose sequence starts with the end of this one's commit).
     * Each took its own LSN before, which mds-load's fold read as a transaction per change (a key swap lost a key).
     */
    @Test
    void aTransactionStreamedWithoutACommitBeforeItSharesTheLsnOfItsLastChange() {
        org.apache.kafka.connect.data.Schema sourceSchema = SchemaBuilder.struct().name("source")
                .field("schema", SchemaBuilder.string().build()).field("table", SchemaBuilder.string().build())
                .field("ts_us", SchemaBuilder.int64().optional().build())
                .field("lsn", SchemaBuilder.int64().optional().build())
                .field("txId", SchemaBuilder.int64().optional().build())
                .field("sequence", SchemaBuilder.string().optional().build()).build();
        org.apache.kafka.connect.data.Schema key = SchemaBuilder.struct().name("key")
                .field("id", SchemaBuilder.int32().build()).build();
        org.apache.kafka.connect.data.Schema row = SchemaBuilder.struct().name("row")
                .field("id", SchemaBuilder.int32().build()).optional().build();
        org.apache.kafka.connect.data.Schema envelope = SchemaBuilder.struct().name("envelope")
                .field("op", SchemaBuilder.string().build()).field("source", sourceSchema)
                .field("before", row).field("after", row).build();
        Function<Object[], SourceRecord> record = f -> {
            Struct source = new Struct(sourceSchema).put("schema", "app").put("table", "t").put("ts_us", 1L)
                    .put("lsn", f[2]).put("txId", f[3]).put("sequence", f[4]);
            Struct value = new Struct(row).put("id", f[1]);
            Struct envelopeValue = new Struct(envelope).put("op", f[0]).put("source", source)
                    .put("d".equals(f[0]) ? "before" : "after", value);
            return new SourceRecord(Map.of(), Map.of(), "t", null, key, new Struct(key).put("id", f[1]), envelope,
                    envelopeValue);
        };
        List<SourceRecord> batch = List.of(
                record.apply(new Object[] {"r", 1, 100L, 5L, null}),
                record.apply(new Object[] {"d", 1, 200L, 7L, "[null,\"200\"]"}),
                record.apply(new Object[] {"c", 2, 200L, 7L, "[null,\"200\"]"}),
                record.apply(new Object[] {"d", 2, 260L, 7L, "[null,\"260\"]"}),
                record.apply(new Object[] {"c", 1, 260L, 7L, "[null,\"260\"]"}),
                record.apply(new Object[] {"c", 3, 300L, 8L, "[\"280\",\"300\"]"}));
        RecordMapper mapper = new RecordMapper(t -> List.of("id"));
        mapper.startBatch(batch);
        assertThat(batch).extracting(r -> mapper.map(r).orElseThrow().event().position().toString())
                .containsExactly("0/100", "260/200", "260/200", "260/260", "260/260", "280/300");
        mapper.startBatch(List.of());   // a later batch: the transaction's last change is not kept from an earlier one
        assertThat(mapper.map(batch.get(1)).orElseThrow().event().position()).hasToString("200/200");
    }
}
