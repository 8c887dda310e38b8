package dev.mds.vault;

import static dev.mds.testing.TestSql.strings;
import static dev.mds.vault.FakerVaultReloadTest.automateDiff;
import static dev.mds.vault.FakerVaultReloadTest.automateKey;
import static dev.mds.vault.FakerVaultReloadTest.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The AutomateDV models of the project the faker seed data stands in for (Katrindenek/Cloud-Data-Vault-with-dbt-and-Airbyte:
 * v_stg_users, v_stg_products, v_stg_purchases, hub_users, sat_users, sat_products, link_purchases as a t_link), as an
 * AUTOMATEDV vault writes them: derived load date, record source and effective-from, hashdiffs listed unsorted with
 * underscores in the names, a hashdiff of one column in a list, a timestamptz in a key, and sat_products storing the
 * stage's {@code product_hashdiff} as {@code hashdiff} (AutomateDV's {@code src_hashdiff} alias). The stage hashes equal
 * AutomateDV's SQL for PostgreSQL; the loads and a re-load store what AutomateDV's would.
 */
@MdsPostgres
class KatrindenekVaultTest {
    @Test
    void theProjectsAutomateDvModelsOverTheFakerSeedHashAndLoadAsAutomateDvDoes(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.users").csv(SeedData.file("001-faker-vault/faker_users.csv"));
        TableFixture.on(ds, "raw.products").csv(SeedData.file("001-faker-vault/faker_products.csv"));
        TableFixture.on(ds, "raw.purchases").csv(SeedData.file("001-faker-vault/faker_purchases.csv"));
        // Airbyte's normalised columns: timestamps as timestamptz, numbers as numbers
        sql(ds, "alter table raw.purchases alter purchased_at type timestamptz using nullif(purchased_at, '')::timestamptz,"
                + " alter returned_at type timestamptz using nullif(returned_at, '')::timestamptz,"
                + " alter added_to_cart_at type timestamptz using nullif(added_to_cart_at, '')::timestamptz");
        sql(ds, "alter table raw.users alter age type int using age::int, alter height type numeric using height::numeric,"
                + " alter weight type int using weight::int, alter updated_at type timestamptz using updated_at::timestamptz,"
                + " alter created_at type timestamptz using created_at::timestamptz");
        sql(ds, "alter table raw.products alter year type int using year::int, alter price type int using price::int,"
                + " alter created_at type timestamptz using created_at::timestamptz");

        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV).timeZone(java.time.ZoneOffset.UTC);
        Stage users = Stage.of("raw.users").into("stg.v_stg_users")
                .derived("load_date", "('2022-11-29')::DATE").derived("record_source", "'AIRBYTE_SAMPLE_DATA'")
                .derived("effective_from", "created_at").loadDate("load_date").recordSourceColumn("record_source")
                .hashKey("user_hk", "email")
                .hashDiff("user_hashdiff", "age", "name", "title", "gender", "height", "weight", "language", "telephone",
                        "blood_type", "occupation", "nationality", "academic_degree", "updated_at");
        Stage products = Stage.of("raw.products").into("stg.v_stg_products")
                .derived("load_date", "('2022-11-29 00:35:07')::TIMESTAMP").derived("record_source", "'AIRBYTE_SAMPLE_DATA'")
                .derived("effective_from", "created_at").derived("brand_model", "make || '_' || model")
                .loadDate("load_date").recordSourceColumn("record_source")
                .hashKey("product_hk", "id").hashDiff("product_hashdiff", "make", "year", "model", "price");
        Stage purchases = Stage.of("raw.purchases").into("stg.v_stg_purchases")
                .derived("load_date", "('2022-11-29')::DATE").derived("record_source", "'AIRBYTE_SAMPLE_DATA'")
                .derived("effective_from", "purchased_at").loadDate("load_date").recordSourceColumn("record_source")
                .hashKey("purchase_hk", "user_id", "product_id", "purchased_at").hashKey("user_hk", "user_id")
                .hashKey("product_hk", "product_id").hashDiff("purchase_hashdiff", "returned_at");
        for (Stage s : List.of(users, products, purchases)) {
            vault.createStage(s);
        }

        assertThat(strings(ds, "select encode(user_hk, 'hex') || encode(user_hashdiff, 'hex') from stg.v_stg_users order by id"))
                .isEqualTo(strings(ds, "select encode(" + automateKey("email") + ", 'hex') || encode(" + automateDiff("academic_degree",
                        "age", "blood_type", "gender", "height", "language", "name", "nationality", "occupation", "telephone",
                        "title", "updated_at", "weight") + ", 'hex') from raw.users order by id"));
        assertThat(strings(ds, "select encode(product_hk, 'hex') || encode(product_hashdiff, 'hex') from stg.v_stg_products order by id"))
                .isEqualTo(strings(ds, "select encode(" + automateKey("id") + ", 'hex') || encode("
                        + automateDiff("make", "model", "price", "year") + ", 'hex') from raw.products order by id"));
        // purchased_at is a timestamptz: both sides read in this session's TimeZone (the vault's loads hash in UTC)
        assertThat(strings(ds, "select encode(purchase_hk, 'hex') || coalesce(encode(user_hk, 'hex'), '') || encode(purchase_hashdiff, 'hex')"
                + " from stg.v_stg_purchases order by id"))
                .isEqualTo(strings(ds, "select encode(" + automateKey("user_id", "product_id", "purchased_at") + ", 'hex') || coalesce(encode("
                        + automateKey("user_id") + ", 'hex'), '') || encode(" + automateDiff("returned_at") + ", 'hex')"
                        + " from raw.purchases order by id"));

        Hub hubUsers = vault.hub("dds.hub_users").hashKey("user_hk").businessKey("email").from(users);
        Satellite satUsers = vault.satellite("dds.sat_users").parent("user_hk").hashDiff("user_hashdiff")
                .payload("age", "name", "title", "gender", "height", "weight", "language", "telephone", "blood_type",
                        "occupation", "nationality", "academic_degree", "updated_at").effectiveFrom("effective_from").from(users);
        Satellite satProducts = vault.satellite("dds.sat_products").parent("product_hk")
                .hashDiff("hashdiff", "product_hashdiff")      // src_hashdiff: {source_column: PRODUCT_HASHDIFF, alias: HASHDIFF}
                .payload("make", "year", "model", "price", "created_at").effectiveFrom("effective_from").from(products);
        TransactionalLink link = vault.transactionalLink("dds.link_purchases").hashKey("purchase_hk").refs("user_hk", "product_hk")
                .payload("purchased_at", "added_to_cart_at", "returned_at").effectiveFrom("effective_from").from(purchases);
        List<Structure> all = List.of(hubUsers, satUsers, satProducts, link);
        for (Structure s : all) {
            s.createTable();
        }
        for (Structure s : all) {
            s.load();
        }
        assertThat(strings(ds, "select (select count(*) from dds.hub_users) || ' ' || (select count(*) from dds.sat_users)"
                + " || ' ' || (select count(*) from dds.sat_products) || ' ' || (select count(*) from dds.link_purchases)"))
                .containsExactly("10 10 100 14");
        assertThat(strings(ds, "select count(*) from dds.sat_products s join stg.v_stg_products g"
                + " on g.product_hk = s.product_hk and g.product_hashdiff = s.hashdiff")).containsExactly("100");
        for (Structure s : all) {
            assertThat(s.load().rowsInserted()).as(s.name()).isZero();
        }
    }
}
