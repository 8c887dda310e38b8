package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * CANONICAL with {@code emptyStringAsNull(true)} over a column of a nondeterministic collation, under which a string of
 * ignorable characters (a soft hyphen, a zero-width space) equals {@code ''}: only the empty string is NULL, as the
 * Java {@link Hasher} says, so such a business key is a key of its own and no hashdiff confuses it with {@code ''}.
 */
@MdsPostgres
class CanonicalNondeterministicCollationTest {
    @Test
    void onlyTheEmptyStringCountsAsNullWhateverTheColumnsCollation(DataSource ds) {
        sql(ds, "create schema if not exists raw",
                "create collation if not exists ci_level2 (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table raw.nd (id int, a text collate ci_level2, t text[] collate ci_level2, ld timestamptz default '2024-01-01Z')",
                "insert into raw.nd (id, a, t) values (1, '', '{\"\"}'), (2, U&'\\00AD', array[U&'\\00AD']),"
                        + " (3, U&'\\200B', array[U&'\\200B']), (4, 'x', '{x}')");
        assertThat(strings(ds, "select (a = '')::text from raw.nd order by id")).containsExactly("true", "true", "true", "false");
        Vault vault = Vault.on(ds).emptyStringAsNull(true);
        Stage stage = Stage.of("raw.nd").into("stg.nd").loadDate("ld").recordSource("crm").hashKey("hk", "a")
                .hashDiff("hd", "a").hashDiff("thd", "t");
        vault.createStage(stage);
        Hasher hasher = vault.hasher(Schema.of(Field.of("a", FieldType.STRING)));
        Hasher arrays = vault.hasher(Schema.of(Field.of("t", FieldType.arrayOf(FieldType.STRING))));
        List<String> java = new ArrayList<>();
        for (String a : List.of("", "\u00AD", "\u200B", "x")) {
            java.add(hasher.hashKey(a).map(HexFormat.of()::formatHex).orElse("NULL") + " " + HexFormat.of().formatHex(hasher.hashDiff(a))
                    + " " + HexFormat.of().formatHex(arrays.hashDiff(List.of(a))));
        }
        assertThat(strings(ds, "select coalesce(encode(hk, 'hex'), 'NULL') || ' ' || encode(hd, 'hex') || ' ' || encode(thd, 'hex')"
                + " from stg.nd order by id")).isEqualTo(java);

        Hub hub = vault.hub("dds.hub_nd").hashKey("hk").businessKey("a").from(stage);
        hub.createTable();
        assertThat(hub.load().rowsInserted()).isEqualTo(3);
    }
}
