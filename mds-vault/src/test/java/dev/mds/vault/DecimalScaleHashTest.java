package dev.mds.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Row;
import dev.mds.testing.TableFixture;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The Java Hasher hashes what the column will hold: a value with more decimals than a numeric(p,s) column is
 * rounded by PostgreSQL when it is stored (half away from zero), and the SQL hashes the stored value.
 */
@MdsPostgres
class DecimalScaleHashTest {

    /**
     * Under both standards a hasher of a decimal(12,2) column gives, for 1.005, -2.345, 19.999 and 7.1 as the
     * application has them, the hashes the stage computes from the stored 1.01, -2.35, 20.00 and 7.10 (and for a
     * numeric(12,2)[] element likewise). Before, CANONICAL hashed 1.005 as written (AUTOMATEDV already rounded), so
     * a key computed in Java before the load matched no key in the vault.
     */
    @Test
    void aValueWithMoreDecimalsThanTheColumnHashesAsTheColumnStoresIt(DataSource ds) {
        List<BigDecimal> given = List.of(new BigDecimal("1.005"), new BigDecimal("-2.345"), new BigDecimal("19.999"),
                new BigDecimal("7.1"));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            rows.add(Row.row(i, given.get(i), LocalDate.of(2024, 1, 1)));
        }
        TableFixture.on(ds, "raw.rounded").columns("id int", "m numeric(12,2)", "ld date").rows(rows.toArray(Row[]::new));
        Schema schema = Schema.of(Field.of("m", FieldType.decimal(12, 2)));
        HexFormat hex = HexFormat.of();
        for (HashStandard standard : HashStandard.values()) {
            Vault vault = Vault.on(ds).standard(standard);
            vault.createStage(Stage.of("raw.rounded").into("stg.rounded_" + standard.name().toLowerCase())
                    .loadDate("ld").hashKey("mk", "m").hashDiff("md", "m"));
            List<String> sql = dev.mds.testing.TestSql.strings(ds, "select encode(mk, 'hex') || ' ' || encode(md, 'hex') from stg.rounded_"
                    + standard.name().toLowerCase() + " order by id");
            Hasher hasher = vault.hasher(schema);
            List<String> java = new ArrayList<>();
            for (BigDecimal v : given) {
                java.add(hex.formatHex(hasher.hashKey(v).orElseThrow()) + " " + hex.formatHex(hasher.hashDiff(v)));
            }
            assertThat(java).as(standard.name()).isEqualTo(sql);
        }
        Hasher arrays = Vault.on(ds).hasher(Schema.of(Field.of("a", FieldType.arrayOf(FieldType.decimal(12, 2)))));
        assertThat(arrays.hashDiff(List.of(new BigDecimal("1.005")))).isEqualTo(arrays.hashDiff(List.of(new BigDecimal("1.01"))));
    }
}
