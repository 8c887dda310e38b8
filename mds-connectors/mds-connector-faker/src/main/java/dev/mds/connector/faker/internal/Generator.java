package dev.mds.connector.faker.internal;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Makes one record from (seed, stream, id) alone, so any id range can be made on its own: resume and parallel
 * generation give the records of an uninterrupted read. Immutable.
 */
public final class Generator {
    /** The columns of {@code users}, as Airbyte's faker names them. */
    public static final Schema USERS = Schema.builder()
            .required("id", FieldType.LONG)
            .required("created_at", FieldType.TIMESTAMPTZ)
            .required("updated_at", FieldType.TIMESTAMPTZ)
            .required("name", FieldType.STRING)
            .required("title", FieldType.STRING)
            .required("age", FieldType.INT)
            .required("email", FieldType.STRING)
            .required("telephone", FieldType.STRING)
            .required("gender", FieldType.STRING)
            .required("language", FieldType.STRING)
            .required("academic_degree", FieldType.STRING)
            .required("nationality", FieldType.STRING)
            .required("occupation", FieldType.STRING)
            .required("height", FieldType.decimal(3, 2))
            .required("blood_type", FieldType.STRING)
            .required("weight", FieldType.INT)
            .build();
    /** The columns of {@code products}. */
    public static final Schema PRODUCTS = Schema.builder()
            .required("id", FieldType.LONG)
            .required("make", FieldType.STRING)
            .required("model", FieldType.STRING)
            .required("year", FieldType.INT)
            .required("price", FieldType.decimal(12, 2))
            .required("created_at", FieldType.TIMESTAMPTZ)
            .build();
    /** The columns of {@code purchases}; {@code purchased_at} is NULL for a cart-only entry. */
    public static final Schema PURCHASES = Schema.builder()
            .required("id", FieldType.LONG)
            .required("product_id", FieldType.LONG)
            .required("user_id", FieldType.LONG)
            .required("added_to_cart_at", FieldType.TIMESTAMPTZ)
            .add("purchased_at", FieldType.TIMESTAMPTZ)
            .add("returned_at", FieldType.TIMESTAMPTZ)
            .build();

    /** The most purchases one user has. */
    public static final int MAX_PURCHASES_PER_USER = 3;

    /**
     * The most users or products a source makes: purchases (at most {@link #MAX_PURCHASES_PER_USER} per user) are
     * numbered within a long, and no id, batch end or position overflows.
     */
    public static final long MAX_COUNT = Long.MAX_VALUE / 4;

    private static final long DAY = 86_400L;
    private static final long YEAR = 365 * DAY;
    private static final int USERS_STREAM = 1;
    private static final int PRODUCTS_STREAM = 2;
    private static final int PURCHASES_STREAM = 3;

    private final long seed;
    private final long products;
    private final int generation;
    private final long epoch;

    /**
     * @param seed the seed
     * @param products how many products there are (purchases pick among them)
     * @param generation 1 for the first state of the users, 2.. for later states
     * @param epoch the "now" of generation 1; generation g's now is {@code epoch + (g - 1)} days
     */
    public Generator(long seed, long products, int generation, Instant epoch) {
        this.seed = seed;
        this.products = products;
        this.generation = generation;
        this.epoch = epoch.getEpochSecond();
    }

    /** The user {@code id} as it is in this generation. */
    public Record user(long id) {
        Rng r = Rng.of(seed, USERS_STREAM, id, 0);
        long created = userCreated(r);
        long updated = r.between(created + 1, epoch);
        String name = r.pick(Vocabulary.NAMES);
        String title = r.pick(Vocabulary.TITLES);
        int age = r.between(18, 75);
        // the number is unique per id (the id's digits, then one more) and the word has no digits, so the local part
        // is unique; written as text, not as id * 10 + digit, which overflows a long beyond id 922337203685477580
        String email = r.pick(Vocabulary.WORDS) + id + r.below(10) + "@" + r.pick(Vocabulary.DOMAINS);
        String telephone = r.digits(r.pick(Vocabulary.PHONES));
        String gender = r.pick(Vocabulary.GENDERS);
        String language = r.pick(Vocabulary.LANGUAGES);
        String degree = r.pick(Vocabulary.DEGREES);
        String nationality = r.pick(Vocabulary.NATIONALITIES);
        String occupation = r.pick(Vocabulary.OCCUPATIONS);
        BigDecimal height = BigDecimal.valueOf(r.between(150, 200), 2);
        String bloodType = r.pick(Vocabulary.BLOOD_TYPES);
        int weight = r.between(38, 110);
        for (int g = 2; g <= generation; g++) {
            Rng c = Rng.of(seed, USERS_STREAM, id, g);
            if (c.chance(25)) {
                // a quarter of the users change in each generation, within the day before its now
                updated = epoch + (g - 2) * DAY + c.between(1L, DAY);
                occupation = c.pick(Vocabulary.OCCUPATIONS);
                telephone = c.digits(c.pick(Vocabulary.PHONES));
                weight = Math.max(38, Math.min(110, weight + c.between(-3, 3)));
            }
        }
        return Record.of(id, time(created), time(updated), name, title, age, email, telephone, gender, language,
                degree, nationality, occupation, height, bloodType, weight);
    }

    /** The product {@code id}. */
    public Record product(long id) {
        Rng r = Rng.of(seed, PRODUCTS_STREAM, id, 0);
        Vocabulary.Car car = r.pick(Vocabulary.CARS);
        int year = r.between(car.firstYear(), Vocabulary.LAST_YEAR);
        BigDecimal price = BigDecimal.valueOf(r.between(1_000L, 99_999L)).setScale(2);
        long created = epoch - r.between(DAY, 2 * YEAR);
        return Record.of(id, car.make(), car.model(), year, price, time(created));
    }

    /** How many purchases the user {@code userId} has (0 without products). */
    public int purchaseCount(long userId) {
        if (products == 0) {
            return 0;
        }
        return (int) Rng.of(seed, PURCHASES_STREAM, userId, 0).below(MAX_PURCHASES_PER_USER + 1);
    }

    /** The {@code index}-th purchase (from 0) of the user {@code userId}, with the purchase id {@code id}. */
    public Record purchase(long id, long userId, int index) {
        long userCreated = userCreated(Rng.of(seed, USERS_STREAM, userId, 0));
        Rng r = Rng.of(seed, PURCHASES_STREAM, userId, index + 1L);
        long productId = 1 + r.below(products);
        // created <= epoch - 1 day, so there is room for three strictly ordered instants up to the epoch
        long added = r.between(userCreated + 1, epoch - 2);
        OffsetDateTime purchased = null;
        OffsetDateTime returned = null;
        if (r.chance(80)) {
            long p = r.between(added + 1, epoch - 1);
            purchased = time(p);
            if (r.chance(15)) {
                returned = time(r.between(p + 1, epoch));
            }
        }
        return Record.of(id, productId, userId, time(added), purchased, returned);
    }

    private long userCreated(Rng r) {
        return epoch - r.between(DAY, 20 * YEAR);
    }

    private static OffsetDateTime time(long epochSecond) {
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC);
    }
}
