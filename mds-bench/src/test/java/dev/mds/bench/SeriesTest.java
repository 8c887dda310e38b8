package dev.mds.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class SeriesTest {

    @Test
    void theSummaryIsInAsciiDigitsWhateverTheDefaultLocale() {
        Locale before = Locale.getDefault();
        try {
            for (String tag : new String[] {"ar-SA", "de-DE", "th-TH-u-nu-thai"}) {
                Locale.setDefault(Locale.forLanguageTag(tag));
                Series s = new Series("COPY");
                s.record(0, 9_000_000_000L);   // the warm-up: printed, not counted
                s.record(1, 1_500_000_000L);
                s.record(2, 1_234_000_000L);
                s.record(3, 2_000_000_000L);
                assertThat(s.summary()).as(tag).isEqualTo("COPY: median 1.500 s (min 1.234, max 2.000, n 3)");
            }
        } finally {
            Locale.setDefault(before);
        }
    }
}
