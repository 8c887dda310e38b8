package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.util.HexFormat;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The order of a hashdiff's columns, as {@link Stage#hashDiff} documents it: under CANONICAL the order listed (kept
 * as it was, since sorting would change the hashdiffs vaults store), in SQL and in the Java {@link Hasher} alike;
 * under AUTOMATEDV sorted by name ignoring case, as AutomateDV's macro sorts them, so the order listed does not matter.
 */
@MdsPostgres
class HashDiffColumnOrderTest {
    private static final HexFormat HEX = HexFormat.of();

    private static String hashdiffs(DataSource ds, HashStandard standard, String raw) {
        Vault vault = Vault.on(ds).standard(standard);
        vault.createStage(Stage.of(raw).into("stg." + raw.substring(4) + "_" + standard.name().toLowerCase()).loadDate("ld")
                .hashDiff("name_first", "name", "Age").hashDiff("age_first", "Age", "name"));
        return strings(ds, "select encode(name_first, 'hex') || ' ' || encode(age_first, 'hex') from stg." + raw.substring(4)
                + "_" + standard.name().toLowerCase()).get(0);
    }

    @Test
    void canonicalHashesTheColumnsInTheOrderListedAndAutomateDvSortsThem(DataSource ds) {
        TableFixture.on(ds, "raw.hd_order").columns("name text", "\"Age\" int", "ld timestamptz").rows(row("Ann", 30, day(1)));
        String[] canonical = hashdiffs(ds, HashStandard.CANONICAL, "raw.hd_order").split(" ");
        assertThat(canonical[0]).isNotEqualTo(canonical[1]);
        Hasher nameFirst = Vault.on(ds).hasher(Schema.of(Field.of("name", FieldType.STRING), Field.of("Age", FieldType.INT)));
        assertThat(HEX.formatHex(nameFirst.hashDiff("Ann", 30))).isEqualTo(canonical[0]);

        String[] automate = hashdiffs(ds, HashStandard.AUTOMATEDV, "raw.hd_order").split(" ");
        assertThat(automate[0]).isEqualTo(automate[1]);
        Hasher listedOtherwise = Vault.on(ds).standard(HashStandard.AUTOMATEDV)
                .hasher(Schema.of(Field.of("name", FieldType.STRING), Field.of("Age", FieldType.INT)));
        assertThat(HEX.formatHex(listedOtherwise.hashDiff("Ann", 30))).isEqualTo(automate[0]);
    }
}
