package dev.mds.examples;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.examples.vault.FakerVault;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestSql;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TimeZone;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the Faker vault holds, compared with the seed files (001-faker-vault: 10 users, 100 products, 14 purchases). */
@MdsPostgres
class FakerVaultTest {
    @Test
    void everyProductKeepsItsOwnYearAndPriceAndEachPurchaseItsProduct(DataSource ds) throws Exception {
        FakerVault.build(ds, new PrintStream(OutputStream.nullOutputStream()));

        // purchase 8 bought product 67
        assertThat(TestSql.strings(ds, "select s.year || ' ' || s.price from raw.faker_purchases p"
                + " join stg.purchases l on l.id = p.id join dds.sat_products s on s.product_hk = l.product_hk"
                + " where p.id = '8'")).containsExactly("2005 73572");
        // 100 products, 93 distinct make || model: Toyota Tacoma is product 32 (2003, 73558) and 67 (2005, 73572)
        assertThatTable(ds, "dds.hub_products").hasRowCount(100);
        assertThatTable(ds, "dds.sat_products").hasRowCount(100);
        // SOURCE.md: "the 100 product prices sum to 4,494,201"
        assertThat(TestSql.strings(ds, "select sum(price::numeric) from dds.sat_products")).containsExactly("4494201");
        assertThatTable(ds, "dds.link_purchases").hasRowCount(14);
        assertThatTable(ds, "dds.hub_users").hasRowCount(10);
    }

    @Test
    void theTimesItPrintsAreTheSeedsInstantsWhateverTheMachinesTimeZone(DataSource ds) throws Exception {
        // Airbyte's extraction time of the seed rows, 1669682107441 ms: 2022-11-29 00:35:07.441 UTC, 09:35:07.441 in Tokyo
        TimeZone zone = TimeZone.getDefault();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("Asia/Tokyo"));
            FakerVault.build(ds, new PrintStream(out, true, StandardCharsets.UTF_8));
        } finally {
            TimeZone.setDefault(zone);
        }
        String hub = out.toString(StandardCharsets.UTF_8);
        hub = hub.substring(hub.indexOf("dds.hub_users ("), hub.indexOf("dds.hub_products ("));
        assertThat(hub).contains("| 2022-11-29T00:35:07.441Z |").doesNotContain("09:35:07");
    }

    @Test
    void buildingTheVaultTwiceOnTheSameDatabaseGivesTheSameVault(DataSource ds) throws Exception {
        FakerVault.build(ds, new PrintStream(OutputStream.nullOutputStream()));
        List<String> first = vault(ds);

        FakerVault.build(ds, new PrintStream(OutputStream.nullOutputStream()));

        assertThat(vault(ds)).isEqualTo(first);
        assertThatTable(ds, "dds.hub_users").hasRowCount(10);
        assertThatTable(ds, "dds.link_purchases").hasRowCount(14);
    }

    @Test
    void aBuildRunAgainAfterOneThatStoppedMidwayGivesTheVaultOfACleanBuild(DataSource ds, @TempDir Path seed)
            throws Exception {
        // a first build stops after the hubs and the link are loaded: user 1's updated_at is no time, and the users'
        // satellite (effective from it) is the first load that reads it
        Files.createDirectories(seed.resolve("001-faker-vault"));
        for (String f : List.of("001-faker-vault/faker_products.csv", "001-faker-vault/faker_purchases.csv")) {
            Files.copy(SeedData.file(f), seed.resolve(f));
        }
        ExamplesTest.seedFile(seed, "001-faker-vault/faker_users.csv", "2012-07-02T08:32:31+00:00", "not a time");
        assertThatThrownBy(() -> ExamplesTest.withSeedData(seed, () -> FakerVault.build(ds, quiet())))
                .hasMessageContaining("not a time");
        assertThatTable(ds, "dds.hub_users").hasRowCount(10);

        FakerVault.build(ds, quiet());   // run again, on the real seed
        List<String> resumed = vault(ds);
        TestSql.sql(ds, "drop schema dds, stg, raw cascade");
        FakerVault.build(ds, quiet());

        assertThat(resumed).isEqualTo(vault(ds));
    }

    private static PrintStream quiet() {
        return new PrintStream(OutputStream.nullOutputStream());
    }

    @Test
    void aUsersSatelliteSeesEveryAttributeTheProjectsHashdiffCovers(DataSource ds) throws Exception {
        FakerVault.build(ds, new PrintStream(OutputStream.nullOutputStream()));

        // v_stg_users.sql hashes AGE, NAME, TITLE, GENDER, HEIGHT, WEIGHT, LANGUAGE, TELEPHONE, BLOOD_TYPE, OCCUPATION,
        // NATIONALITY, ACADEMIC_DEGREE and UPDATED_AT into USER_HASHDIFF; sat_users.sql stores them with EMAIL and CREATED_AT
        assertThat(TestSql.strings(ds, "select column_name from information_schema.columns"
                + " where table_schema = 'dds' and table_name = 'sat_users'")).contains("email", "gender", "height",
                "weight", "language", "telephone", "blood_type", "occupation", "nationality", "academic_degree",
                "created_at", "updated_at");
        // Airbyte's always_updated changes a user's telephone and weight and stamps updated_at: each of those, and every
        // other hashed attribute, changes the user's hashdiff, so the next satellite load keeps the new version
        for (String change : List.of("telephone = '555-0100'", "weight = '99'", "gender = 'Other'", "height = '1.99'",
                "language = 'Zulu'", "blood_type = 'O+'", "nationality = 'Kenyan'", "academic_degree = 'PhD'",
                "updated_at = '2022-11-28T10:00:00+00:00'")) {
            TestSql.sql(ds, "update raw.faker_users set " + change + " where id = '1'");
            assertThat(TestSql.strings(ds, "select (g.user_hashdiff = s.user_hashdiff)::text from stg.users g"
                    + " join dds.sat_users s on s.user_hk = g.user_hk where g.id = '1'"))
                    .as("after %s", change).containsExactly("false");
            FakerVault.build(ds, new PrintStream(OutputStream.nullOutputStream()));
        }
    }

    @Test
    void theHubsHashKeysAreAutomateDvsAsInTheProject(DataSource ds) throws Exception {
        FakerVault.build(ds, new PrintStream(OutputStream.nullOutputStream()));

        // the project builds its vault with AutomateDV on PostgreSQL: a hash key is
        // DECODE(MD5(NULLIF(UPPER(TRIM(CAST(x AS VARCHAR))), '')), 'hex'); computed here from the seed files
        List<String> users = new ArrayList<>();
        List<String> lines = Files.readAllLines(SeedData.file("001-faker-vault/faker_users.csv"), StandardCharsets.UTF_8);
        int email = List.of(lines.get(0).split(",", -1)).indexOf("email");
        for (String line : lines.subList(1, lines.size())) {
            String e = line.split(",", -1)[email];
            users.add(e + " " + md5(e.strip().toUpperCase(Locale.ROOT)));
        }
        assertThat(TestSql.strings(ds, "select email || ' ' || encode(user_hk, 'hex') from dds.hub_users"))
                .containsExactlyInAnyOrderElementsOf(users);
        List<String> products = new ArrayList<>();
        for (int id = 1; id <= 100; id++) {
            products.add(id + " " + md5(String.valueOf(id)));
        }
        assertThat(TestSql.strings(ds, "select product_id || ' ' || encode(product_hk, 'hex') from dds.hub_products"))
                .containsExactlyInAnyOrderElementsOf(products);
    }

    @Test
    void purchasesAreTheProjectsTransactionalLinkKeyedByUserProductAndPurchaseTime(DataSource ds) throws Exception {
        FakerVault.build(ds, new PrintStream(OutputStream.nullOutputStream()));

        // link_purchases.sql is an automate_dv.t_link: PURCHASE_HK over USER_ID, PRODUCT_ID, PURCHASED_AT, effective from
        // PURCHASED_AT; AutomateDV's key over several columns is MD5 of their upper-cased, trimmed text joined by '||',
        // '^^' for a NULL (a cart-only purchase has no purchased_at)
        List<String> expected = new ArrayList<>();
        List<String> lines = Files.readAllLines(SeedData.file("001-faker-vault/faker_purchases.csv"), StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);   // id, product_id, user_id, added_to_cart_at, purchased_at, returned_at
            List<String> parts = new ArrayList<>();
            for (String v : List.of(f[2], f[1], f[4])) {
                parts.add(v.isBlank() ? "^^" : v.strip().toUpperCase(Locale.ROOT));
            }
            expected.add(md5(String.join("||", parts)) + " " + (f[4].isBlank() ? "-" : java.time.OffsetDateTime.parse(f[4]).toInstant()));
        }
        assertThat(TestSql.strings(ds, "select encode(purchase_hk, 'hex') || ' ' || coalesce(to_char(effective_from at time zone"
                + " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-') from dds.link_purchases"))
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    private static String md5(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> vault(DataSource ds) {
        List<String> rows = new ArrayList<>();
        for (String t : List.of("dds.hub_users", "dds.hub_products", "dds.link_purchases", "dds.sat_users", "dds.sat_products")) {
            rows.addAll(TestSql.strings(ds, "select '" + t + " ' || t::text from " + t + " t order by t::text"));
        }
        return rows;
    }
}
