package dev.mds.connector.faker;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Record;
import dev.mds.core.TableName;
import dev.mds.load.LoadResult;
import dev.mds.load.MergeLoader;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The three streams load into PostgreSQL with the MergeLoader; a second generation updates some users. */
@MdsPostgres
class FakerLoadTest {
    private static final int USERS = 3_000;
    private static final int PRODUCTS = 100;

    private static LoadResult load(DataSource ds, FakerSource source, FakerStream stream) {
        MergeLoader loader = MergeLoader.into(ds, TableName.of("raw", stream.streamName())).key("id").build();
        return source.batches(stream).map(loader::load).reduce(LoadResult::plus).orElseThrow();
    }

    /** Airbyte creates a stream's table though the stream is empty; so does a load of the stream's one empty batch. */
    @Test
    void anEmptyStreamStillCreatesItsTable(DataSource ds) {
        FakerSource noProducts = FakerSource.builder().users(5).products(0).build();
        MergeLoader loader = MergeLoader.into(ds, TableName.of("empty", "purchases")).key("id").build();
        long inserted = noProducts.batches(FakerStream.PURCHASES).map(loader::load).mapToLong(LoadResult::inserted).sum();

        assertThat(inserted).isZero();
        assertThatTable(ds, "empty.purchases").exists().hasRowCount(0);
    }

    /**
     * Generation g's users have their updated_at up to g − 1 days after the epoch, so a generation is accepted only
     * while that day is a timestamptz PostgreSQL can store (up to 294276-12-31): the largest one's latest instant is
     * stored, a day later is refused by the server. Before, any int was taken: generation(Integer.MAX_VALUE) built,
     * its users' updated_at lay in the year 5,881,000 or so, and a load failed on the first batch, after 20 s or so
     * of making each user.
     */
    @Test
    void aGenerationWhoseUpdatesNoPostgresTimestampHoldsIsRefusedNamingTheLargest(DataSource ds) throws Exception {
        int largest = 106_743_615;
        assertThatThrownBy(() -> FakerSource.builder().generation(Integer.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("generation must be at most " + largest)
                .hasMessageContaining("294276-12-31")
                .hasMessageContaining(String.valueOf(Integer.MAX_VALUE));
        assertThatThrownBy(() -> FakerSource.builder().generation(largest + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most " + largest);
        assertThat(FakerSource.builder().generation(largest).build()).isNotNull();

        java.time.LocalDate lastDay = java.time.LocalDate.ofInstant(FakerSource.EPOCH, java.time.ZoneOffset.UTC)
                .plusDays(largest - 1L);
        try (java.sql.Connection c = ds.getConnection(); java.sql.Statement st = c.createStatement()) {
            try (java.sql.ResultSet rs = st.executeQuery("select timestamptz '" + pg(lastDay) + " 00:00:00+00'"
                    + " = '294276-12-31 00:00:00+00'")) {
                rs.next();
                assertThat(rs.getBoolean(1)).isTrue();
            }
            assertThatThrownBy(() -> st.executeQuery("select timestamptz '" + pg(lastDay.plusDays(1)) + " 00:00:00+00'"))
                    .hasMessageContaining("out of range");
        }
    }

    /** A date as PostgreSQL reads it (Java writes a year past 9999 with a '+'). */
    private static String pg(java.time.LocalDate day) {
        return String.format(java.util.Locale.ROOT, "%d-%02d-%02d", day.getYear(), day.getMonthValue(), day.getDayOfMonth());
    }

    @Test
    void allStreamsLoadWithIntactReferencesAndASecondGenerationUpdatesSomeUsers(DataSource ds) {
        FakerSource first = FakerSource.builder().seed(42).users(USERS).products(PRODUCTS).batchRows(1_000).build();
        List<Record> purchases = first.batches(FakerStream.PURCHASES).flatMap(b -> b.records().stream()).toList();

        assertThat(load(ds, first, FakerStream.USERS).inserted()).isEqualTo(USERS);
        assertThat(load(ds, first, FakerStream.PRODUCTS).inserted()).isEqualTo(PRODUCTS);
        assertThat(load(ds, first, FakerStream.PURCHASES).inserted()).isEqualTo(purchases.size());
        assertThatTable(ds, "raw.users").hasRowCount(USERS);
        assertThatTable(ds, "raw.products").hasRowCount(PRODUCTS);
        assertThatTable(ds, "raw.purchases").hasRowCount(purchases.size());

        // SQL-level invariants: no dangling reference, ordered timestamps, unique emails, returns only after purchases
        assertThat(TestSql.strings(ds, """
                select count(*) from raw.purchases p
                 where not exists (select 1 from raw.users u where u.id = p.user_id)
                    or not exists (select 1 from raw.products x where x.id = p.product_id)
                    or p.purchased_at <= p.added_to_cart_at
                    or p.returned_at <= p.purchased_at
                    or (p.purchased_at is null and p.returned_at is not null)
                    or p.added_to_cart_at <= (select u.created_at from raw.users u where u.id = p.user_id)
                """)).containsExactly("0");
        assertThat(TestSql.strings(ds, "select count(distinct email) = count(*) from raw.users")).containsExactly("t");
        assertThat(TestSql.strings(ds, "select count(*) > 0 from raw.purchases where purchased_at is null"))
                .containsExactly("t");
        assertThat(TestSql.strings(ds, "select max(id) = count(*) from raw.purchases")).containsExactly("t");

        // generation 2: the same ids, a quarter or so changed
        FakerSource second = FakerSource.builder().seed(42).users(USERS).products(PRODUCTS).batchRows(1_000)
                .generation(2).build();
        long changed = 0;
        List<Record> a = first.batches(FakerStream.USERS).flatMap(b -> b.records().stream()).toList();
        List<Record> b = second.batches(FakerStream.USERS).flatMap(x -> x.records().stream()).toList();
        for (int i = 0; i < a.size(); i++) {
            changed += a.get(i).equals(b.get(i)) ? 0 : 1;
        }
        LoadResult again = load(ds, second, FakerStream.USERS);
        assertThat(again.inserted()).isZero();
        assertThat(again.updated()).isEqualTo(changed).isBetween(USERS / 8L, USERS / 2L);
        assertThat(again.unchanged()).isEqualTo(USERS - changed);
        assertThatTable(ds, "raw.users").hasRowCount(USERS);
        assertThat(TestSql.strings(ds, "select count(*) from raw.users where updated_at > timestamptz '2022-11-29Z'"))
                .containsExactly(String.valueOf(changed));
        // products and purchases are the same in every generation
        assertThat(load(ds, second, FakerStream.PURCHASES).changed()).isZero();
    }
}
