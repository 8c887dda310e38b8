/**
 * Deterministic fake e-commerce data (users, products, purchases) as record batches; the entry point is
 * {@link dev.mds.connector.faker.FakerSource}.
 */
package dev.mds.connector.faker;
