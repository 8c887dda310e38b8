package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.testing.TestSql.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TableFixture;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** What a demanding AutomateDV user tries to break: hostile names and values, odd payload types, races. */
@MdsPostgres
class VaultAdversarialTest {
    private static final HexFormat HEX = HexFormat.of();

    /**
     * AutomateDV hashes a single-column key without CONCAT_WS, so a real '^^' is a value there (only a composite
     * key of '^^' parts is NULL). The Java Hasher took a single '^^' for NULL.
     */
    @Test
    void automateDvSingleKeyOfCaretsIsHashedInJavaAsInSql(DataSource ds) throws Exception {
        OffsetDateTime ld = OffsetDateTime.parse("2024-01-01T00:00:00Z");
        TableFixture.on(ds, "raw.carets").columns("id int", "k text", "ld timestamptz")
                .rows(row(1, "^^", ld), row(2, " ^^ ", ld), row(3, "^^||^^", ld));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        vault.createStage(Stage.of("raw.carets").into("stg.carets").loadDate("ld").hashKey("hk", "k"));
        Hasher java = vault.hasher(Schema.of(Field.of("k", FieldType.STRING)));
        List<String> sql = strings(ds, "select coalesce(encode(hk, 'hex'), 'NULL') from stg.carets order by id");
        assertThat(sql).containsExactly("ea01662a5bcbe94a3236d555bbcb3da3", "ea01662a5bcbe94a3236d555bbcb3da3",
                java.hashKey("^^||^^").map(HEX::formatHex).orElse("NULL"));
        assertThat(java.hashKey("^^").map(HEX::formatHex)).contains(sql.get(0));
        assertThat(java.hashKey(" ^^ ").map(HEX::formatHex)).contains(sql.get(1));
    }
}
