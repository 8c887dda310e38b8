package dev.mds.transform;

import dev.mds.core.TableName;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The outcome of one model in a {@link TransformProject#run()}.
 *
 * <pre>{@code
 * ModelResult m = results.model("silver.transactions");
 * if (m.status() == ModelStatus.ERROR) log.warn(m.error().orElseThrow());
 * }</pre>
 *
 * @param table the model's table or view
 * @param materialization how it was (or would have been) built
 * @param status success, error or skipped
 * @param rows rows written: the table's rows for a table (or a full incremental build), the rows an incremental run
 *     writes (inserted by delete+insert or append, also those replacing a deleted key; updated or inserted by merge,
 *     as its MERGE counts them), the versions inserted for a snapshot, the rows loaded for a seed; empty for views
 *     and models that did not succeed
 * @param started when the model started (or was skipped)
 * @param duration how long it took, zero when skipped
 * @param error for {@link ModelStatus#ERROR} the reason (model, file and line, PostgreSQL's message); for
 *     {@link ModelStatus#SKIPPED} which upstream model did not succeed; empty on success
 * @param keptViews the views over the model's old relation (directly or through other views) that no model rebuilds
 *     after it in the run, and that replacing the relation dropped and created again over the new one, as they were
 *     (definition, owner, options, grants, comments, column defaults, triggers, rules), in the order they were
 *     created; empty when the model did not succeed or replaced nothing anything depended on. The views of models
 *     rebuilt after it are kept the same way until their own builds replace them, but not listed
 */
public record ModelResult(TableName table, Materialization materialization, ModelStatus status, OptionalLong rows,
        Instant started, Duration duration, Optional<String> error, List<TableName> keptViews) {

    /** Checks that no component is null; copies the list. */
    public ModelResult {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(materialization, "materialization");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(error, "error");
        keptViews = List.copyOf(keptViews);
    }

    /** A result that kept no views. */
    public ModelResult(TableName table, Materialization materialization, ModelStatus status, OptionalLong rows,
            Instant started, Duration duration, Optional<String> error) {
        this(table, materialization, status, rows, started, duration, error, List.of());
    }

    /** The model's name as written in {@code ref()}: {@code silver.transactions}. */
    public String name() {
        return table.toString();
    }

    /**
     * One line: {@code silver.transactions incremental SUCCESS 42 rows 12 ms}, then the kept views when there are any:
     * {@code gold.orders table SUCCESS 3 rows 9 ms (kept views: report.orders_open)}.
     */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(name()).append(' ').append(materialization.configName()).append(' ')
                .append(status);
        rows.ifPresent(r -> s.append(' ').append(r).append(" rows"));
        s.append(' ').append(duration.toMillis()).append(" ms");
        if (!keptViews.isEmpty()) {
            s.append(" (kept views: ").append(String.join(", ", keptViews.stream().map(TableName::toString).toList()))
                    .append(')');
        }
        error.ifPresent(e -> s.append(": ").append(e));
        return s.toString();
    }
}
