package dev.mds.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class its own fresh database on a real PostgreSQL; test methods and constructors receive a
 * {@link javax.sql.DataSource} (a HikariCP pool) or a {@link TestDatabase} as parameters.
 *
 * <pre>{@code
 * @MdsPostgres
 * class LoaderTest {
 *     @Test
 *     void loadsRows(DataSource ds) {
 *         ...
 *         assertThatTable(ds, "raw.users").hasRowCount(3);
 *     }
 * }
 * }</pre>
 *
 * Where the server comes from ({@link PostgresExtension}): {@code MDS_TEST_JDBC_URL} (with
 * {@code MDS_TEST_JDBC_USER} and {@code MDS_TEST_JDBC_PASSWORD}) names an existing server; otherwise one embedded
 * PostgreSQL 17 per JVM, started on first use. {@link Source#TESTCONTAINERS} asks for a Docker container and
 * skips the class, with the reason, when Docker is absent.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(PostgresExtension.class)
public @interface MdsPostgres {
    /** Where the server comes from. */
    Source value() default Source.DEFAULT;

    /** Where the server comes from. */
    enum Source {
        /** {@code MDS_TEST_JDBC_URL} when set, else the embedded server. */
        DEFAULT,
        /** The embedded server, even when {@code MDS_TEST_JDBC_URL} is set. */
        EMBEDDED,
        /** A PostgreSQL 17 container through Testcontainers; skipped when Docker is absent. */
        TESTCONTAINERS
    }
}
