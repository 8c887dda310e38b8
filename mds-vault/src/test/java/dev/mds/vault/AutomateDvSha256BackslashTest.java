package dev.mds.vault;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Row;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * AutomateDV's SHA-256 for PostgreSQL casts the hash input to bytea, which reads a backslash as an escape: a value
 * such as {@code b\x} fails the cast. mds renders the same SQL, so it fails too, and its error says where.
 */
@MdsPostgres
class AutomateDvSha256BackslashTest {
    @Test
    void aBackslashThatByteaCannotReadNamesTheStageColumnAndValue(DataSource ds) throws Exception {
        VaultFixtures.raw(ds, "raw.bs", Row.row("1", "a@x", "Ann", 30, VaultFixtures.day(1)),
                Row.row("2", "b\\x", "Bob", 40, VaultFixtures.day(1)));
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV).algorithm(HashAlgorithm.SHA256);
        Stage stage = Stage.of("raw.bs").into("stg.bs").loadDate("ld").recordSource("crm")
                .derived("mail", "lower(email)").hashKey("hk", "mail").hashDiff("hd", "name", "age");
        vault.createStage(stage);
        Hub hub = vault.hub("dds.hub_bs").hashKey("hk").businessKey("mail").from(stage);
        hub.createTable();
        assertThatThrownBy(hub::load).isInstanceOf(MdsException.class)
                .hasMessageContaining("hub dds.hub_bs: load failed: ERROR: invalid input syntax for type bytea")
                .hasMessageContaining("stage stg.bs (from raw.bs): column 'mail' (hashed into 'hk') holds a backslash: 'b\\x'")
                .hasMessageContaining("SHA256")
                .hasMessageContaining("HashStandard.CANONICAL");
        Stage table = stage.into("stg.bs_table").materialized(Stage.Materialization.TABLE);
        assertThatThrownBy(() -> vault.createStage(table)).isInstanceOf(MdsException.class)
                .hasMessageContaining("stage stg.bs_table (from raw.bs): creating it failed: ERROR: invalid input syntax for type bytea")
                .hasMessageContaining("column 'mail' (hashed into 'hk') holds a backslash: 'b\\x'");
    }
}
