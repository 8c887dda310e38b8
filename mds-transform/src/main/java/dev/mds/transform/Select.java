package dev.mds.transform;

import dev.mds.core.TableName;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Which models of a project a run builds: the named ones, and with {@link #withDownstream()} every model that
 * depends on them. The other models are left as they are (and count as succeeded for the selected ones). A name
 * finds a model as {@code ref()} does for its case: {@code Silver.Tx} is {@code silver.tx}, else the file model
 * {@code models/Silver/Tx.sql}. Unlike {@code ref()}, a name without a schema is in {@code public}
 * ({@link TableName#parse}): {@code ref('transactions')} finds the one model of that name in any schema,
 * {@code Select.models("transactions")} only {@code public.transactions} (write {@code "silver.transactions"}).
 *
 * <pre>{@code
 * project.run(Select.models("silver.transactions").withDownstream());
 * }</pre>
 *
 * @param models the named models ({@code schema.model})
 * @param downstream whether the models depending on them are built too
 */
public record Select(List<TableName> models, boolean downstream) {

    /** Copies the list. */
    public Select {
        models = List.copyOf(models);
        if (models.isEmpty()) {
            throw new IllegalArgumentException("select at least one model");
        }
    }

    /** The named models ({@code schema.model}, read as {@link TableName#parse}) only. */
    public static Select models(String... names) {
        return new Select(Arrays.stream(names).map(TableName::parse).toList(), false);
    }

    /** The same models and every model that depends on them, directly or not. */
    public Select withDownstream() {
        return new Select(models, true);
    }

    /**
     * The one of {@code tables} that {@code wanted} names: itself, else the only one equal to it but for case (a
     * name read as SQL reads it folds to lower case, a file model's name is kept as written), as {@code ref()} finds
     * models.
     *
     * @throws IllegalArgumentException when several differ from it only in case
     */
    static Optional<TableName> find(TableName wanted, Collection<TableName> tables) {
        if (tables.contains(wanted)) {
            return Optional.of(wanted);
        }
        List<TableName> alike = tables.stream().filter(t -> t.schema().equalsIgnoreCase(wanted.schema())
                && t.name().equalsIgnoreCase(wanted.name())).toList();
        if (alike.size() > 1) {
            throw new IllegalArgumentException(wanted + " is ambiguous: it could be any of " + alike
                    + " (write the name quoted as it is)");
        }
        return alike.stream().findFirst();
    }
}
