package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.testing.internal.StartOnce;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The JVM-wide embedded server is started through a {@link StartOnce}: after a failed start, the next test class fails at
 * once with that failure instead of waiting for a start of its own to fail (60 s each, by default).
 */
class StartOnceTest {
    @Test
    void aFailedStartIsNotTriedAgainAndLaterCallsFailAtOnceWithItsReason() {
        AtomicInteger starts = new AtomicInteger();
        StartOnce<String> server = new StartOnce<>("the embedded PostgreSQL", () -> {
            starts.incrementAndGet();
            throw new MdsException("cannot start the embedded PostgreSQL: FATAL:  invalid value for parameter \"shared_buffers\"");
        });
        assertThatThrownBy(server::get).isInstanceOf(MdsException.class).hasMessageStartingWith("cannot start");
        assertThatThrownBy(server::get).isInstanceOf(MdsException.class)
                .hasMessage("the embedded PostgreSQL failed to start earlier in this JVM, and is not tried again: cannot start"
                        + " the embedded PostgreSQL: FATAL:  invalid value for parameter \"shared_buffers\"")
                .cause().hasMessageStartingWith("cannot start");
        assertThat(starts).hasValue(1);
    }

    @Test
    void aStartedValueIsStartedOnce() {
        AtomicInteger starts = new AtomicInteger();
        StartOnce<Integer> server = new StartOnce<>("a server", starts::incrementAndGet);
        assertThat(server.get()).isEqualTo(1);
        assertThat(server.get()).isEqualTo(1);
        assertThat(starts).hasValue(1);
    }
}
