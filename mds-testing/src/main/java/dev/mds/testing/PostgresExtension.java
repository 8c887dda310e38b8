package dev.mds.testing;

import dev.mds.testing.internal.ContainerServer;
import dev.mds.testing.internal.StartOnce;
import java.lang.reflect.Modifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JUnit 5 extension behind {@link MdsPostgres}: one fresh database per test class, dropped after it, on a
 * server shared by the whole JVM; a {@code @Nested} class works in its enclosing class's database unless it has an
 * {@code @MdsPostgres} of its own. Resolves parameters of type {@link DataSource}, {@link TestDatabase} and
 * {@link Connection} (one of the shared pool's per test, shared by the test and its {@code @BeforeEach} and
 * {@code @AfterEach} and given back after them; for a constructor, {@code @BeforeAll} or {@code @AfterAll}, one per class,
 * given back after the class). Under
 * {@link MdsPostgres.Role#OWNER} the database is owned by a login role of its own that is not a superuser, and the
 * {@code DataSource} connects as that role ({@link PostgresServer#createOwnedDatabase(String)}).
 */
public final class PostgresExtension implements ExecutionCondition, BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback, ParameterResolver {
    /** Names an existing server instead of the embedded one. */
    public static final String URL_VARIABLE = "MDS_TEST_JDBC_URL";
    public static final String USER_VARIABLE = "MDS_TEST_JDBC_USER";
    public static final String PASSWORD_VARIABLE = "MDS_TEST_JDBC_PASSWORD";
    /**
     * {@code owner} makes {@link MdsPostgres.Role#OWNER} the default of classes that do not choose a role (system
     * property or environment variable); {@code server_user} or unset keeps the server's user.
     */
    public static final String ROLE_VARIABLE = "MDS_TEST_ROLE";
    /**
     * {@code fail} makes {@link MdsPostgres.LeftOpenTransactions#FAIL} the default of classes that do not choose (system
     * property or environment variable); {@code warn} or unset keeps {@link MdsPostgres.LeftOpenTransactions#WARN}.
     */
    public static final String LEFT_OPEN_TRANSACTIONS_VARIABLE = "MDS_TEST_LEFT_OPEN_TRANSACTIONS";

    private static final Logger LOG = LoggerFactory.getLogger(PostgresExtension.class);
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PostgresExtension.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private static PostgresServer external;

    /** The JVM-wide server for tests: {@code MDS_TEST_JDBC_URL} when set, else the embedded one. */
    public static synchronized PostgresServer sharedServer() {
        Optional<String> url = env(URL_VARIABLE);
        if (url.isPresent()) {
            if (external == null) {
                external = PostgresServer.external(url.get(), env(USER_VARIABLE).orElse("postgres"),
                        env(PASSWORD_VARIABLE).orElse(""));
                // without the URL's parameters, which may hold a password (password=...)
                LOG.info("tests use the PostgreSQL server at {}", url.get().replaceFirst("\\?.*", "?..."));
            }
            return external;
        }
        return embeddedServer();
    }

    /**
     * The JVM-wide embedded server, started on first use and stopped when the JVM exits. When it fails to start, later
     * calls fail at once with that failure rather than wait for another start to fail.
     */
    public static PostgresServer embeddedServer() {
        return EMBEDDED.get();
    }

    private static final StartOnce<PostgresServer> EMBEDDED = new StartOnce<>("the embedded PostgreSQL", () -> {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.builder()
                // tests need no durability; benchmarks start their own durable server
                .setting("fsync", "off")
                .setting("synchronous_commit", "off")
                .setting("full_page_writes", "off")
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mds-embedded-postgres-stop"));
        return server;
    });

    private static Optional<String> env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            v = System.getProperty(name);
        }
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    /** Skips (disables, with the reason) a Testcontainers class on a machine without Docker. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestClass().map(PostgresExtension::source).orElse(MdsPostgres.Source.DEFAULT)
                != MdsPostgres.Source.TESTCONTAINERS) {
            return ConditionEvaluationResult.enabled("no container needed");
        }
        return ContainerServer.unavailableReason()
                .map(why -> ConditionEvaluationResult.disabled("asks for a Testcontainers PostgreSQL, but " + why))
                .orElseGet(() -> ConditionEvaluationResult.enabled("Docker is available"));
    }

    /**
     * The source the nearest {@code @MdsPostgres} asks for: the class's own (or a superclass's), else that of the class
     * enclosing a {@code @Nested} (inner) class, whose extension the nested class inherits.
     */
    private static MdsPostgres.Source source(Class<?> testClass) {
        return annotation(testClass).map(MdsPostgres::value).orElse(MdsPostgres.Source.DEFAULT);
    }

    /** The nearest {@code @MdsPostgres}: the class's own (or a superclass's), else an enclosing class's. */
    private static Optional<MdsPostgres> annotation(Class<?> testClass) {
        for (Class<?> c = testClass; c != null;
                c = Modifier.isStatic(c.getModifiers()) ? null : c.getEnclosingClass()) {
            Optional<MdsPostgres> annotation = AnnotationSupport.findAnnotation(c, MdsPostgres.class);
            if (annotation.isPresent()) {
                return annotation;
            }
        }
        return Optional.empty();
    }

    /** The role the nearest {@code @MdsPostgres} asks for, {@link MdsPostgres.Role#DEFAULT} resolved. */
    static MdsPostgres.Role role(Class<?> testClass) {
        return resolved(testClass, MdsPostgres::role, MdsPostgres.Role.class, MdsPostgres.Role.SERVER_USER, ROLE_VARIABLE,
                "owner or server_user");
    }

    /** What the nearest {@code @MdsPostgres} does about left open transactions, {@link MdsPostgres.LeftOpenTransactions#DEFAULT} resolved. */
    static MdsPostgres.LeftOpenTransactions leftOpenTransactions(Class<?> testClass) {
        return resolved(testClass, MdsPostgres::leftOpenTransactions, MdsPostgres.LeftOpenTransactions.class,
                MdsPostgres.LeftOpenTransactions.FAIL, LEFT_OPEN_TRANSACTIONS_VARIABLE, "fail or warn");
    }

    /**
     * An {@code @MdsPostgres} attribute of the nearest annotation; its {@code DEFAULT} (or no annotation) resolved to
     * {@code variable}'s value (system property or environment, any case), else to {@code fallback}.
     *
     * @throws IllegalStateException when the variable names no constant, saying which are {@code expected}
     */
    private static <E extends Enum<E>> E resolved(Class<?> testClass, Function<MdsPostgres, E> attribute, Class<E> type,
            E fallback, String variable, String expected) {
        E unset = Enum.valueOf(type, "DEFAULT");
        E chosen = annotation(testClass).map(attribute).orElse(unset);
        if (chosen != unset) {
            return chosen;
        }
        String wanted = env(variable).orElse(fallback.name()).strip().toUpperCase(Locale.ROOT);
        try {
            E e = Enum.valueOf(type, wanted);
            return e == unset ? fallback : e;
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(variable + " is '" + wanted + "', expected " + expected, e);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        TestDatabase.RUNNING_TEST_NAME.set("the set-up of " + context.getRequiredTestClass().getName());
        classDatabase(context);
    }

    /**
     * The database of the class whose context this is, created on first need: in {@link #beforeAll}, or before it
     * when a {@code @TestInstance(PER_CLASS)} class's constructor asks for it (JUnit creates such an instance first).
     * A {@code @Nested} class without an {@code @MdsPostgres} of its own (nor a superclass's) works in its enclosing
     * class's database, as it works with its enclosing instance, {@code @BeforeAll} fixtures and {@code @BeforeEach}
     * methods; one with its own gets its own. Keyed by the owning class's context.
     */
    private static TestDatabase classDatabase(ExtensionContext classContext) {
        Class<?> testClass = classContext.getRequiredTestClass();
        Optional<ExtensionContext> enclosing = classContext.getParent()
                .filter(p -> p.getTestClass().isPresent() && p.getTestMethod().isEmpty());
        if (enclosing.isPresent() && !Modifier.isStatic(testClass.getModifiers())
                && AnnotationSupport.findAnnotation(testClass, MdsPostgres.class).isEmpty()) {
            return classDatabase(enclosing.get());
        }
        return classContext.getStore(NS).getOrComputeIfAbsent(classContext.getUniqueId(), k -> {
            MdsPostgres.Source source = source(classContext.getRequiredTestClass());
            PostgresServer server = switch (source) {
                case DEFAULT -> sharedServer();
                case EMBEDDED -> embeddedServer();
                case TESTCONTAINERS -> containerServer(classContext);
            };
            String name = databaseName(classContext.getRequiredTestClass());
            TestDatabase db = role(classContext.getRequiredTestClass()) == MdsPostgres.Role.OWNER
                    ? server.createOwnedDatabase(name) : server.createDatabase(name);
            db.failOnLeftOpenTransactions(leftOpenTransactions(classContext.getRequiredTestClass())
                    == MdsPostgres.LeftOpenTransactions.FAIL);
            db.classDatabase();
            return db;
        }, TestDatabase.class);
    }

    private static PostgresServer containerServer(ExtensionContext context) {
        Optional<String> whyNot = ContainerServer.unavailableReason();
        if (whyNot.isPresent()) {
            throw new TestAbortedException("skipped: " + context.getRequiredTestClass().getSimpleName()
                    + " asks for a Testcontainers PostgreSQL, but " + whyNot.get());
        }
        return context.getRoot().getStore(NS).getOrComputeIfAbsent(ContainerServer.class, k -> ContainerServer.start(),
                ContainerServer.class);
    }

    /**
     * A name no other test run uses: {@link PostgresServer#createDatabase} drops a database of the same name first,
     * and two runs on one external server can have the same process id (each in its own container).
     */
    private static String databaseName(Class<?> testClass) {
        String simple = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String run = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
        String prefix = "t" + COUNTER.incrementAndGet() + "_" + ProcessHandle.current().pid() + "_" + run + "_";
        String name = prefix + simple;
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /** Fails a test whose class set-up (constructor, {@code @BeforeAll}) left a transaction open on a pooled connection. */
    @Override
    public void beforeEach(ExtensionContext context) {
        failOnLeftOpenTransactions(context, null, "the set-up of " + context.getRequiredTestClass().getName()
                + " (its constructor or @BeforeAll), run before " + testName(context) + ",");
        TestDatabase.RUNNING_TEST.set(context.getUniqueId());
        TestDatabase.RUNNING_TEST_NAME.set(testName(context));
        TestDatabase.RUNNING_TESTS.add(context.getUniqueId());
    }

    /**
     * Fails a test that left a transaction open on a pooled connection (in it or its {@code @BeforeEach}/{@code @AfterEach}):
     * one given back on its thread, or on a thread of no test; not one given back on the thread of another test
     * running at the same time.
     */
    @Override
    public void afterEach(ExtensionContext context) {
        try {
            closeConnections(context);
        } finally {
            TestDatabase.RUNNING_TEST.remove();
            TestDatabase.RUNNING_TEST_NAME.remove();
            TestDatabase.RUNNING_TESTS.remove(context.getUniqueId());
        }
        failOnLeftOpenTransactions(context, context.getUniqueId(), testName(context));
    }

    private static String testName(ExtensionContext context) {
        String method = context.getRequiredTestMethod().getName();
        String display = context.getDisplayName();
        return context.getRequiredTestClass().getName() + "#" + method
                + (display.startsWith(method + "(") ? "" : " [" + display + "]");
    }

    /** The databases of the classes around {@code context}'s test, nearest first, that exist already. */
    private static List<TestDatabase> databases(ExtensionContext context) {
        List<TestDatabase> out = new ArrayList<>();
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            if (c.get().getTestClass().isPresent() && c.get().getTestMethod().isEmpty()) {
                TestDatabase db = c.get().getStore(NS).get(c.get().getUniqueId(), TestDatabase.class);
                if (db != null) {
                    out.add(db);
                }
            }
        }
        return out;
    }

    /** {@code test}: the unique id of the test whose own left open transactions are taken too (null: only those of no test). */
    private static void failOnLeftOpenTransactions(ExtensionContext context, String test, String who) {
        List<String> found = new ArrayList<>();
        for (TestDatabase db : databases(context)) {
            found.addAll(db.takeLeftOpenTransactions(test == null ? "" : test));
        }
        if (!found.isEmpty()) {
            throw new AssertionError(who + " left " + (found.size() == 1 ? "a transaction" : found.size() + " transactions")
                    + " open on a pooled connection (rolled back; @MdsPostgres(leftOpenTransactions = WARN) would only"
                    + " log it):\n  " + String.join("\n  ", found));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        closeConnections(context);
        TestDatabase db = context.getStore(NS).remove(context.getUniqueId(), TestDatabase.class);
        if (db != null) {
            List<String> found = db.takeLeftOpenTransactions();
            try {
                db.drop();
            } catch (RuntimeException e) {
                LOG.warn("could not drop test database {}: {}", db.name(), e.getMessage());
            }
            if (!found.isEmpty()) {
                throw new AssertionError("the tear-down of " + context.getRequiredTestClass().getName()
                        + " (@AfterAll) left a transaction open on a pooled connection (rolled back):\n  "
                        + String.join("\n  ", found));
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == DataSource.class || type == TestDatabase.class || type == Connection.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // the nearest class's database: a test method's class, or the class whose instance is being created
        Optional<ExtensionContext> c = Optional.of(context);
        while (c.isPresent() && (c.get().getTestMethod().isPresent() || c.get().getTestClass().isEmpty())) {
            c = c.get().getParent();
        }
        if (c.isEmpty()) {
            throw new ParameterResolutionException("no test database: is the class annotated with @MdsPostgres?");
        }
        TestDatabase db = classDatabase(c.get());
        Class<?> type = parameter.getParameter().getType();
        if (type == Connection.class) {
            return connections(context).get(db);
        }
        return type == TestDatabase.class ? db : db.dataSource();
    }

    /**
     * The connections handed to parameters in {@code context}: a test's (its method, {@code @BeforeEach} and
     * {@code @AfterEach} share one per database), or a class's (its constructor, {@code @BeforeAll}, {@code @AfterAll}).
     */
    private static Connections connections(ExtensionContext context) {
        return context.getStore(NS).getOrComputeIfAbsent(Connections.key(context), k -> new Connections(), Connections.class);
    }

    /** Gives back the connections handed to parameters in {@code context}, if any. */
    private static void closeConnections(ExtensionContext context) {
        Connections open = context.getStore(NS).remove(Connections.key(context), Connections.class);
        if (open != null) {
            open.close();
        }
    }

    /** Connections from the shared pools, one per database, given back together (closed by JUnit too, if need be). */
    private static final class Connections implements AutoCloseable {
        private final java.util.Map<String, Connection> open = new java.util.concurrent.ConcurrentHashMap<>();

        static String key(ExtensionContext context) {
            return "connections " + context.getUniqueId();
        }

        Connection get(TestDatabase db) {
            return open.computeIfAbsent(db.name(), name -> {
                try {
                    return db.dataSource().getConnection();
                } catch (SQLException e) {
                    throw new ParameterResolutionException("cannot connect to database " + db.name() + " on " + db.host() + ":" + db.port() + ": " + e.getMessage(), e);
                }
            });
        }

        @Override
        public void close() {
            for (java.util.Iterator<Connection> it = open.values().iterator(); it.hasNext(); ) {
                Connection c = it.next();
                it.remove();
                try {
                    c.close();   // back to the pool, which rolls back what is left open (see TestDatabase)
                } catch (SQLException e) {
                    LOG.warn("could not give back a connection handed to a parameter: {}", e.getMessage());
                }
            }
        }
    }
}
