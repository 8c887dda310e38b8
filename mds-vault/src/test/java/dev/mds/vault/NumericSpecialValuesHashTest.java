package dev.mds.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A {@code numeric} column can hold {@code NaN}, {@code Infinity} and {@code -Infinity}, which pgjdbc reads as the
 * {@link Double} NaN and infinities (a {@code BigDecimal} cannot hold them). The stage hashes their text; the Java
 * Hasher must give the same bytes for the values pgjdbc hands the application.
 */
@MdsPostgres
class NumericSpecialValuesHashTest {

    /**
     * Under both standards, the Java Hasher of a numeric column hashes the values pgjdbc reads from the stage's
     * source (NaN, ±Infinity as Doubles, 1.50 as a BigDecimal) to the stage's bytes, as key and as hashdiff, in
     * an unconstrained numeric and in a numeric(12,2) (which holds NaN), and under CANONICAL as elements of a
     * numeric[] (given as the application gives single values). Before, it refused them: "column 'm' is
     * decimal, expected a BigDecimal value, got java.lang.Double".
     */
    @Test
    void nanAndInfinityAsPgjdbcReadsThemHashAsTheStageHashesThem(DataSource ds) throws Exception {
        TestSql.sql(ds, "CREATE SCHEMA raw",
                "CREATE TABLE raw.special (id int, m numeric, s numeric(12,2), a numeric[], ld date)",
                "INSERT INTO raw.special VALUES (1, 'NaN', 'NaN', '{NaN,1.5}', '2024-01-01'),"
                        + " (2, 'Infinity', 1.5, '{Infinity,-Infinity,NULL}', '2024-01-01'),"
                        + " (3, '-Infinity', -2.25, '{}', '2024-01-01'), (4, 1.50, 0, '{1.50}', '2024-01-01')");
        List<Object[]> read = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT m, s FROM raw.special ORDER BY id")) {
            while (rs.next()) {
                read.add(new Object[] {rs.getObject(1), rs.getObject(2)});
            }
        }
        assertThat(read.get(0)[0]).isEqualTo(Double.NaN);
        assertThat(read.get(1)[0]).isEqualTo(Double.POSITIVE_INFINITY);
        Schema schema = Schema.of(Field.of("m", FieldType.DECIMAL), Field.of("s", FieldType.decimal(12, 2)));
        HexFormat hex = HexFormat.of();
        for (HashStandard standard : HashStandard.values()) {
            String stage = "stg.special_" + standard.name().toLowerCase();
            Vault vault = Vault.on(ds).standard(standard);
            vault.createStage(Stage.of("raw.special").into(stage).loadDate("ld")
                    .hashKey("mk", "m").hashKey("sk", "s").hashDiff("hd", "m", "s"));
            List<String> sql = TestSql.strings(ds, "SELECT encode(mk, 'hex') || ' ' || encode(sk, 'hex') || ' '"
                    + " || encode(hd, 'hex') FROM " + stage + " ORDER BY id");
            Hasher m = vault.hasher(Schema.of(schema.fields().get(0)));
            Hasher s = vault.hasher(Schema.of(schema.fields().get(1)));
            Hasher both = vault.hasher(schema);
            List<String> java = new ArrayList<>();
            for (Object[] row : read) {
                java.add(hex.formatHex(m.hashKey(row[0]).orElseThrow()) + " " + hex.formatHex(s.hashKey(row[1]).orElseThrow())
                        + " " + hex.formatHex(both.hashDiff(row[0], row[1])));
            }
            assertThat(java).as(standard.name()).isEqualTo(sql);
        }
        // CANONICAL hashes arrays in Java too: a numeric[] holding them (pgjdbc cannot read such an array: "Bad value
        // for type BigDecimal : NaN"; an application gives the elements as it gives single values)
        List<List<Object>> arrays = List.of(Arrays.asList(Double.NaN, new BigDecimal("1.5")),
                Arrays.asList(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, null), List.of(), List.of(new BigDecimal("1.50")));
        Vault vault = Vault.on(ds);
        vault.createStage(Stage.of("raw.special").into("stg.special_array").loadDate("ld").hashDiff("ad", "a"));
        Hasher a = vault.hasher(Schema.of(Field.of("a", FieldType.arrayOf(FieldType.DECIMAL))));
        List<String> java = new ArrayList<>();
        for (List<Object> array : arrays) {
            java.add(hex.formatHex(a.hashDiff(array)));
        }
        assertThat(java).isEqualTo(TestSql.strings(ds, "SELECT encode(ad, 'hex') FROM stg.special_array ORDER BY id"));
    }
}
