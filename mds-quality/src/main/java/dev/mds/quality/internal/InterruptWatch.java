package dev.mds.quality.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancels the statements a run has open on its connection when the run's thread is interrupted: a thread blocked in
 * a JDBC call (a socket read, for pgjdbc) does not see its interrupt, so another thread must notice it and call
 * {@link Statement#cancel()} (pgjdbc then sends the server a cancel request, and the statement fails with SQLSTATE
 * 57014). {@link #connection()} is the run's connection with every statement made through it tracked, those made by
 * mds-core's helpers too.
 *
 * <p>One shared daemon thread polls the watched runs' threads every {@value #POLL_MILLIS} ms while a run is being
 * watched ({@link #start()} to {@link #close()}), and ends a few seconds after the last run stopped being watched, as
 * pgjdbc's own timer for {@code setQueryTimeout} does. Not thread-safe otherwise: one per run.
 */
final class InterruptWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InterruptWatch.class);
    static final long POLL_MILLIS = 50;
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private final Connection target;
    private final Connection connection;
    private final Set<Statement> open = ConcurrentHashMap.newKeySet();
    private volatile Thread owner;
    private ScheduledFuture<?> polling;

    InterruptWatch(Connection target) {
        this.target = target;
        this.connection = (Connection) Proxy.newProxyInstance(InterruptWatch.class.getClassLoader(),
                new Class<?>[] {Connection.class}, new Tracking());
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "mds-quality-interrupt-watch");
            thread.setDaemon(true);
            return thread;
        });
        t.setKeepAliveTime(5, TimeUnit.SECONDS);
        t.allowCoreThreadTimeOut(true);
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** The watched connection: the target, its statements tracked. */
    Connection connection() {
        return connection;
    }

    /** Starts watching the calling thread: from now on its interrupt cancels the open statements. */
    InterruptWatch start() {
        owner = Thread.currentThread();
        polling = TIMER.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Stops watching. */
    @Override
    public void close() {
        if (polling != null) {
            polling.cancel(false);
            polling = null;
        }
        owner = null;
        open.clear();
    }

    private void poll() {
        Thread t = owner;
        if (t == null || !t.isInterrupted()) {
            return;
        }
        // each poll while the flag is set: a statement made before the interrupt may start only after this poll;
        // pgjdbc sends a cancel request only for a statement that is running, once per execution
        for (Statement st : open) {
            try {
                if (!st.isClosed()) {
                    st.cancel();
                    LOG.debug("cancelling the statement of a quality run: its thread {} was interrupted", t.getName());
                }
            } catch (SQLException | RuntimeException e) {
                LOG.debug("cannot cancel a statement of an interrupted quality run: {}", e.getMessage());
            }
        }
    }

    /** Forwards every call to the target, and keeps the statements it makes. */
    private final class Tracking implements InvocationHandler {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "equals":
                    return args[0] == proxy;
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "watched " + target;
                default:
                    break;
            }
            Object out;
            try {
                out = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (out instanceof Statement st) {
                open.removeIf(InterruptWatch::closed);
                open.add(st);
            }
            return out;
        }
    }

    private static boolean closed(Statement st) {
        try {
            return st.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
