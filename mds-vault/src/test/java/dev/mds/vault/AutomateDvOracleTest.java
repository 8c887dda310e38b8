package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * AUTOMATEDV against AutomateDV's own SQL for PostgreSQL, written out here as its macros render it
 * ({@code hash}, {@code standard_column_wrapper}, {@code null_expression}, {@code select_hash_alg}, {@code concat_ws}),
 * over columns of many types holding NULLs, empty and blank strings, outer spaces, tabs, the placeholder and the
 * delimiter, letters beyond ASCII, and numbers and times in several spellings: every hash key (one column, several)
 * and hashdiff (several columns, given unsorted) of the stage equals AutomateDV's.
 */
@MdsPostgres
class AutomateDvOracleTest {
    private static final List<String> COLUMNS = List.of("t text", "v varchar(8)", "c char(6)", "i int", "b bigint",
            "n numeric", "d numeric(10,2)", "r real", "f float8", "o boolean", "dt date", "tm time", "tz timetz",
            "ts timestamp(3)", "tt timestamptz", "j json", "jb jsonb", "by bytea", "u uuid", "ta text[]", "ia int[]",
            "iv interval", "ip inet", "m money", "e mood", "\"Mixed Case\" text");

    @Test
    void everyHashOfTheStageIsAutomateDvsOverManyTypesAndTrickyValues(DataSource ds) throws Exception {
        sql(ds, "create type mood as enum ('sad', 'ok', 'Happy')", "create schema if not exists raw");
        StringJoiner defs = new StringJoiner(", ", "create table raw.oracle (id int, ", ", ld timestamptz default '2024-01-01Z')");
        COLUMNS.forEach(defs::add);
        sql(ds, defs.toString());
        sql(ds, "insert into raw.oracle (id) values (0)",
                "insert into raw.oracle values (1, '', '', '', 0, 0, 0, 0, 0, 0, false, '2024-01-01', '00:00', '00:00+00',"
                        + " '2024-01-01 00:00', '2024-01-01 00:00Z', '\"\"', '\"\"', '', '00000000-0000-0000-0000-000000000000',"
                        + " '{}', '{}', '0', '0.0.0.0', 0, 'sad', '')",
                "insert into raw.oracle values (2, '  ', ' a ', ' a', -1, 9007199254740993, 1.50, 1.5, 'NaN', 1e-7, true,"
                        + " 'infinity', '24:00', '23:59:59.999999-14:30', '2024-02-29 12:34:56.789', '-infinity',"
                        + " ' {\"b\": 1,  \"a\": [1, 2]} ', '{\"b\": 1, \"a\": null}', '\\x00ff', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',"
                        + " '{\" x \", null, \"\"}', '{1, null}', '1 day -01:00', '::1/128', -1234.56, 'Happy', 'Ümlaut straße')",
                "insert into raw.oracle values (3, '^^', '||', '^^||^^', 2147483647, -9223372036854775808, 1e20, -0.001,"
                        + " 'Infinity', '-Infinity', null, '0001-01-01 BC', '12:00:00.5', null, '294276-12-31 23:59:59.999',"
                        + " '1970-01-01 00:00:00.000001+05:45', 'null', '[]', '\\x', null, '{{a,b},{c,d}}', '[0:1]={7,8}',"
                        + " '-1 mons', '10.0.0.0/8', null, 'ok', e'\\ttab\\t')",
                "insert into raw.oracle values (4, 'a||b', 'ǆ ß ﬁ', 'éa', null, null, 'NaN', null, 1.23456789,"
                        + " 3.141592653589793, null, null, null, null, null, null, null, null, null, null, null, null, null,"
                        + " null, null, null, 'Ǆ')");
        for (HashAlgorithm alg : HashAlgorithm.values()) {
            List<String> names = new ArrayList<>();
            for (String c : COLUMNS) {
                names.add(c.startsWith("\"") ? c.substring(1, c.lastIndexOf('"')) : c.substring(0, c.indexOf(' ')));
            }
            if (alg == HashAlgorithm.SHA256) {
                names.remove("by");     // bytea's text starts with a backslash, which SHA-256's cast to bytea reads as an escape
            }
            List<String> reversed = new ArrayList<>(names);
            java.util.Collections.reverse(reversed);
            Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV).algorithm(alg);
            Stage stage = Stage.of("raw.oracle").into("stg.oracle").loadDate("ld")
                    .hashKey("all_hk", names.toArray(String[]::new))
                    .hashKey("pair_hk", "t", "v")
                    .hashDiff("all_hd", reversed.toArray(String[]::new));
            for (int i = 0; i < names.size(); i++) {
                stage = stage.hashKey("k" + i, names.get(i)).hashDiff("d" + i, names.get(i));
            }
            vault.createStage(stage);
            StringJoiner mds = new StringJoiner(" || ' ' || ", "select ", " from stg.oracle order by id");
            StringJoiner adv = new StringJoiner(" || ' ' || ", "select ", " from raw.oracle order by id");
            mds.add(hex("all_hk")).add(hex("pair_hk")).add(hex("all_hd"));
            adv.add(hex(key(alg, names))).add(hex(key(alg, List.of("t", "v")))).add(hex(diff(alg, names)));
            for (int i = 0; i < names.size(); i++) {
                mds.add(hex("k" + i)).add(hex("d" + i));
                adv.add(hex(key(alg, List.of(names.get(i))))).add(hex(diff(alg, List.of(names.get(i)))));
            }
            assertThat(strings(ds, mds.toString())).as("%s", alg).isEqualTo(strings(ds, adv.toString()));
        }
    }

    private static String hex(String bytes) {
        return "coalesce(encode(" + bytes + ", 'hex'), 'NULL')";
    }

    private static String quote(String column) {
        return "\"" + column + "\"";
    }

    /** {@code NULLIF(UPPER(TRIM(CAST(c AS VARCHAR))), '')}. */
    private static String standardise(String column) {
        return "NULLIF(UPPER(TRIM(CAST(" + quote(column) + " AS VARCHAR))), '')";
    }

    private static String alg(HashAlgorithm alg, String input) {
        return alg == HashAlgorithm.MD5 ? "DECODE(MD5(" + input + "), 'hex')" : "SHA256(CAST(" + input + " AS BYTEA))";
    }

    /** A hash key: one column as a string, several as a list. */
    private static String key(HashAlgorithm alg, List<String> columns) {
        if (columns.size() == 1) {
            return alg(alg, standardise(columns.get(0)));
        }
        StringJoiner parts = new StringJoiner(",\n", "CONCAT_WS('||',\n", ")");
        StringJoiner allNull = new StringJoiner("||");
        for (String c : columns) {
            parts.add("COALESCE(" + standardise(c) + ", '^^')");
            allNull.add("^^");
        }
        return alg(alg, "NULLIF(" + parts + ", '" + allNull + "')");
    }

    /** A hashdiff over a list of columns, sorted as Jinja's sort filter sorts them (ignoring case). */
    private static String diff(HashAlgorithm alg, List<String> columns) {
        List<String> sorted = new ArrayList<>(columns);
        sorted.sort((a, b) -> a.toLowerCase(Locale.ROOT).compareTo(b.toLowerCase(Locale.ROOT)));
        if (sorted.size() == 1) {
            return alg(alg, "COALESCE(" + standardise(sorted.get(0)) + ", '^^')");
        }
        StringJoiner parts = new StringJoiner(",\n", "CONCAT_WS('||',\n", ")");
        for (String c : sorted) {
            parts.add("COALESCE(" + standardise(c) + ", '^^')");
        }
        return alg(alg, parts.toString());
    }
}
