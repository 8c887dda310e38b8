package dev.mds.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TableFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.StringJoiner;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * An AutomateDV user's vault over the real seed data (001-faker-vault), loaded in several deliveries: the first
 * extraction, a later one with changed, re-delivered and new rows, a late one whose load date is before the first,
 * and re-runs of each. The hashes are compared with AutomateDV's own SQL for PostgreSQL, written out here as its
 * macros render it.
 */
@MdsPostgres
class FakerVaultReloadTest {
    private static final String FIRST = "2022-11-29 00:35:07.441+00";
    private static final String SECOND = "2022-12-01 00:00:00+00";
    private static final String LATE = "2022-11-15 00:00:00+00";

    @Test
    void automateDvVaultOverTheFakerDataTakesChangesLateRowsAndReRunsAsAutomateDvHashesThem(DataSource ds) throws Exception {
        TableFixture.on(ds, "raw.faker_users").csv(SeedData.file("001-faker-vault/faker_users.csv"));
        TableFixture.on(ds, "raw.faker_products").csv(SeedData.file("001-faker-vault/faker_products.csv"));
        TableFixture.on(ds, "raw.faker_purchases").csv(SeedData.file("001-faker-vault/faker_purchases.csv"));
        sql(ds, "alter table raw.faker_users add column _extracted_at timestamptz");
        sql(ds, "alter table raw.faker_products add column _extracted_at timestamptz");
        sql(ds, "alter table raw.faker_purchases add column _extracted_at timestamptz");
        sql(ds, "update raw.faker_users set _extracted_at = '" + FIRST + "'");
        sql(ds, "update raw.faker_products set _extracted_at = '" + FIRST + "'");
        sql(ds, "update raw.faker_purchases set _extracted_at = '" + FIRST + "'");
        // the deliveries arrive in their own tables; the stage reads the one being loaded
        sql(ds, "create table raw.users_delivery as table raw.faker_users");
        sql(ds, "create table raw.purchases_delivery as select p.*, u.email, pr.make || ' ' || pr.model as brand_model"
                + " from raw.faker_purchases p join raw.faker_users u on u.id = p.user_id join raw.faker_products pr on pr.id = p.product_id");

        Vault vault = Vault.on(ds).standard(HashStandard.AUTOMATEDV);
        Stage users = Stage.of("raw.users_delivery").into("stg.users").recordSource("faker").loadDate("_extracted_at")
                .derived("age_years", "age::int")
                .hashKey("user_hk", "email").hashDiff("user_hashdiff", "title", "occupation", "name", "age_years");
        Stage purchases = Stage.of("raw.purchases_delivery").into("stg.purchases").recordSource("faker")
                .loadDate("_extracted_at")
                .derived("purchased", "nullif(purchased_at, '')::timestamptz")
                .derived("returned", "nullif(returned_at, '')::timestamptz")
                .hashKey("user_hk", "email").hashKey("product_hk", "brand_model")
                .hashKey("purchase_hk", "id", "email", "brand_model")
                .hashDiff("purchase_hashdiff", "purchased", "returned");
        vault.createStage(users);
        vault.createStage(purchases);

        // AutomateDV's stage, as its hash macros render it for PostgreSQL (MD5, '^^', '||', columns sorted)
        assertThat(rows(ds, "select encode(user_hk, 'hex'), encode(user_hashdiff, 'hex') from stg.users order by id::int"))
                .isEqualTo(rows(ds, "select encode(" + automateKey("email") + ", 'hex'), encode("
                        + automateDiff("age::int", "name", "occupation", "title") + ", 'hex')"
                        + " from raw.users_delivery order by id::int"));
        assertThat(rows(ds, "select encode(purchase_hk, 'hex'), encode(purchase_hashdiff, 'hex') from stg.purchases order by id::int"))
                .isEqualTo(rows(ds, "select encode(" + automateKey("id", "email", "brand_model") + ", 'hex'), encode("
                        + automateDiff("nullif(purchased_at, '')::timestamptz", "nullif(returned_at, '')::timestamptz")
                        + ", 'hex') from raw.purchases_delivery order by id::int"));

        // the Java Hasher gives the same bytes, for records hashed on their way in
        Hasher purchaseKey = vault.hasher(Schema.of(Field.of("id", FieldType.STRING), Field.of("email", FieldType.STRING),
                Field.of("brand_model", FieldType.STRING)));
        Hasher userDiff = vault.hasher(Schema.of(Field.of("title", FieldType.STRING), Field.of("occupation", FieldType.STRING),
                Field.of("name", FieldType.STRING), Field.of("age_years", FieldType.INT)));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select p.id, p.email, p.brand_model, p.purchase_hk, u.title, u.occupation, u.name,"
                     + " u.age_years, u.user_hashdiff from stg.purchases p join stg.users u using (user_hk)")) {
            int n = 0;
            while (rs.next()) {
                assertThat(purchaseKey.hashKey(rs.getString(1), rs.getString(2), rs.getString(3)).orElseThrow()).isEqualTo(rs.getBytes(4));
                assertThat(userDiff.hashDiff(rs.getString(5), rs.getString(6), rs.getString(7), rs.getInt(8))).isEqualTo(rs.getBytes(9));
                n++;
            }
            assertThat(n).isEqualTo(14);
        }

        Hub hubUsers = vault.hub("dds.hub_users").hashKey("user_hk").businessKey("email").from(users, purchases);
        Hub hubProducts = vault.hub("dds.hub_products").hashKey("product_hk").businessKey("brand_model").from(purchases);
        Link link = vault.link("dds.link_purchases").hashKey("purchase_hk").refs("user_hk", "product_hk").from(purchases);
        Satellite satUsers = vault.satellite("dds.sat_users").parent("user_hk").hashDiff("user_hashdiff")
                .payload("name", "age_years", "title", "occupation").from(users);
        Satellite satPurchases = vault.satellite("dds.sat_purchases").parent("purchase_hk").hashDiff("purchase_hashdiff")
                .payload("purchased", "returned").from(purchases);
        List<Structure> all = List.of(hubUsers, hubProducts, link, satUsers, satPurchases);
        for (Structure s : all) {
            s.createTable();
        }
        long models = count(ds, "select count(distinct brand_model) from raw.purchases_delivery");
        assertThat(loadAll(all)).containsExactly(10L, models, 14L, 10L, 14L);
        assertThat(loadAll(all)).containsOnly(0L);

        // the second delivery: user 1 renamed, user 2's title differs only in case and spaces (the same under
        // AutomateDV's UPPER(TRIM(...))), user 3 as before, user 4's e-mail in capitals (the same hub key), a new
        // user 11; purchase 3 (cart only) is now purchased
        sql(ds, "update raw.users_delivery set _extracted_at = '" + SECOND + "'");
        sql(ds, "update raw.users_delivery set name = 'Rida' where id = '1'");
        sql(ds, "update raw.users_delivery set title = '  ' || lower(title) || ' ' where id = '2'");
        sql(ds, "update raw.users_delivery set email = upper(email) where id = '4'");
        sql(ds, "delete from raw.users_delivery where id not in ('1', '2', '3', '4')");
        sql(ds, "insert into raw.users_delivery (id, name, title, age, email, occupation, _extracted_at)"
                + " values ('11', 'Ada', 'Dr.', '36', 'ada@example.com', 'Analyst', '" + SECOND + "')");
        sql(ds, "update raw.purchases_delivery set _extracted_at = '" + SECOND + "'");
        sql(ds, "update raw.purchases_delivery set purchased_at = '2022-11-30T10:00:00+00:00' where id = '3'");
        assertThat(loadAll(all)).containsExactly(1L, 0L, 0L, 2L, 1L);
        assertThat(loadAll(all)).containsOnly(0L);
        assertThat(rows(ds, "select s.name, s.load_date = '" + SECOND + "' from dds.sat_users s join dds.hub_users h using (user_hk)"
                + " where h.email ilike 'locations1983@protonmail.com' order by s.load_date"))
                .containsExactly("Reda|f", "Rida|t");

        // a late delivery, extracted before the first: user 5 held another occupation then, user 6 the same data
        sql(ds, "truncate raw.users_delivery");
        sql(ds, "insert into raw.users_delivery select * from raw.faker_users where id in ('5', '6')");
        sql(ds, "update raw.users_delivery set _extracted_at = '" + LATE + "'");
        sql(ds, "update raw.users_delivery set occupation = 'Apprentice' where id = '5'");
        assertThat(satUsers.load().rowsInserted()).isEqualTo(2);
        assertThat(satUsers.load().rowsInserted()).isZero();
        assertThat(rows(ds, "select s.occupation, s.load_date = '" + LATE + "' from dds.sat_users s join dds.hub_users h using (user_hk)"
                + " join raw.faker_users u on u.email = h.email where u.id = '5' order by s.load_date"))
                .containsExactly("Apprentice|t", rows(ds, "select occupation from raw.faker_users where id = '5'").get(0) + "|f");
        // the hub keeps the first e-mail spelling it saw: no second row for user 4's capitals
        assertThat(count(ds, "select count(*) from dds.hub_users")).isEqualTo(11);
        assertThat(count(ds, "select count(*) from dds.hub_users h join raw.faker_users u on u.email = h.email")).isEqualTo(10);

        // PIT: which satellite row was in effect at each date
        Pit pit = vault.pit("dds.pit_users").hub("dds.hub_users", "user_hk").satellites("dds.sat_users")
                .asOf(List.of(LocalDate.of(2022, 11, 20), LocalDate.of(2022, 11, 30), LocalDate.of(2022, 12, 2)));
        pit.createTable();
        pit.load();
        assertThat(pit.load().rowsInserted()).isZero();
        assertThat(rows(ds, "select p.as_of_date::date || ' ' || coalesce(s.name || '/' || s.occupation, 'ghost')"
                + " from dds.pit_users p join dds.hub_users h using (user_hk) left join dds.sat_users s"
                + " on s.user_hk = p.sat_users_pk and s.load_date = p.sat_users_ldts"
                + " join raw.faker_users u on u.email = h.email where u.id in ('1', '5') order by u.id, p.as_of_date"))
                .containsExactly("2022-11-20 ghost", "2022-11-30 Reda/Word Processing Operator",
                        "2022-12-02 Rida/Word Processing Operator",
                        "2022-11-20 " + rows(ds, "select name from raw.faker_users where id = '5'").get(0) + "/Apprentice",
                        "2022-11-30 " + String.join("/", rows(ds, "select name || '/' || occupation from raw.faker_users where id = '5'")),
                        "2022-12-02 " + String.join("/", rows(ds, "select name || '/' || occupation from raw.faker_users where id = '5'")));
    }

    // ---- AutomateDV's hash macros (automate_dv.hash, standard_column_wrapper, null_expression, select_hash_alg)

    private static String standardise(String expression) {
        return "NULLIF(UPPER(TRIM(CAST(" + expression + " AS VARCHAR))), '')";
    }

    /** A hash key: one column as a string, several as a list. */
    static String automateKey(String... columns) {
        if (columns.length == 1) {
            return "DECODE(MD5(" + standardise(columns[0]) + "), 'hex')";
        }
        StringJoiner parts = new StringJoiner(",\n", "CONCAT_WS('||',\n", ")");
        StringJoiner allNull = new StringJoiner("||");
        for (String c : columns) {
            parts.add("COALESCE(" + standardise(c) + ", '^^')");
            allNull.add("^^");
        }
        return "DECODE(MD5(NULLIF(" + parts + ", '" + allNull + "')), 'hex')";
    }

    /** A hashdiff over a list of columns, given in the order Jinja's sort puts their names. */
    static String automateDiff(String... sortedColumns) {
        StringJoiner parts = new StringJoiner(",\n", "CONCAT_WS('||',\n", ")");
        for (String c : sortedColumns) {
            parts.add("COALESCE(" + standardise(c) + ", '^^')");
        }
        return "DECODE(MD5(" + (sortedColumns.length == 1 ? "COALESCE(" + standardise(sortedColumns[0]) + ", '^^')" : parts)
                + "), 'hex')";
    }

    // ---- plumbing

    private static List<Long> loadAll(List<Structure> structures) {
        List<Long> out = new ArrayList<>();
        for (Structure s : structures) {
            out.add(s.load().rowsInserted());
        }
        return out;
    }

    static void sql(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static long count(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Each row's columns joined by '|'. */
    static List<String> rows(DataSource ds, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringJoiner j = new StringJoiner("|");
                for (int i = 1; i <= n; i++) {
                    j.add(String.valueOf(rs.getString(i)));
                }
                out.add(j.toString());
            }
        }
        return out;
    }

    static final HexFormat HEX = HexFormat.of();
}
