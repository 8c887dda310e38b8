package dev.mds.quality;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one check found.
 *
 * <pre>{@code
 * CheckResult r = report.check("raw.transactions", "not_null_quantity").orElseThrow();
 * r.status();            // FAIL
 * r.failingRows();       // 16
 * r.samples().get(0);    // {transaction_id=1006, quantity=null}
 * }</pre>
 *
 * @param table the table checked, as {@code schema.name}
 * @param id the check's id, unique within its table ({@code not_null_quantity}, {@code unique_a_b}, or the id given)
 * @param kind what kind of check ({@code not_null}, {@code unique}, {@code accepted_values}, {@code relationships},
 *     {@code range}, {@code matches}, {@code row_count}, {@code freshness}, {@code expression},
 *     {@code row_count_anomaly}, {@code statistic}, {@code not_accepted_values}, {@code length}, {@code not_constant},
 *     {@code at_least_one}, {@code sequential_values}, {@code mutually_exclusive_ranges}, {@code equal_row_count},
 *     {@code fewer_rows_than}, {@code columns}, {@code column_type}, {@code equality})
 * @param columns the columns the check is about, then the columns it is grouped by (empty for table-level checks)
 * @param severity how much a failure matters
 * @param status the outcome
 * @param observed the measured value in words, e.g. {@code 16 of 100 rows are NULL} or {@code 1203 rows}
 * @param failingRows rows that failed (for unique: rows whose key is shared with another row; for a check grouped by
 *     columns, other than sequential values: the groups that failed; for a check that
 *     {@link TableChecks#countValues counts values}: the duplicated keys or the distinct failing values); 0 for
 *     table-level checks
 * @param checkedRows rows the check looked at (after the table's {@code where}; for a grouped check: its groups; for a
 *     check that counts values: the distinct keys or values it compared); -1 when unknown
 * @param failingPercent {@code failingRows} as a percentage of {@code checkedRows} (NULLs included; a threshold of
 *     {@link Threshold#percentOfNonNull} judges the share of the non-NULL rows, which the message gives)
 * @param samples up to N failing rows (key columns and offending values), only for checks that did not pass
 * @param sql the statement that computed the check (shared by all row-level checks of one scan)
 * @param duration the time of that statement
 * @param message why the check failed or could not run; empty when it passed
 * @param decidedBy the threshold that made a row-level check {@link Status#WARN} or {@link Status#FAIL}, as
 *     {@code error_if > 10 rows} or {@code warn_if > 5.0% of non-null rows} (see {@link TableChecks#warnIf});
 *     empty when none did (a pass, a table-level check, an {@link Status#ERROR})
 * @param failuresTable the table that holds this run's failing rows of the check, as {@code schema.name}, when the
 *     suite {@link QualitySuite#storeFailures stores failures} and the (row-level) check found failing rows, also
 *     under a threshold that let it pass; empty otherwise
 */
public record CheckResult(String table, String id, String kind, List<String> columns, Severity severity, Status status,
        String observed, long failingRows, long checkedRows, double failingPercent, List<Map<String, Object>> samples,
        String sql, Duration duration, String message, String decidedBy, String failuresTable) {
    public CheckResult {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        columns = List.copyOf(columns);
        samples = List.copyOf(samples);
        observed = observed == null ? "" : observed;
        sql = sql == null ? "" : sql;
        message = message == null ? "" : message;
        duration = duration == null ? Duration.ZERO : duration;
        decidedBy = decidedBy == null ? "" : decidedBy;
        failuresTable = failuresTable == null ? "" : failuresTable;
    }

    /** A result no threshold decided and whose failing rows were not stored. */
    public CheckResult(String table, String id, String kind, List<String> columns, Severity severity, Status status,
            String observed, long failingRows, long checkedRows, double failingPercent, List<Map<String, Object>> samples,
            String sql, Duration duration, String message) {
        this(table, id, kind, columns, severity, status, observed, failingRows, checkedRows, failingPercent, samples, sql,
                duration, message, "", "");
    }

    /** Whether the check passed or only warned. */
    public boolean ok() {
        return status == Status.PASS || status == Status.WARN;
    }
}
