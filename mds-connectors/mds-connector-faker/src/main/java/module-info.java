/**
 * mds-connector-faker: deterministic fake e-commerce data as record batches; start with
 * {@code dev.mds.connector.faker.FakerSource}. {@code dev.mds.connector.faker.internal} is not exported.
 */
module dev.mds.connector.faker {
    requires transitive dev.mds.core;

    exports dev.mds.connector.faker;
}
