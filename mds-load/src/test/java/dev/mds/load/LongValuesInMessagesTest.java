package dev.mds.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.ChangeBatch;
import dev.mds.core.ChangeEvent;
import dev.mds.core.EventPosition;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A key or value of 20,000 characters is shown in messages as its first 200 characters and its length, wherever the
 * loader names it: the location's key, the list of refused records, PostgreSQL's message quoting the value, a cursor.
 */
@MdsPostgres
class LongValuesInMessagesTest {
    static final String LONG_KEY = "x".repeat(20_000);
    static final String LONG_VALUE = "y".repeat(20_000);
    static final String KEY_SHOWN = "id=" + "x".repeat(200) + "… (20000 characters)";
    static final String VALUE_SHOWN = "y".repeat(200) + "… (20000 characters)";

    static void assertBounded(BadInputException e) {
        assertThat(e.getMessage()).doesNotContain("x".repeat(201)).doesNotContain("y".repeat(201)).hasSizeLessThan(2_000);
    }

    @Test
    void aLongKeyOrValueIsShownAsItsFirst200CharactersAndItsLength(DataSource ds) {
        Schema s = Schema.builder().required("id", FieldType.STRING).add("amount", FieldType.DECIMAL)
                .add("v", FieldType.STRING).build();
        MergeLoader loader = MergeLoader.into(ds, "raw.long_keys").key("id").build();
        loader.load(RecordBatch.of(s, List.of(Record.of("a", BigDecimal.ONE, "v"))));
        TestSql.sql(ds, "alter table raw.long_keys alter column amount type numeric(4,2)");

        // a value the COPY refuses: the key in the location
        assertThatThrownBy(() -> loader.load(RecordBatch.of(s, List.of(Record.of(LONG_KEY, new BigDecimal("999.99"), "v")))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertBounded(e);
                    assertThat(e.location().key()).hasValue(KEY_SHOWN);
                    assertThat(e.getMessage()).contains("record 1 (key " + KEY_SHOWN + "), column 'amount': numeric field overflow");
                });

        // a record the table refuses when the MERGE writes it: the key in the location and in the list of records
        TestSql.sql(ds, "create unique index long_keys_v on raw.long_keys (v)");
        assertThatThrownBy(() -> loader.load(RecordBatch.of(s, List.of(Record.of(LONG_KEY, BigDecimal.ONE, "v")))))
                .isInstanceOfSatisfying(RefusedRowsException.class, e -> {
                    assertBounded(e);
                    assertThat(e.rows()).singleElement().satisfies(r -> assertThat(r.key()).hasValue(KEY_SHOWN));
                    assertThat(e.getMessage()).contains("constraint \"long_keys_v\"", "record 1 (key " + KEY_SHOWN + ")");
                });

        // PostgreSQL's message quoting a long value whole
        Schema text = Schema.builder().required("id", FieldType.STRING).add("n", FieldType.STRING).build();
        TestSql.sql(ds, "create table raw.long_values (id text primary key, n bigint)");
        MergeLoader values = MergeLoader.into(ds, "raw.long_values").key("id").build();
        assertThatThrownBy(() -> values.load(RecordBatch.of(text, List.of(Record.of("k", LONG_VALUE)))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertBounded(e);
                    assertThat(e.getMessage()).contains("column 'n': invalid input syntax for type bigint: \"" + VALUE_SHOWN + "\"");
                });

        // PostgreSQL's detail naming a long key: Key (id)=(…) already exists.
        MergeLoader append = MergeLoader.into(ds, "raw.long_append").mode(SyncMode.APPEND).key("id").build();
        Schema keyOnly = Schema.builder().required("id", FieldType.STRING).build();
        append.load(RecordBatch.of(keyOnly, List.of(Record.of(LONG_KEY))));
        assertThatThrownBy(() -> append.load(RecordBatch.of(keyOnly, List.of(Record.of(LONG_KEY)))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertBounded(e);
                    assertThat(e.getMessage()).contains("(Key (id)=(" + "x".repeat(200) + "… (20000 characters)) already exists.)");
                });

        // a cursor value the database cannot read, of a long key
        TestSql.sql(ds, "create table raw.long_cursor (id text primary key, c timestamptz)");
        Schema cursor = Schema.builder().required("id", FieldType.STRING).add("c", FieldType.STRING).build();
        MergeLoader cursored = MergeLoader.into(ds, "raw.long_cursor").key("id").cursor("c").build();
        assertThatThrownBy(() -> cursored.load(RecordBatch.of(cursor, List.of(Record.of(LONG_KEY, LONG_VALUE),
                Record.of(LONG_KEY, "2020-01-01")))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertBounded(e);
                    assertThat(e.getMessage()).contains("(key " + KEY_SHOWN + "), column 'c'", VALUE_SHOWN);
                });

        // an overwrite whose every record is refused lists the refused records with their keys and reasons
        TestSql.sql(ds, "alter table raw.long_keys add constraint v_short check (length(v) < 100)");
        MergeLoader overwrite = MergeLoader.into(ds, "raw.long_keys").mode(SyncMode.OVERWRITE).key("id")
                .onBadRow(OnBadRow.SKIP).build();
        assertThatThrownBy(() -> overwrite.load(RecordBatch.of(s, List.of(Record.of(LONG_KEY, BigDecimal.ONE, LONG_VALUE)))))
                .isInstanceOfSatisfying(BadInputException.class, e -> {
                    assertBounded(e);
                    assertThat(e.getMessage()).contains("refused: record 1 (key " + KEY_SHOWN + "): ");
                });

        // the dead letter's key and reason as messages show them; its record holds the whole values
        MergeLoader deadLetter = MergeLoader.into(ds, "raw.long_keys").key("id").onBadRow(OnBadRow.DEAD_LETTER).build();
        LoadResult r = deadLetter.load(RecordBatch.of(s, List.of(Record.of(LONG_KEY, BigDecimal.ONE, LONG_VALUE))));
        assertThat(r.rejected()).isEqualTo(1);
        assertThat(TestSql.strings(ds, "select key = '" + KEY_SHOWN + "' and length(reason) < 2000 and"
                + " record::jsonb ->> 'id' = repeat('x', 20000) and record::jsonb ->> 'v' = repeat('y', 20000)"
                + " from raw.long_keys_rejected")).containsExactly("t");
    }

    /**
     * The key of a stored row read back from the table (with DeleteMode.SOFT, the row marked deleted that holds the
     * unique value a key change needs) is shown as the batch's keys are.
     */
    @Test
    void aLongKeyReadFromTheTableIsShownAsTheBatchsKeysAre(DataSource ds) {
        TestSql.sql(ds, "create table raw.long_soft (id text primary key, name text unique, _mds_commit bigint,"
                + " _mds_change bigint, _deleted_at timestamptz)");
        TableName src = TableName.of("app", "users");
        Schema schema = Schema.builder().required("id", FieldType.STRING).add("name", FieldType.STRING).build();
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        MergeLoader loader = MergeLoader.into(ds, "raw.long_soft").mode(SyncMode.CDC).deleteMode(DeleteMode.SOFT).build();
        loader.load(new ChangeBatch(src, schema, List.of("id"), List.of(ChangeEvent.create(src, Record.of(LONG_KEY),
                Record.of(LONG_KEY, "a"), new EventPosition(10, 10), t)), Optional.empty()));
        ChangeBatch move = new ChangeBatch(src, schema, List.of("id"), List.of(
                ChangeEvent.delete(src, Record.of(LONG_KEY), new EventPosition(20, 20), t),
                ChangeEvent.create(src, Record.of("short"), Record.of("short", "a"), new EventPosition(20, 21), t)),
                Optional.empty());
        assertThatThrownBy(() -> loader.load(move)).isInstanceOfSatisfying(RefusedRowsException.class, e -> {
            assertBounded(e);
            assertThat(e.getMessage()).contains("the row of key " + KEY_SHOWN + ", which holds the value, is marked deleted");
        });
    }
}
