package dev.mds.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class its own fresh database on a real PostgreSQL; test methods, constructors and lifecycle methods
 * receive a {@link javax.sql.DataSource} (a HikariCP pool), a {@link TestDatabase} or a {@link java.sql.Connection} as
 * parameters. A {@code Connection} is one of the pool's, the same for a test and its {@code @BeforeEach} and
 * {@code @AfterEach} methods, given back to the pool after them (what it left uncommitted is rolled back); a constructor's,
 * {@code @BeforeAll}'s or {@code @AfterAll}'s is one for the class, given back after it.
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
 * A {@code @Nested} class works in its enclosing class's database (it shares the enclosing instance, its
 * {@code @BeforeAll} fixtures and {@code @BeforeEach} methods); one annotated {@code @MdsPostgres} itself gets a database
 * of its own, which its tests, and the enclosing class's {@code @BeforeEach} run for them, are given, while the
 * enclosing instance keeps what its constructor was given.
 *
 * <p>Where the server comes from ({@link PostgresExtension}): {@code MDS_TEST_JDBC_URL} (with
 * {@code MDS_TEST_JDBC_USER} and {@code MDS_TEST_JDBC_PASSWORD}) names an existing server; otherwise one embedded
 * PostgreSQL 17 per JVM, started on first use. {@link Source#TESTCONTAINERS} asks for a Docker container and
 * skips the class, with the reason, when Docker is absent.
 *
 * <p>Who the tests connect as ({@link #role()}): by default the server's user ({@code postgres}, a superuser, on the
 * embedded server). {@code @MdsPostgres(role = Role.OWNER)} makes the class's database owned by a login role of
 * its own that is not a superuser (nor CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS), as a warehouse role of a real
 * deployment is: it may create schemas and temporary tables in its database, but no statement that needs a superuser
 * works. {@link TestDatabase#adminDataSource()} still connects as the server's user, for set-up that needs one.
 * The system property or environment variable {@code MDS_TEST_ROLE=owner} makes {@link Role#OWNER} the default of
 * every class that does not choose, to see which tests depend on a superuser.
 *
 * <p>A transaction opened with SQL ({@code begin}) and left open on a connection given back to a test pool is rolled
 * back, and the test that left it fails, naming the test and the session's last statement: a production pool would
 * hand it, open, to its next user. {@link #leftOpenTransactions()} {@code = WARN} (or, as the default of every class
 * that does not choose, the system property or environment variable {@code MDS_TEST_LEFT_OPEN_TRANSACTIONS=warn})
 * only logs it as a warning. The shared pool also resets a session's settings and role when it is given back
 * ({@link TestDatabase}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(PostgresExtension.class)
public @interface MdsPostgres {
    /** Where the server comes from. */
    Source value() default Source.DEFAULT;

    /** Who the injected {@code DataSource}s connect as. */
    Role role() default Role.DEFAULT;

    /** What a transaction opened with SQL and left open on a connection given back to a test pool does to the test. */
    LeftOpenTransactions leftOpenTransactions() default LeftOpenTransactions.DEFAULT;

    /** Where the server comes from. */
    enum Source {
        /** {@code MDS_TEST_JDBC_URL} when set, else the embedded server. */
        DEFAULT,
        /** The embedded server, even when {@code MDS_TEST_JDBC_URL} is set. */
        EMBEDDED,
        /** A PostgreSQL 17 container through Testcontainers; skipped when Docker is absent. */
        TESTCONTAINERS
    }

    /** Who the injected {@code DataSource}s connect as. */
    enum Role {
        /** {@link #OWNER} when {@code MDS_TEST_ROLE=owner} (system property or environment variable), else {@link #SERVER_USER}. */
        DEFAULT,
        /** The server's user ({@code postgres} on the embedded server: a superuser). */
        SERVER_USER,
        /** A login role of the database's own that owns the database and is not a superuser. */
        OWNER
    }

    /** What a transaction opened with SQL and left open on a connection given back to a test pool does to the test. */
    enum LeftOpenTransactions {
        /** {@link #WARN} when {@code MDS_TEST_LEFT_OPEN_TRANSACTIONS=warn} (system property or environment variable), else {@link #FAIL}. */
        DEFAULT,
        /** Rolled back with a warning in the log; the test goes on. */
        WARN,
        /** Rolled back, and the test that left it fails (after it ran), naming it and the session's last statement. */
        FAIL
    }
}
