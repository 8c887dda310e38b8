package dev.mds.connector.faker;

import dev.mds.connector.faker.internal.Generator;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Generates deterministic fake e-commerce data (users, products, purchases) as {@link RecordBatch}es, in the
 * columns of Airbyte's "Sample Data (Faker)" source.
 *
 * <pre>{@code
 * FakerSource source = FakerSource.builder().seed(0).users(1_000).products(100).build();
 * MergeLoader loader = MergeLoader.into(dataSource, "raw.users").key("id").build();
 * source.batches(FakerStream.USERS).forEach(loader::load);
 * // later: the rest after a committed position, equal to the tail of an uninterrupted read
 * source.batches(FakerStream.USERS, SourcePosition.fromJson(stored)).forEach(loader::load);
 * }</pre>
 *
 * <p><b>Determinism.</b> Each record is a function of (seed, stream, id) and the settings alone, computed with
 * integer arithmetic by a generator written out in this library (SplitMix64), never from the clock: the same
 * seed and settings give equal records on any machine, JVM and thread. Timestamps lie before a fixed epoch,
 * {@link #EPOCH} (the day Airbyte's faker fixture was recorded), not before "now".
 *
 * <p><b>Streams.</b> {@code users} and {@code products} have ids 1..n in order. Each user has 0 to 3 purchases
 * (none when there are no products); purchases are numbered 1.. in user order, reference an existing user and
 * product, and have {@code user.created_at < added_to_cart_at < purchased_at < returned_at <= epoch}
 * ({@code purchased_at} NULL for a cart-only entry, {@code returned_at} NULL unless returned).
 *
 * <p><b>Generations.</b> {@link Builder#generation(int) generation} g (default 1) is the users' state g−1 days
 * after the epoch, like Airbyte's {@code always_updated}: in each generation after the first, about a quarter of
 * the users change their occupation, telephone and weight and move {@code updated_at} into that day; the others
 * keep their row. Products and purchases are the same in every generation.
 *
 * <p><b>Positions.</b> Each batch carries a {@link SourcePosition} of source {@code faker:<stream>} with the
 * entries {@code seed}, {@code generation} and {@code next_id} (purchases also {@code products}, {@code user} and
 * {@code index}: where in the user's purchases the next one is). Immutable and thread-safe; starts no threads.
 */
public final class FakerSource {
    /** The "now" of generation 1: 2022-11-29T00:00:00Z. Every timestamp of generation 1 is at or before it. */
    public static final Instant EPOCH = Instant.parse("2022-11-29T00:00:00Z");

    /**
     * The largest {@link Builder#generation(int) generation}: its users' {@code updated_at} lie up to the day
     * 294276-12-31, the last day of PostgreSQL's {@code timestamptz}.
     */
    static final int MAX_GENERATION = Math.toIntExact(1 + java.time.temporal.ChronoUnit.DAYS.between(
            java.time.LocalDate.ofInstant(EPOCH, java.time.ZoneOffset.UTC), java.time.LocalDate.of(294_276, 12, 31)));

    private static final String SEED = "seed";
    private static final String GENERATION = "generation";
    private static final String NEXT_ID = "next_id";
    private static final String PRODUCTS = "products";
    private static final String USER = "user";
    private static final String INDEX = "index";

    private final long seed;
    private final long users;
    private final long products;
    private final int batchRows;
    private final int generation;
    private final Generator generator;

    private FakerSource(Builder b) {
        this.seed = b.seed;
        this.users = b.users;
        this.products = b.products;
        this.batchRows = b.batchRows;
        this.generation = b.generation;
        this.generator = new Generator(seed, products, generation, EPOCH);
    }

    /** A builder; see {@link Builder} for the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The columns of a stream, named as Airbyte's faker names them. */
    public Schema schema(FakerStream stream) {
        return switch (Objects.requireNonNull(stream, "stream")) {
            case USERS -> Generator.USERS;
            case PRODUCTS -> Generator.PRODUCTS;
            case PURCHASES -> Generator.PURCHASES;
        };
    }

    /**
     * All records of a stream, in id order, in batches of {@link Builder#batchRows batchRows} (the last may be
     * smaller). An empty stream (no users, no products, or purchases without products) gives one empty batch, as a
     * CSV file of its header only does, so that a loader creates the stream's table (Airbyte creates it too); its
     * position is the end. Lazy: a batch is made when the stream asks for it. Can be called any number of times,
     * each call giving the same batches.
     */
    public Stream<RecordBatch> batches(FakerStream stream) {
        Objects.requireNonNull(stream, "stream");
        Read read = stream == FakerStream.PURCHASES ? new Purchases(1, 1, 0) : new ById(stream, 1);
        return read.hasNext() ? stream(read) : Stream.of(RecordBatch.of(schema(stream), List.of(), read.position()));
    }

    /**
     * The records of a stream after {@code position} (a position of a batch of this stream and seed): the rest
     * of an uninterrupted read, batch boundaries aside. Empty when the position is at the end.
     *
     * @throws IllegalArgumentException when the position belongs to another stream, seed or generation (users),
     *     or another product count (purchases), is past the end of this source's stream (taken from a source with
     *     more users or products), or lacks its entries; the message names what differs
     */
    public Stream<RecordBatch> batches(FakerStream stream, SourcePosition position) {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(position, "position");
        String source = sourceName(stream);
        if (!position.source().equals(source)) {
            throw new IllegalArgumentException("position " + position + " is of source '" + position.source()
                    + "', not of this stream's '" + source + "'");
        }
        long theirSeed = entry(position, SEED);
        if (theirSeed != seed) {
            throw new IllegalArgumentException("position " + position + " was made with seed " + theirSeed
                    + ", this source has seed " + seed + ": resuming would mix two data sets");
        }
        if (stream == FakerStream.USERS && entry(position, GENERATION) != generation) {
            throw new IllegalArgumentException("position " + position + " was made in generation "
                    + entry(position, GENERATION) + ", this source makes generation " + generation
                    + ": resuming would mix two states of the users");
        }
        long nextId = entry(position, NEXT_ID);
        if (nextId < 1) {
            throw new IllegalArgumentException("position " + position + ": next_id must be at least 1");
        }
        if (stream != FakerStream.PURCHASES) {
            long count = stream == FakerStream.USERS ? users : products;
            if (nextId > count + 1) {
                throw new IllegalArgumentException("position " + position + " is past the end of this source's "
                        + stream.streamName() + ": its next_id " + nextId + " was made by a source of at least "
                        + (nextId - 1) + " " + stream.streamName() + ", this source makes " + stream.streamName()
                        + " 1.." + count + "; resuming would give nothing and leave the rows after id " + count
                        + " that this source does not make");
            }
            return stream(new ById(stream, nextId));
        }
        long theirProducts = entry(position, PRODUCTS);
        if (theirProducts != products) {
            throw new IllegalArgumentException("position " + position + " was made with " + theirProducts
                    + " products, this source has " + products + ": purchases would reference other products");
        }
        long user = entry(position, USER);
        long index = entry(position, INDEX);
        if (user < 1 || index < 0 || index > Generator.MAX_PURCHASES_PER_USER) {
            throw new IllegalArgumentException("position " + position + ": user must be at least 1 and index within"
                    + " 0.." + Generator.MAX_PURCHASES_PER_USER);
        }
        if (user > users + 1 && products > 0) {
            throw new IllegalArgumentException("position " + position + " is past the end of this source's"
                    + " purchases: it is at user " + user + ", this source makes the purchases of users 1.." + users
                    + "; resuming would give nothing and leave the purchases of the users after " + users
                    + " that this source does not make");
        }
        return stream(new Purchases(nextId, user, (int) index));
    }

    private static long entry(SourcePosition position, String key) {
        return position.getLong(key).orElseThrow(() -> new IllegalArgumentException("position " + position
                + " has no number '" + key + "': not a position of a faker source"));
    }

    private static String sourceName(FakerStream stream) {
        return "faker:" + stream.streamName();
    }

    private SourcePosition position(FakerStream stream, long nextId, long user, int index) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put(SEED, seed);
        values.put(GENERATION, generation);
        values.put(NEXT_ID, nextId);
        if (stream == FakerStream.PURCHASES) {
            values.put(PRODUCTS, products);
            values.put(USER, user);
            values.put(INDEX, index);
        }
        return SourcePosition.of(sourceName(stream), values);
    }

    private static Stream<RecordBatch> stream(Iterator<RecordBatch> it) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it,
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /** The batches of a stream from a point on, and the position of that point. */
    private interface Read extends Iterator<RecordBatch> {
        SourcePosition position();
    }

    /** Users or products: ids nextId..count. */
    private final class ById implements Read {
        private final FakerStream stream;
        private final long count;
        private long next;

        ById(FakerStream stream, long next) {
            this.stream = stream;
            this.count = stream == FakerStream.USERS ? users : products;
            this.next = next;
        }

        @Override
        public boolean hasNext() {
            return next <= count;
        }

        @Override
        public RecordBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            long end = Math.min(count, next + batchRows - 1);
            List<Record> records = new ArrayList<>((int) (end - next + 1));
            for (long id = next; id <= end; id++) {
                records.add(stream == FakerStream.USERS ? generator.user(id) : generator.product(id));
            }
            next = end + 1;
            return RecordBatch.of(schema(stream), records, position());
        }

        @Override
        public SourcePosition position() {
            return FakerSource.this.position(stream, next, 0, 0);
        }
    }

    /** Purchases from the index-th purchase of a user on, numbered from nextId. */
    private final class Purchases implements Read {
        private long nextId;
        private long user;
        private int index;

        Purchases(long nextId, long user, int index) {
            this.nextId = nextId;
            this.user = user;
            this.index = index;
            skipEmpty();
        }

        /** Moves to the next user with a purchase left, if the current one has none. */
        private void skipEmpty() {
            if (products == 0) {
                // no user has a purchase: the end at once, not after asking each of up to Long.MAX_VALUE / 4 users
                if (user <= users) {
                    user = users + 1;
                    index = 0;
                }
                return;
            }
            while (user <= users && index >= generator.purchaseCount(user)) {
                user++;
                index = 0;
            }
        }

        @Override
        public boolean hasNext() {
            return user <= users;
        }

        @Override
        public RecordBatch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            List<Record> records = new ArrayList<>(Math.min(batchRows, 4096));
            while (records.size() < batchRows && user <= users) {
                records.add(generator.purchase(nextId++, user, index++));
                skipEmpty();
            }
            return RecordBatch.of(Generator.PURCHASES, records, position());
        }

        @Override
        public SourcePosition position() {
            return FakerSource.this.position(FakerStream.PURCHASES, nextId, user, index);
        }
    }

    /**
     * Settings of a {@link FakerSource}. Defaults: seed 0, 1,000 users, 100 products, batches of 10,000 rows,
     * generation 1.
     */
    public static final class Builder {
        private long seed = 0;
        private long users = 1_000;
        private long products = 100;
        private int batchRows = 10_000;
        private int generation = 1;

        private Builder() {
        }

        /** The seed: the same seed and settings give equal records (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * How many users (ids 1..users; default 1,000); purchases follow from them.
         *
         * @throws IllegalArgumentException when negative or above {@code Long.MAX_VALUE / 4} (so that purchase ids
         *     stay longs)
         */
        public Builder users(long users) {
            this.users = count("users", users);
            return this;
        }

        private static long count(String what, long count) {
            if (count < 0) {
                throw new IllegalArgumentException(what + " must be at least 0, not " + count);
            }
            if (count > Generator.MAX_COUNT) {
                throw new IllegalArgumentException(what + " must be at most " + Generator.MAX_COUNT
                        + " (Long.MAX_VALUE / 4, so that purchase ids stay longs), not " + count);
            }
            return count;
        }

        /**
         * How many products (ids 1..products; default 100). Without products, users have no purchases.
         *
         * @throws IllegalArgumentException when negative or above {@code Long.MAX_VALUE / 4}
         */
        public Builder products(long products) {
            this.products = count("products", products);
            return this;
        }

        /**
         * The most records in one batch (default 10,000).
         *
         * @throws IllegalArgumentException when below 1
         */
        public Builder batchRows(int batchRows) {
            if (batchRows < 1) {
                throw new IllegalArgumentException("batchRows must be at least 1, not " + batchRows);
            }
            this.batchRows = batchRows;
            return this;
        }

        /**
         * Which state of the users to make: 1 (default) is the first; each later one changes about a quarter of
         * the users and moves their {@code updated_at} forward (see the class doc). Generation g's users' {@code
         * updated_at} lie up to g − 1 days after {@link #EPOCH}, and making a user of generation g takes time in
         * proportion to g (0.3 to 0.6 s per user for 1,000,000, on a shared 2-core machine).
         *
         * @throws IllegalArgumentException when below 1, or above 106,743,615, whose users' {@code updated_at} lie up
         *     to 294276-12-31, the last day a PostgreSQL {@code timestamptz} holds
         */
        public Builder generation(int generation) {
            if (generation < 1) {
                throw new IllegalArgumentException("generation must be at least 1, not " + generation);
            }
            if (generation > MAX_GENERATION) {
                throw new IllegalArgumentException("generation must be at most " + MAX_GENERATION + ", not "
                        + generation + ": generation g's users have their updated_at up to g - 1 days after "
                        + EPOCH + ", and a PostgreSQL timestamptz ends on 294276-12-31");
            }
            this.generation = generation;
            return this;
        }

        /** The source. */
        public FakerSource build() {
            return new FakerSource(this);
        }
    }
}
