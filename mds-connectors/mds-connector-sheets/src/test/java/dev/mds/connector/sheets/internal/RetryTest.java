package dev.mds.connector.sheets.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryTest {
    /**
     * Google refills the Sheets API's read quota (60 requests per minute per user, 300 per project) each minute and
     * answers 429 until then, usually without Retry-After. The default retries must wait out that minute: 5 attempts
     * waited 1 + 2 + 4 + 8 = 15 s in all and then failed the read (Airbyte's connector waits minutes), and the 32 s
     * longest wait was never reached.
     */
    @Test
    void theDefaultRetriesWaitOutGooglesPerMinuteQuotaBeforeGivingUp() {
        Retry retry = Retry.DEFAULT;
        for (int run = 0; run < 20; run++) {   // the jitter only adds
            Duration waited = Duration.ZERO;
            for (int attempt = 1; attempt < retry.maxAttempts(); attempt++) {
                waited = waited.plus(retry.backoff(attempt));
            }
            assertThat(waited).isGreaterThanOrEqualTo(Duration.ofSeconds(60));
        }
        assertThat(retry.backoff(retry.maxAttempts() - 1)).isGreaterThanOrEqualTo(retry.max());
    }
}
