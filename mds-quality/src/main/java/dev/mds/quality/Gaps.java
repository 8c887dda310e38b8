package dev.mds.quality;

/**
 * What {@link TableChecks#mutuallyExclusiveRanges(String, String, Gaps, boolean, String...)} says about the space
 * between one range and the next of its group: dbt-utils' {@code gaps} argument.
 *
 * <pre>{@code
 * t.mutuallyExclusiveRanges("valid_from", "valid_to", Gaps.NOT_ALLOWED, false, "customer_id")
 * }</pre>
 */
public enum Gaps {
    /**
     * A range may end before the next begins, or where it begins ({@code upper <= next lower}): dbt-utils' default, and
     * that of {@link TableChecks#mutuallyExclusiveRanges(String, String, String...)}.
     */
    ALLOWED,
    /** Each range ends exactly where the next begins ({@code upper = next lower}): the ranges tile their group. */
    NOT_ALLOWED,
    /** Each range ends strictly before the next begins ({@code upper < next lower}): touching ranges fail. */
    REQUIRED
}
