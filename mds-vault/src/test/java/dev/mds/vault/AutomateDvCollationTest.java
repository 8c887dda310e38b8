package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.util.List;
import java.util.StringJoiner;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * AUTOMATEDV over columns of different collations. AutomateDV upper-cases each column on its own,
 * {@code NULLIF(UPPER(TRIM(CAST(c AS VARCHAR))), '')}, so each under its own collation: a {@code COLLATE "C"} column's
 * {@code é} stays {@code é} (only ASCII letters change under C), a default-collation column's becomes {@code É}.
 * The hashes must be AutomateDV's, and a hashdiff over columns of two non-default collations must compute.
 */
@MdsPostgres
class AutomateDvCollationTest {
    @Test
    void eachColumnIsUpperCasedUnderItsOwnCollationAsAutomateDvDoes(DataSource ds) {
        sql(ds, "create schema if not exists raw",
                "create table raw.coll (id int, a text collate \"C\", b text, c varchar(10) collate \"POSIX\", n int, d date,"
                        + " ld timestamptz default '2024-01-01Z')",
                "insert into raw.coll (id, a, b, c, n, d) values (1, 'éa', 'éb', 'éc', 7, '2024-01-02'),"
                        + " (2, null, ' ß ', 'x', null, null), (3, 'ÿ', null, null, -1, 'infinity')");
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage stage = Stage.of("raw.coll").into("stg.coll").loadDate("ld").recordSource("crm")
                .derived("a_up", "a || b")                              // C beats the default: a derived C column
                .hashKey("ab_hk", "a", "b").hashKey("ba_hk", "b", "a").hashKey("an_hk", "a", "n", "d")
                .hashKey("bd_hk", "b", "a_up")
                .hashDiff("abcn_hd", "n", "c", "b", "a").hashDiff("bnd_hd", "b", "n", "d");
        vault.createStage(stage);

        StringJoiner mds = new StringJoiner(" || ' ' || ", "select ", " from stg.coll order by id");
        StringJoiner adv = new StringJoiner(" || ' ' || ", "select ", " from (select *, a || b as a_up from raw.coll) as r order by id");
        for (String h : List.of("ab_hk", "ba_hk", "an_hk", "bd_hk", "abcn_hd", "bnd_hd")) {
            mds.add(hex(h));
        }
        adv.add(hex(key("a", "b"))).add(hex(key("b", "a"))).add(hex(key("a", "n", "d"))).add(hex(key("b", "a_up")))
                .add(hex(diff("a", "b", "c", "n"))).add(hex(diff("b", "d", "n")));
        assertThat(strings(ds, mds.toString())).isEqualTo(strings(ds, adv.toString()));
        // the default-collation column is upper-cased beyond ASCII, the C one is not: the two really differ here
        assertThat(strings(ds, "select upper(a) || upper(b) from raw.coll where id = 1")).containsExactly("éAÉB");

        // a key over columns of two collations other than the default: AutomateDV's NULLIF cannot tell which collation
        // to compare under and fails; mds compares bytes, as under any deterministic collation, and hashes each part as
        // AutomateDV would
        vault.createStage(Stage.of("raw.coll").into("stg.coll_ac").loadDate("ld").recordSource("crm").hashKey("ac_hk", "a", "c"));
        assertThat(strings(ds, "select " + hex("ac_hk") + " from stg.coll_ac order by id"))
                .isEqualTo(strings(ds, "select " + hex(key("a", "c").replace(", '^^||^^')", " COLLATE \"C\", '^^||^^')"))
                        + " from raw.coll order by id"));
        assertThatThrownBy(() -> strings(ds, "select " + hex(key("a", "c")) + " from raw.coll"))
                .hasMessageContaining("could not determine which collation");
    }

    /** Reading a derived column's collation does not evaluate it: a sequence it draws from is not advanced. */
    @Test
    void aDerivedColumnsCollationIsReadWithoutEvaluatingIt(DataSource ds) {
        sql(ds, "create schema if not exists raw", "create sequence raw.coll_seq",
                "create table raw.coll_seq_src (a text collate \"C\", ld timestamptz default '2024-01-01Z')");
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        vault.createStage(Stage.of("raw.coll_seq_src").into("stg.coll_seq").loadDate("ld").recordSource("crm")
                .derived("n", "nextval('raw.coll_seq')::text").hashKey("an_hk", "a", "n"));
        assertThat(strings(ds, "select is_called::text from raw.coll_seq")).containsExactly("false");
        // and the stage, which upper-cases each part on its own ("C" and the default), reads
        assertThat(strings(ds, "select count(an_hk)::text from stg.coll_seq")).containsExactly("0");
    }

    private static String hex(String bytes) {
        return "coalesce(encode(" + bytes + ", 'hex'), 'NULL')";
    }

    private static String standardise(String column) {
        return "COALESCE(NULLIF(UPPER(TRIM(CAST(\"" + column + "\" AS VARCHAR))), ''), '^^')";
    }

    /** AutomateDV's hash key over a list of columns. */
    private static String key(String... columns) {
        StringJoiner parts = new StringJoiner(",\n", "CONCAT_WS('||',\n", ")");
        StringJoiner allNull = new StringJoiner("||");
        for (String c : columns) {
            parts.add(standardise(c));
            allNull.add("^^");
        }
        return "DECODE(MD5(NULLIF(" + parts + ", '" + allNull + "')), 'hex')";
    }

    /** AutomateDV's hashdiff over columns already sorted by name. */
    private static String diff(String... columns) {
        StringJoiner parts = new StringJoiner(",\n", "CONCAT_WS('||',\n", ")");
        for (String c : columns) {
            parts.add(standardise(c));
        }
        return "DECODE(MD5(" + parts + "), 'hex')";
    }
}
