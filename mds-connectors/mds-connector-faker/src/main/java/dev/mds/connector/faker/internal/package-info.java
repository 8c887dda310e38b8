/**
 * Implementation of the faker source (not exported); the entry point is {@code dev.mds.connector.faker.FakerSource}.
 */
package dev.mds.connector.faker.internal;
