package dev.mds.transform;

import dev.mds.core.TableName;
import java.util.Arrays;
import java.util.List;

/**
 * Which models of a project a run builds: the named ones, and with {@link #withDownstream()} every model that
 * depends on them. The other models are left as they are (and count as succeeded for the selected ones).
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
}
