package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SchemaAndRecordTest {
    private final Schema schema = Schema.builder().required("id", FieldType.LONG).add("amount", FieldType.decimal(12, 2))
            .add("tags", FieldType.arrayOf(FieldType.STRING)).build();

    @Test
    void schemaFindsColumnsByExactName() {
        assertThat(schema.indexOf("amount")).isEqualTo(1);
        assertThat(schema.indexOf("Amount")).isEqualTo(-1);
        assertThat(schema.field("id")).contains(Field.required("id", FieldType.LONG));
        assertThat(schema.names()).containsExactly("id", "amount", "tags");
        assertThat(schema.select(List.of("tags", "id")).names()).containsExactly("tags", "id");
        assertThatThrownBy(() -> schema.require("nope")).hasMessageContaining("nope").hasMessageContaining("[id, amount, tags]");
    }

    @Test
    void schemaRejectsDuplicateColumns() {
        assertThatThrownBy(() -> Schema.of(Field.of("a", FieldType.INT), Field.of("a", FieldType.STRING)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a' appears twice");
    }

    @Test
    void fieldTypesDescribeThemselves() {
        assertThat(FieldType.decimal(12, 2)).hasToString("decimal(12,2)").isEqualTo(FieldType.decimal(12, 2));
        assertThat(FieldType.arrayOf(FieldType.LONG)).hasToString("array<long>");
        assertThat(FieldType.TIMESTAMPTZ.javaType()).isEqualTo(java.time.OffsetDateTime.class);
        assertThatThrownBy(() -> FieldType.decimal(2, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FieldType.arrayOf(FieldType.arrayOf(FieldType.INT))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recordsAreImmutableCopies() {
        Object[] values = {1L, new BigDecimal("1.50"), null};
        Record r = Record.of(values);
        values[0] = 2L;
        assertThat(r.get(0)).isEqualTo(1L);
        assertThat(r.isNull(2)).isTrue();
        assertThat(r.with(2, Unchanged.VALUE).get(2)).isSameAs(Unchanged.VALUE);
        assertThat(r.get(2)).isNull();
        assertThat(Record.of(new byte[] {1, 2})).isEqualTo(Record.of(new byte[] {1, 2}));
    }

    /**
     * A bytea[] value is a List of byte[] (FieldType.arrayOf(BYTES)): its elements compare, hash and print by content, as
     * a bytea value does, not by the arrays' identity.
     */
    @Test
    void recordsCompareHashAndPrintByteArraysInsideArrayValuesByContent() {
        Record a = Record.of(1L, java.util.Arrays.asList(new byte[] {1, 2}, null, new byte[0]));
        Record b = Record.of(1L, List.of(new byte[] {1, 2}));
        Record c = Record.of(1L, java.util.Arrays.asList(new byte[] {1, 2}, null, new byte[0]));
        assertThat(a).isEqualTo(c).hasSameHashCodeAs(c).hasToString("[1, [[1, 2], null, []]]");
        assertThat(a).isNotEqualTo(b);
        assertThat(Record.of(List.of(new byte[] {1}))).isNotEqualTo(Record.of(List.of(new byte[] {2})));
        // values without arrays inside lists compare, hash and print as before
        Record plain = Record.of(1L, new BigDecimal("1.50"), List.of("x", "y"), new byte[] {7}, null);
        assertThat(plain).isEqualTo(Record.of(1L, new BigDecimal("1.50"), java.util.Arrays.asList("x", "y"), new byte[] {7},
                null));
        assertThat(plain.hashCode()).isEqualTo(java.util.Arrays.deepHashCode(plain.values().toArray()));
        assertThat(plain).hasToString("[1, 1.50, [x, y], [7], null]");
        assertThat(plain).isNotEqualTo(Record.of(1L, new BigDecimal("1.5"), List.of("x", "y"), new byte[] {7}, null));
    }

    @Test
    void batchCarriesTheBadRecordsOfItsRangeAndOlderConstructorsCarryNone() {
        RecordBatch plain = new RecordBatch(schema, List.of(Record.of(1L, BigDecimal.ONE, null)), Optional.empty());
        assertThat(plain.rejected()).isEmpty();
        assertThat(RecordBatch.of(schema, List.of()).rejected()).isEmpty();
        BadRecord bad = new BadRecord(InputLocation.of("prices.csv").withLine(10).withRecordNumber(9).withColumn("amount"),
                "\"x\" is not a decimal(12,2)", "9,x,");
        List<BadRecord> list = new java.util.ArrayList<>(List.of(bad));
        RecordBatch with = plain.withRejected(list);
        list.clear();
        assertThat(with.rejected()).containsExactly(bad);
        assertThat(with.records()).isEqualTo(plain.records());
        assertThat(bad.describe()).isEqualTo("prices.csv line 10 record 9, column 'amount': \"x\" is not a decimal(12,2)");
        assertThat(bad.toException()).hasMessage(bad.describe());
    }

    @Test
    void batchRejectsRecordsOfTheWrongWidth() {
        assertThatThrownBy(() -> RecordBatch.of(schema, List.of(Record.of(1L, BigDecimal.ONE, null), Record.of(2L))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("record 2 has 1 values");
    }

    @Test
    void sourcePositionRoundTripsThroughJson() {
        SourcePosition p = SourcePosition.of("in \"dir\"/t.csv", Map.of("offset", 1_048_576L, "done", true));
        SourcePosition back = SourcePosition.fromJson(p.toJson());
        assertThat(back).isEqualTo(p);
        assertThat(back.getLong("offset")).contains(1_048_576L);
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"offset\":1}")).hasMessageContaining("no \"source\"");
        assertThatThrownBy(() -> SourcePosition.fromJson("[1]")).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * jsonb cannot hold U+0000 (PostgreSQL: "unsupported Unicode escape sequence", "\\u0000 cannot be converted to
     * text"): a position holding it failed the batch's transaction at the state store's put, naming neither the
     * source nor the entry. It is refused when made, as NaN is.
     */
    @Test
    void sourcePositionRefusesANulCharacterWhenMadeNamingTheEntry() {
        assertThatThrownBy(() -> SourcePosition.of("orders.json", Map.of("last_key", "A\0B")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("position of orders.json: entry 'last_key'")
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> SourcePosition.of("orders.json", Map.of("a\0b", 1L)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
        assertThatThrownBy(() -> SourcePosition.of("orders\0.json", Map.of("a", 1L)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
        assertThatThrownBy(() -> SourcePosition.fromJson("{\"source\":\"s\",\"x\":\"\\u0000\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 'x'");
        // every other control character is written as an escape jsonb takes, and read back
        SourcePosition controls = SourcePosition.of("s", Map.of("x", "\u0001\u001f"));
        assertThat(SourcePosition.fromJson(controls.toJson())).isEqualTo(controls);
    }

    /**
     * JSON has no NaN or Infinity: such a position was written as {@code "x":NaN}, which PostgreSQL's jsonb refuses
     * (so the batch's transaction failed at the put) and which fromJson cannot read back. It is refused when made.
     */
    @Test
    void sourcePositionRefusesNaNAndInfinityWhenMadeNamingTheEntry() {
        for (Number bad : List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Float.NaN,
                Float.NEGATIVE_INFINITY)) {
            assertThatThrownBy(() -> SourcePosition.of("orders", Map.of("watermark", bad)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("orders")
                    .hasMessageContaining("'watermark' is " + bad)
                    .hasMessageContaining("store such a value as a string");
        }
        SourcePosition asText = SourcePosition.of("orders", Map.of("watermark", "NaN"));
        assertThat(SourcePosition.fromJson(asText.toJson())).isEqualTo(asText);
    }

    /** toJson wrote an entry named "source" over the source's name: read back, the position had another source. */
    @Test
    void sourcePositionRefusesAnEntryNamedSourceWhichItsJsonUsesForTheSourceName() {
        assertThatThrownBy(() -> SourcePosition.of("orders.csv", Map.of("offset", 10L, "source", "crm")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("orders.csv")
                .hasMessageContaining("'source'");
    }

    @Test
    void getLongGivesOnlyAWholeNumberWithinALongNeverOneCutToIt() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("whole", 1_048_576.0);
        values.put("fraction", 1_048_576.5);
        values.put("beyond", new BigInteger("18446744073709551617"));   // 2^64 + 1
        values.put("text", "7");
        SourcePosition back = SourcePosition.fromJson(SourcePosition.of("s", values).toJson());
        assertThat(back.getLong("whole")).contains(1_048_576L);
        // before, 1048576 (the fraction cut off) and 1 (the high bits dropped): a resume from another place than stored
        assertThat(back.getLong("fraction")).isEmpty();
        assertThat(back.getLong("beyond")).isEmpty();
        assertThat(back.getLong("text")).isEmpty();
        assertThat(back.getLong("missing")).isEmpty();
    }

    @Test
    void sourcePositionNumbersOfEveryJavaTypeRoundTripThroughJsonWithTheirValue() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("int", 7);
        values.put("short", (short) -3);
        values.put("long", Long.MIN_VALUE);
        values.put("big_integer", new BigInteger("123456789012345678901234567890"));
        values.put("big_decimal", new BigDecimal("123.4500"));
        values.put("tenth", 0.1);
        values.put("huge", 1e300);
        values.put("tiny", -Double.MIN_VALUE);
        values.put("max", Double.MAX_VALUE);
        values.put("float", 0.1f);
        SourcePosition p = SourcePosition.of("s", values);
        SourcePosition back = SourcePosition.fromJson(p.toJson());
        assertThat(back).isEqualTo(p);
        assertThat(back.toJson()).isEqualTo(p.toJson());
        assertThat(p.getLong("int")).contains(7L);
        assertThat(p.get("big_integer")).contains(new BigDecimal("123456789012345678901234567890"));
        assertThat(p.get("big_decimal")).contains(new BigDecimal("123.45"));
        for (String k : List.of("tenth", "huge", "tiny", "max")) {
            assertThat(((Number) back.get(k).orElseThrow()).doubleValue()).as(k).isEqualTo((Double) values.get(k));
        }
        assertThat(((Number) back.get("float").orElseThrow()).floatValue()).isEqualTo(0.1f);
    }

    @Test
    void changeEventsOrderByCommitThenChange() {
        EventPosition a = new EventPosition(100, 90);
        EventPosition b = new EventPosition(100, 95);
        EventPosition c = new EventPosition(200, 10);
        assertThat(List.of(c, b, a).stream().sorted().toList()).containsExactly(a, b, c);
        assertThat(new EventPosition(-1L, 0).isAfter(new EventPosition(Long.MAX_VALUE, 0))).as("unsigned LSNs").isTrue();
    }

    @Test
    void changeEventsCheckTheirImages() {
        TableName t = TableName.parse("product.users");
        Instant now = Instant.parse("2024-01-01T00:00:00Z");
        ChangeEvent delete = ChangeEvent.delete(t, Record.of(1), EventPosition.ZERO, now);
        assertThat(delete.isDelete()).isTrue();
        assertThat(delete.after()).isEmpty();
        assertThatThrownBy(() -> new ChangeEvent(ChangeEvent.Operation.CREATE, t, Record.of(1), Optional.empty(),
                Optional.empty(), EventPosition.ZERO, now)).hasMessageContaining("needs an after image");
        ChangeEvent truncate = ChangeEvent.truncate(t, new EventPosition(7, 7), now);
        assertThat(truncate.key().size()).isZero();
        assertThat(truncate.isDelete()).isFalse();
        assertThatThrownBy(() -> new ChangeEvent(ChangeEvent.Operation.TRUNCATE, t, Record.of(1), Optional.empty(),
                Optional.empty(), EventPosition.ZERO, now)).hasMessageContaining("a TRUNCATE event has no key");
        assertThatThrownBy(() -> new ChangeBatch(t, Schema.of(Field.of("user_id", FieldType.INT)), List.of("id"),
                List.of(), Optional.empty())).hasMessageContaining("no column 'id'");
    }

    @Test
    void badInputNamesWhere() {
        BadInputException e = new BadInputException(InputLocation.of("transactions.csv").withLine(1042)
                .withColumn("price").withExcerpt("Two Hundred"), "expected decimal");
        assertThat(e).hasMessage("transactions.csv line 1042, column 'price', near \"Two Hundred\": expected decimal");
        assertThat(e.location().line()).hasValue(1042);
        assertThat(InputLocation.of("raw.users").withRecordNumber(17).withKey("id=5").describe())
                .isEqualTo("raw.users record 17 (key id=5)");
    }
}
