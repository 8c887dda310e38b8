/**
 * Generated e-commerce data with mds-connector-faker, merged into the warehouse; start with
 * {@link dev.mds.examples.faker.FakerExample}.
 */
package dev.mds.examples.faker;
