package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressListenerTest {
    @Test
    void progressComputesRate() {
        Progress p = new Progress("load raw.users", 10_000, 2, 1 << 20, Duration.ofSeconds(2));
        assertThat(p.rowsPerSecond()).isEqualTo(5000.0);
        assertThat(new Progress("x", 5, 1, 0, Duration.ZERO).rowsPerSecond()).isZero();
    }

    @Test
    void listenersReceiveProgressAndDone() {
        List<Progress> seen = new ArrayList<>();
        ProgressListener l = seen::add;
        Progress p = new Progress("t", 1, 1, 0, Duration.ofMillis(5));
        l.onProgress(p);
        l.onDone(p);
        assertThat(seen).containsExactly(p, p);
        ProgressListener logging = ProgressListener.logging(Duration.ofHours(1));
        logging.onProgress(p);   // rate-limited: nothing to assert but that it does not throw
        logging.onDone(p);
        ProgressListener.NONE.onProgress(p);
    }
}
