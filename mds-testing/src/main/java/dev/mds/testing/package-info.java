/**
 * Test fixtures for pipelines built with mds; start with {@link dev.mds.testing.MdsPostgres} (a real
 * PostgreSQL per test class) and {@link dev.mds.testing.MdsAssertions} (assertions on tables, queries and
 * {@link dev.mds.testing.TableChanges}), then
 * {@link dev.mds.testing.TableFixture} (tables from inline rows or CSV) and
 * {@link dev.mds.testing.EmbeddedPostgresServer} (the embedded server for programs).
 */
package dev.mds.testing;
