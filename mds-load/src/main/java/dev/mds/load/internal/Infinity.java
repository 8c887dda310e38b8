package dev.mds.load.internal;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;

/**
 * PostgreSQL's {@code infinity} and {@code -infinity} of a date or timestamp as mds carries them, which is as pgjdbc
 * reads and writes them: {@link LocalDate#MAX} and {@link LocalDate#MIN}, {@link LocalDateTime#MAX} and
 * {@link LocalDateTime#MIN}, {@link OffsetDateTime#MAX} and {@link OffsetDateTime#MIN}, and {@link Instant#MAX} and
 * {@link Instant#MIN} (a {@link ZonedDateTime} at the date-time and offset of {@code OffsetDateTime}'s). Only these
 * exact values: a date one day before {@code LocalDate.MAX} is a date beyond PostgreSQL's range, which it refuses.
 */
final class Infinity {
    private Infinity() {
    }

    /** 1 for {@code infinity}, -1 for {@code -infinity}, 0 for any other value. */
    static int sign(Object v) {
        if (v instanceof LocalDate d) {
            return d.equals(LocalDate.MAX) ? 1 : d.equals(LocalDate.MIN) ? -1 : 0;
        }
        if (v instanceof LocalDateTime t) {
            return t.equals(LocalDateTime.MAX) ? 1 : t.equals(LocalDateTime.MIN) ? -1 : 0;
        }
        if (v instanceof OffsetDateTime o) {
            return o.equals(OffsetDateTime.MAX) ? 1 : o.equals(OffsetDateTime.MIN) ? -1 : 0;
        }
        if (v instanceof Instant i) {
            return i.equals(Instant.MAX) ? 1 : i.equals(Instant.MIN) ? -1 : 0;
        }
        if (v instanceof ZonedDateTime z) {
            return sign(z.toOffsetDateTime());
        }
        return 0;
    }

    /** PostgreSQL's text for a value of {@link #sign} {@code sign} (not 0). */
    static String text(int sign) {
        return sign > 0 ? "infinity" : "-infinity";
    }
}
