/**
 * Runnable programs replaying real pipelines with mds; start with {@link dev.mds.examples.Main}, the main
 * example, which runs on an embedded PostgreSQL.
 */
package dev.mds.examples;
