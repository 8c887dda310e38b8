package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Under JUnit's parallel execution, the test that left a transaction open fails, not another test of the class that
 * ends while it runs. Before, the class's database kept one list of left open transactions, and the first test to end
 * took it: a clean test failed, naming itself as the one that left the other's transaction open, and the test that
 * left it passed.
 */
class ConcurrentLeftOpenTransactionsTest {
    static final CountDownLatch LEFT_OPEN = new CountDownLatch(1);
    static final CountDownLatch CLEAN_ENDED = new CountDownLatch(1);

    /** Registered before the extension, so that its afterEach runs after the extension's. */
    static final class CleanEnded implements AfterEachCallback {
        @Override
        public void afterEach(ExtensionContext context) {
            if (context.getRequiredTestMethod().getName().equals("endsWhileTheOtherRuns")) {
                CLEAN_ENDED.countDown();
            }
        }
    }

    @ExtendWith(CleanEnded.class)
    @MdsPostgres(leftOpenTransactions = MdsPostgres.LeftOpenTransactions.FAIL)
    @Execution(ExecutionMode.CONCURRENT)
    static class TwoAtOnce {
        @Test
        void leavesATransactionOpen(DataSource ds) throws Exception {
            LeftOpenTransactionsTest.leaveOpen(ds, "begin", "select 'mine'");
            LEFT_OPEN.countDown();
            CLEAN_ENDED.await(60, TimeUnit.SECONDS);   // the other test ends (its afterEach too) while this one runs
        }

        @Test
        void endsWhileTheOtherRuns() throws Exception {
            LEFT_OPEN.await(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void theTestThatLeftItFailsAndTheOtherPasses() {
        Map<String, String> out = new java.util.concurrent.ConcurrentSkipListMap<>();   // told of from both test threads
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(TwoAtOnce.class))
                .configurationParameters(Map.of("junit.jupiter.execution.parallel.enabled", "true",
                        "junit.jupiter.execution.parallel.config.strategy", "fixed",
                        "junit.jupiter.execution.parallel.config.fixed.parallelism", "2"))
                .build(), new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        if (id.isTest()) {
                            out.put(id.getDisplayName().replaceAll("\\(.*", ""),
                                    result.getThrowable().map(Throwable::getMessage).orElse("passed"));
                        }
                    }
                });
        assertThat(CLEAN_ENDED.getCount()).as("the two tests ran at once").isZero();
        assertThat(out).containsEntry("endsWhileTheOtherRuns", "passed");
        assertThat(out.get("leavesATransactionOpen")).contains("TwoAtOnce#leavesATransactionOpen left a transaction open")
                .contains("last statement: select 'mine'");
    }
}
