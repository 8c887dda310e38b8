package dev.mds.examples.vault;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.Schema;
import dev.mds.examples.Queries;
import dev.mds.examples.Tables;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestDatabase;
import dev.mds.vault.HashStandard;
import dev.mds.vault.Hub;
import dev.mds.vault.LoadResult;
import dev.mds.vault.Satellite;
import dev.mds.vault.Stage;
import dev.mds.vault.TransactionalLink;
import dev.mds.vault.Vault;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;

/**
 * Replays the e-commerce Data Vault of {@code Katrindenek/Cloud-Data-Vault-with-dbt-and-Airbyte} (built there
 * with dbt and AutomateDV) on the Faker seed data: hub_users (from email), hub_products (from the product id, as
 * the project's final {@code hub_products} has it: the 100 products have only 93 distinct makes and models),
 * link_purchases (a transactional link keyed by user, product and purchase time, as the project's t_link; its
 * user_hk is the email's, where the project's hashed the user's id, which no hub holds), sat_users (hashdiff and
 * payload as the project's: every attribute of a user, so a changed telephone or weight is a new version) and
 * sat_products, hashed as AutomateDV hashes ({@code HashStandard.AUTOMATEDV}), so its keys are the project's. Run it
 * with
 * {@code java -cp mds-examples/target/mds-examples.jar dev.mds.examples.vault.FakerVault}.
 */
public final class FakerVault {
    private FakerVault() {
    }

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
             TestDatabase db = server.createDatabase("vault")) {
            build(db.dataSource(), System.out);
        }
    }

    /**
     * Loads the seed CSVs into {@code raw}, builds the vault in {@code dds}, loads it twice and prints it. Idempotent: on
     * a database where it ran before, it reloads {@code raw} and leaves the vault as the first build made it.
     */
    public static void build(DataSource ds, PrintStream out) throws SQLException {
        // a second build on the same database reloads raw, whose tables the views of an earlier build read: drop the
        // views first (createStage makes them again); the vault's tables stay, and its loads insert nothing new
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("drop view if exists stg.users, stg.products, stg.purchases, raw.faker_purchases_enriched");
        }
        TableFixture.on(ds, "raw.faker_users").csv(SeedData.file("001-faker-vault/faker_users.csv"));
        TableFixture.on(ds, "raw.faker_products").csv(SeedData.file("001-faker-vault/faker_products.csv"));
        TableFixture.on(ds, "raw.faker_purchases").csv(SeedData.file("001-faker-vault/faker_purchases.csv"));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            // Airbyte stamps each record with its extraction time; the fixture's is 1669682107441 ms
            for (String t : List.of("faker_users", "faker_products", "faker_purchases")) {
                st.execute("alter table raw." + t + " add column _extracted_at timestamptz not null default to_timestamp(1669682107.441)");
            }
            // a purchase names its user by id; the users' hub is keyed by email
            st.execute("create view raw.faker_purchases_enriched as select p.*, u.email"
                    + " from raw.faker_purchases p join raw.faker_users u on u.id = p.user_id");
        }

        // the project's vault is AutomateDV's on PostgreSQL: the same hash keys and hashdiffs (MD5 of the values' text)
        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage users = Stage.of("raw.faker_users").into("stg.users").recordSource("faker").loadDate("_extracted_at")
                .derived("updated", "updated_at::timestamptz").derived("age_years", "age::int")
                .hashKey("user_hk", "email")
                // v_stg_users.sql's USER_HASHDIFF: every attribute Airbyte's faker may change, updated_at included
                // (of the columns as they landed, text, so no hash depends on the session's TimeZone)
                .hashDiff("user_hashdiff", "age", "name", "title", "gender", "height", "weight", "language",
                        "telephone", "blood_type", "occupation", "nationality", "academic_degree", "updated_at");
        Stage products = Stage.of("raw.faker_products").into("stg.products").recordSource("faker").loadDate("_extracted_at")
                .derived("product_id", "id").derived("created", "created_at::timestamptz")
                .hashKey("product_hk", "product_id").hashDiff("product_hashdiff", "make", "model", "year", "price");
        Stage purchases = Stage.of("raw.faker_purchases_enriched").into("stg.purchases").recordSource("faker")
                .loadDate("_extracted_at").derived("purchased", "nullif(purchased_at, '')::timestamptz")
                .derived("added_to_cart", "nullif(added_to_cart_at, '')::timestamptz")
                .derived("returned", "nullif(returned_at, '')::timestamptz")
                .hashKey("user_hk", "email").hashKey("product_hk", "product_id")
                // v_stg_purchases.sql's PURCHASE_HK: one purchase is a user's product at a time
                .hashKey("purchase_hk", "user_id", "product_id", "purchased_at");
        // shown before it runs (once created and up to date, a stage view needs no statement)
        String usersView = vault.stageSql(users).stream().filter(sql -> sql.startsWith("CREATE VIEW")).findFirst().orElse(
                "(stg.users is up to date)");
        for (Stage s : List.of(users, products, purchases)) {
            vault.createStage(s);
        }
        out.println("-- the stage view stg.users, as mds creates it:");
        out.println(usersView);

        Hub hubUsers = vault.hub("dds.hub_users").hashKey("user_hk").businessKey("email").from(users);
        Hub hubProducts = vault.hub("dds.hub_products").hashKey("product_hk").businessKey("product_id").from(products);
        // link_purchases.sql: a transactional link (AutomateDV's t_link), effective from the purchase
        TransactionalLink link = vault.transactionalLink("dds.link_purchases").hashKey("purchase_hk")
                .refs("user_hk", "product_hk").payload("purchased", "added_to_cart", "returned")
                .effectiveFrom("purchased").from(purchases);
        Satellite satUsers = vault.satellite("dds.sat_users").parent("user_hk").hashDiff("user_hashdiff")
                .payload("age_years", "name", "email", "title", "gender", "height", "weight", "language", "telephone",
                        "blood_type", "occupation", "nationality", "academic_degree", "created_at", "updated_at")
                .effectiveFrom("updated").from(users);
        Satellite satProducts = vault.satellite("dds.sat_products").parent("product_hk").hashDiff("product_hashdiff")
                .payload("make", "model", "year", "price").effectiveFrom("created").from(products);
        hubUsers.createTable();
        hubProducts.createTable();
        link.createTable();
        satUsers.createTable();
        satProducts.createTable();
        out.println("\n-- the satellite load, as mds runs it:");
        out.println(String.join(";\n", satUsers.sql()));

        for (int pass = 1; pass <= 2; pass++) {
            out.println();
            out.println("load " + pass + (pass == 2 ? " (the same data again: nothing to insert)" : ""));
            for (LoadResult r : List.of(hubUsers.load(), hubProducts.load(), link.load(), satUsers.load(), satProducts.load())) {
                out.printf("  %-22s %3d rows inserted in %d ms%n", r.structure(), r.rowsInserted(), r.elapsed().toMillis());
                if (pass == 2 && r.rowsInserted() != 0) {
                    throw new IllegalStateException(r.structure() + ": loading the same data again inserted "
                            + r.rowsInserted() + " rows");
                }
            }
        }
        for (String t : List.of("dds.hub_users", "dds.hub_products", "dds.link_purchases", "dds.sat_users")) {
            Tables.print(ds, t, out);
        }
        Tables.query(ds, "dds.sat_products (first 10)", "select * from dds.sat_products order by product_hk limit 10", out);

        // the hash key of a user, computed in Java, is the one the SQL stored in the hub
        String email = "locations1983@protonmail.com";
        byte[] hk = vault.hasher(Schema.of(Field.of("email", FieldType.STRING))).hashKey(email).orElseThrow();
        String hex = "\\x" + HexFormat.of().formatHex(hk);
        Tables.query(ds, "dds.hub_users for " + email, "select user_hk, email from dds.hub_users where email = "
                + Identifiers.literal(email), out);
        if (Queries.value(ds, "select count(*) from dds.hub_users where email = " + Identifiers.literal(email)
                + " and user_hk = " + Identifiers.literal(hex) + "::bytea") != 1) {
            throw new IllegalStateException("dds.hub_users holds no user_hk " + hex + " for " + email
                    + ", the key the Java Hasher gives");
        }
        out.println("the Java Hasher gives user_hk of " + email + " as " + hex + ", the same bytes as the SQL in dds.hub_users");
    }
}
