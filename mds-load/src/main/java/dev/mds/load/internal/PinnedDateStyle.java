package dev.mds.load.internal;

import dev.mds.core.FieldType.Kind;
import dev.mds.core.Identifiers;
import dev.mds.core.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * The {@code DateStyle} one load runs with when its batch sends text to a {@code date} or {@code timestamp(tz)} column
 * (a CSV source's strings), so that the text is read as the loader's {@link dev.mds.load.DateOrder} says and not as the
 * session's DateStyle would ({@code 11-07-2023}: 7 November under PostgreSQL's default {@code ISO, MDY}, 11 July under
 * {@code ISO, DMY}). Set with {@code set_config(…, true)} in one round trip, only for such a batch (typed values go by
 * binary COPY or ISO text, which every DateStyle reads alike), before any statement that reads the text (the key and
 * cursor comparisons, the COPY); the session's value is set back after the load in one more. A failed load leaves it
 * to the transaction's rollback, which a failed load needs anyway (also a caller's). Not thread-safe: one per load.
 */
final class PinnedDateStyle {
    /** Catalog type names whose text input DateStyle decides (with their array types), domains resolved. */
    private static final Set<String> DATE_TYPES = Set.of("date", "timestamp", "timestamptz", "_date", "_timestamp", "_timestamptz");
    /** Field kinds sent as ISO text or in binary: read alike under every DateStyle. */
    private static final Set<Kind> TYPED = Set.of(Kind.DATE, Kind.TIMESTAMP, Kind.TIMESTAMPTZ, Kind.TIME);
    private static final String PIN = "select s.old, set_config('DateStyle', ?, true) from (select current_setting('DateStyle') old"
            + " offset 0) s";

    private final String style;
    private boolean pinned;
    /** The session's (or caller's transaction's) DateStyle to set back, when it differs from {@link #style}. */
    private String restore;

    PinnedDateStyle(LoadSpec spec) {
        this.style = spec.dateOrder().dateStyle();
    }

    /**
     * Whether the column's values are text that the pinned DateStyle reads (a string field into a date column, or into
     * a column of a domain over a date type: its text goes through the base type's input).
     */
    static boolean readsText(Plan plan, String column) {
        if (column == null || !plan.baseTypeNames.containsKey(column) || !DATE_TYPES.contains(plan.baseTypeNames.get(column))) {
            return false;
        }
        int i = plan.schema.indexOf(column);
        return i >= 0 && !TYPED.contains(plan.schema.field(i).type().kind());
    }

    /** Whether {@code plan} sends text to a date column: the loads whose DateStyle is pinned (and shown). */
    private static boolean sendsText(Plan plan) {
        return plan.columns.stream().anyMatch(col -> readsText(plan, col));
    }

    /** Pins the DateStyle on {@code c} when {@code plan} sends text to a date column and it is not pinned yet. */
    void pin(Connection c, Plan plan) {
        if (pinned || !sendsText(plan)) {
            return;
        }
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(PIN)) {
            ps.setString(1, style);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String old = rs.getString(1);
                restore = style.equals(old) ? null : old;
            }
        } catch (SQLException e) {
            throw Sql.failed(PIN, e);
        }
        Sql.logged(PIN, t0);
        pinned = true;
    }

    /**
     * The pin as {@code sql()} shows it, first of a load's statements, when {@code plan} sends text to a date column
     * (the load also reads the session's value in it, and sets it back after the load when it differed); else none.
     */
    static List<String> shown(LoadSpec spec, Plan plan) {
        return !sendsText(plan) ? List.of()
                : List.of("select set_config('DateStyle', " + Identifiers.literal(spec.dateOrder().dateStyle()) + ", true)");
    }

    /** Sets the DateStyle back to what it was before {@link #pin}, after a load that succeeded. */
    void restore(Connection c) {
        if (restore == null) {
            return;
        }
        String sql = "select set_config('DateStyle', ?, true)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, restore);
            ps.executeQuery().close();
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        restore = null;
        pinned = false;
    }

    /** The hint the message of a text date the COPY refused ends with. */
    static String hint(LoadSpec spec) {
        String order = switch (spec.dateOrder()) {
            case YEAR_FIRST -> "year first";
            case DAY_FIRST -> "day first";
            case MONTH_FIRST -> "month first";
        };
        return "; give dates year first (ISO 8601: 2023-07-11): the loader reads text dates " + order + " (DateStyle '"
                + spec.dateOrder().dateStyle() + "') whatever the session's DateStyle, and MergeLoader.Builder.dateOrder"
                + " sets another order for day- or month-first dates";
    }
}
