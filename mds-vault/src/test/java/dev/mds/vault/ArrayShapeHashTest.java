package dev.mds.vault;

import static dev.mds.testing.TestSql.sql;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * CANONICAL hashes an array by its elements in order. PostgreSQL's arrays also have a shape: '{{1,2},{3,4}}',
 * '{1,2,3,4}', '{{1,2,3,4}}' and '[0:3]={1,2,3,4}' are four values no two of which are equal, and a satellite
 * must store a change from one to another.
 */
@MdsPostgres
class ArrayShapeHashTest {

    /**
     * Before, the four values hashed alike (unnest reads every element of every dimension), so a satellite of a
     * matrix reshaped without changing its elements kept its old row. The Java Hasher's one-dimensional lists
     * (arrays from 1, as pgjdbc reads them) still hash as the SQL does.
     */
    @Test
    void arraysOfOtherShapesWithTheSameElementsHashApartInSqlAndOneDimensionalOnesAsInJava(DataSource ds) {
        sql(ds, "create schema if not exists raw_shape",
                "create table raw_shape.m (id int, k text, v int[], ld timestamptz)",
                "insert into raw_shape.m values (1, 'a', '{{1,2},{3,4}}', '2024-01-01T00:00:00Z'),"
                        + " (2, 'a', '{1,2,3,4}', '2024-01-02T00:00:00Z'), (3, 'a', '{{1,2,3,4}}', '2024-01-03T00:00:00Z'),"
                        + " (4, 'a', '[0:3]={1,2,3,4}', '2024-01-04T00:00:00Z'), (5, 'a', '{}', '2024-01-05T00:00:00Z'),"
                        + " (6, 'a', '{{1,2},{3,4}}', '2024-01-06T00:00:00Z')");
        Vault vault = Vault.on(ds);
        Stage stage = Stage.of("raw_shape.m").into("raw_shape.stg").loadDate("ld").recordSource("t")
                .hashKey("k_hk", "k").hashDiff("hd", "v");
        vault.createStage(stage);
        assertThat(strings(ds, "select count(distinct hd) from raw_shape.stg")).containsExactly("5");
        Satellite sat = vault.satellite("raw_shape.sat").parent("k_hk").hashDiff("hd").payload("v").from(stage);
        sat.createTable();
        assertThat(sat.load().rowsInserted()).isEqualTo(6);
        assertThat(sat.load().rowsInserted()).isZero();

        Hasher hasher = vault.hasher(Schema.of(List.of(Field.of("v", FieldType.arrayOf(FieldType.INT)))));
        HexFormat hex = HexFormat.of();
        assertThat(strings(ds, "select encode(hd, 'hex') from raw_shape.stg where id in (2, 5) order by id")).containsExactly(
                hex.formatHex(hasher.hashDiff(List.of(1, 2, 3, 4))), hex.formatHex(hasher.hashDiff(List.of())));
    }
}
