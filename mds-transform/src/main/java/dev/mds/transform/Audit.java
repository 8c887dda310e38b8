package dev.mds.transform;

import dev.mds.core.TableName;
import java.sql.Connection;

/**
 * A check of a model's new version, run in the model's transaction once it is built and before it commits: the
 * write-audit-publish pattern (dbt's {@code dbt build}, where a model's tests run right after it, but atomic: a rejected
 * build is never seen). Readers keep seeing the previous version while the audit runs, and after a rejection.
 *
 * <pre>{@code
 * TransformProject.builder(ds).modelsFrom(Path.of("models"))
 *     .audit("gold.revenue", (connection, relation) -> QualitySuite.on(ds)
 *         .table(relation.toString(), t -> t.notNull("day").unique("day").expression("positive", "revenue >= 0"))
 *         .run(connection).assertPassed())                // throws: the model is rolled back, its children skipped
 *     .build();
 * }</pre>
 */
@FunctionalInterface
public interface Audit {
    /**
     * Checks {@code relation}, the model's new version, on {@code connection} inside the model's transaction. Throw to
     * reject the build: the transaction is rolled back (the model stays as it was, or, on a first build, is not
     * built), the exception's message becomes the model's error and the models downstream of it are skipped. The
     * connection may be read and written (a savepoint, a temporary table) but not committed, rolled back or closed.
     *
     * @param connection the model's connection, in its open transaction
     * @param relation the model's relation
     * @throws Exception anything, to reject the build
     */
    void check(Connection connection, TableName relation) throws Exception;
}
