package dev.mds.connector.faker;

/**
 * The streams of a {@link FakerSource}, named as Airbyte's "Sample Data (Faker)" source names them.
 *
 * <pre>{@code
 * Schema users = source.schema(FakerStream.USERS);
 * String table = FakerStream.USERS.streamName();   // "users"
 * }</pre>
 */
public enum FakerStream {
    /** People who shop: {@code id, created_at, updated_at, name, title, age, email, ...}; ids 1..users. */
    USERS("users"),
    /** Cars for sale: {@code id, make, model, year, price, created_at}; ids 1..products. */
    PRODUCTS("products"),
    /** Cart entries of users: {@code id, product_id, user_id, added_to_cart_at, purchased_at, returned_at}. */
    PURCHASES("purchases");

    private final String streamName;

    FakerStream(String streamName) {
        this.streamName = streamName;
    }

    /** The stream's name as Airbyte spells it ({@code users}, {@code products}, {@code purchases}). */
    public String streamName() {
        return streamName;
    }
}
