package dev.mds.transform;

import dev.mds.core.TableName;
import java.time.Duration;
import java.time.Instant;
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
 * @param rows rows written: the table's rows for a table (or a full incremental build), the inserted rows for an
 *     incremental run, the versions inserted for a snapshot, the rows loaded for a seed; empty for views and models
 *     that did not succeed
 * @param started when the model started (or was skipped)
 * @param duration how long it took, zero when skipped
 * @param error for {@link ModelStatus#ERROR} the reason (model, file and line, PostgreSQL's message); for
 *     {@link ModelStatus#SKIPPED} which upstream model did not succeed; empty on success
 */
public record ModelResult(TableName table, Materialization materialization, ModelStatus status, OptionalLong rows,
        Instant started, Duration duration, Optional<String> error) {

    /** Checks that no component is null. */
    public ModelResult {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(materialization, "materialization");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(error, "error");
    }

    /** The model's name as written in {@code ref()}: {@code silver.transactions}. */
    public String name() {
        return table.toString();
    }

    /** One line: {@code silver.transactions incremental SUCCESS 42 rows 12 ms}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(name()).append(' ').append(materialization.configName()).append(' ')
                .append(status);
        rows.ifPresent(r -> s.append(' ').append(r).append(" rows"));
        s.append(' ').append(duration.toMillis()).append(" ms");
        error.ifPresent(e -> s.append(": ").append(e));
        return s.toString();
    }
}
