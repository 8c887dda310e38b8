package dev.mds.vault;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The e-commerce vault of the pipeline we replay, on the real seed data (001-faker-vault). */
@MdsPostgres
class FakerVaultTest {
    static Path seed(String file) {
        return SeedData.file("001-faker-vault/" + file);
    }

    private static long count(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void buildsTheECommerceVaultFromTheFakerSeedDataAndReloadsNothing(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.faker_users").csv(seed("faker_users.csv"));
        TableFixture.on(ds, "raw.faker_products").csv(seed("faker_products.csv"));
        TableFixture.on(ds, "raw.faker_purchases").csv(seed("faker_purchases.csv"));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            // the Airbyte extraction time of the fixture (emitted_at 1669682107441)
            for (String t : List.of("faker_users", "faker_products", "faker_purchases")) {
                st.execute("alter table raw." + t + " add column _extracted_at timestamptz not null default to_timestamp(1669682107.441)");
            }
            st.execute("create view raw.faker_purchases_enriched as select p.*, u.email, pr.make || pr.model as brand_model"
                    + " from raw.faker_purchases p join raw.faker_users u on u.id = p.user_id"
                    + " join raw.faker_products pr on pr.id = p.product_id");
        }
        Vault vault = Vault.on(ds);
        Stage users = Stage.of("raw.faker_users").into("stg.users").recordSource("faker").loadDate("_extracted_at")
                .derived("updated", "updated_at::timestamptz").derived("age_years", "age::int")
                .hashKey("user_hk", "email").hashDiff("user_hashdiff", "name", "age_years", "title", "occupation");
        Stage products = Stage.of("raw.faker_products").into("stg.products").recordSource("faker").loadDate("_extracted_at")
                .derived("brand_model", "make || model").derived("created", "created_at::timestamptz")
                .hashKey("product_hk", "brand_model").hashDiff("product_hashdiff", "year", "price");
        Stage purchases = Stage.of("raw.faker_purchases_enriched").into("stg.purchases").recordSource("faker")
                .loadDate("_extracted_at").derived("purchased", "nullif(purchased_at, '')::timestamptz")
                .derived("added_to_cart", "nullif(added_to_cart_at, '')::timestamptz")
                .derived("returned", "nullif(returned_at, '')::timestamptz")
                .hashKey("user_hk", "email").hashKey("product_hk", "brand_model").hashKey("purchase_hk", "id", "email", "brand_model");
        for (Stage s : List.of(users, products, purchases)) {
            vault.createStage(s);
        }
        Hub hubUsers = vault.hub("dds.hub_users").hashKey("user_hk").businessKey("email").from(users);
        Hub hubProducts = vault.hub("dds.hub_products").hashKey("product_hk").businessKey("brand_model").from(products);
        Link link = vault.link("dds.link_purchases").hashKey("purchase_hk").refs("product_hk", "user_hk")
                .payload("purchased", "added_to_cart", "returned").from(purchases);
        Satellite satUsers = vault.satellite("dds.sat_users").parent("user_hk").hashDiff("user_hashdiff")
                .payload("name", "age_years", "title", "occupation").effectiveFrom("updated").from(users);
        Satellite satProducts = vault.satellite("dds.sat_products").parent("product_hk").hashDiff("product_hashdiff")
                .payload("year", "price").effectiveFrom("created").from(products);
        hubUsers.createTable();
        hubProducts.createTable();
        link.createTable();
        satUsers.createTable();
        satProducts.createTable();
        List<Long> first = new ArrayList<>();
        for (var load : List.<java.util.function.Supplier<LoadResult>>of(hubUsers::load, hubProducts::load, link::load,
                satUsers::load, satProducts::load)) {
            first.add(load.get().rowsInserted());
        }
        long distinctModels = count(ds, "select count(distinct make || model) from raw.faker_products");
        assertThat(first).containsExactly(10L, distinctModels, 14L, 10L, distinctModels);
        for (var load : List.<java.util.function.Supplier<LoadResult>>of(hubUsers::load, hubProducts::load, link::load,
                satUsers::load, satProducts::load)) {
            assertThat(load.get().rowsInserted()).isZero();
        }
        assertThat(count(ds, "select count(*) from dds.link_purchases l join dds.hub_users u using (user_hk)"
                + " join dds.hub_products p using (product_hk)")).isEqualTo(14);
        assertThat(count(ds, "select count(*) from dds.link_purchases where purchased is null")).isEqualTo(3);
        assertThatTable(ds, "dds.sat_users").column("record_source").containsOnly("faker");

        // the Java Hasher gives the hub's keys
        Hasher emails = vault.hasher(Schema.of(Field.of("email", FieldType.STRING)));
        byte[] expected = emails.hashKey("locations1983@protonmail.com").orElseThrow();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select user_hk from dds.hub_users where email = 'locations1983@protonmail.com'")) {
            rs.next();
            assertThat(rs.getBytes(1)).isEqualTo(expected);
        }
    }
}
