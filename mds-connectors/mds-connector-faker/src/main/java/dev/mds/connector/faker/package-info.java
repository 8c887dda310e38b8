/**
 * Deterministic fake e-commerce data; the entry point is {@code FakerSource}.
 */
package dev.mds.connector.faker;
