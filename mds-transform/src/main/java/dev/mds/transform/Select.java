package dev.mds.transform;

import dev.mds.core.TableName;
import dev.mds.transform.internal.ProjectModels;
import dev.mds.transform.internal.Selector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which models of a project a run builds, written in dbt's node selection syntax ({@code dbt run --select ...
 * --exclude ...}). The other models are left as they are (and count as succeeded for the selected ones).
 *
 * <pre>{@code
 * project.run(Select.parse("+silver.transactions+ tag:nightly"));      // union: white space
 * project.run(Select.parse("tag:nightly,config.materialized:table"));  // intersection: comma
 * project.run(Select.parse("path:gold").excluding("gold.report+"));    // --exclude
 * project.run(Select.models("silver.transactions").withDownstream());  // same as parse("silver.transactions+")
 * }</pre>
 *
 * <p>A criterion is a model's name, {@code schema.model} found as {@code ref()} finds it for its case
 * ({@code Silver.Tx} is {@code silver.tx}, else the file model {@code models/Silver/Tx.sql}), but, unlike
 * {@code ref()}, a name without a schema is in {@code public} ({@link TableName#parse}): {@code transactions} is
 * {@code public.transactions} only; {@code *} and {@code ?} in a name match any characters, or one, of
 * {@code schema.model} ({@code silver.*}, {@code *}), where a double-quoted part is literal, quotes dropped
 * ({@code "Gold Ü".*} matches the models of the schema {@code Gold Ü}). Or a method and value:
 * <ul>
 * <li>{@code tag:nightly}: the models whose {@code config(tags=...)} holds {@code nightly} ({@code *}, {@code ?} allowed);
 * <li>{@code path:silver}: the model and seed files at or below the path, relative to the directory given to
 *     {@code modelsFrom}/{@code seedsFrom} ({@code path:silver/tx.sql}) or starting with it, as given
 *     ({@code path:models/silver}); a value with a {@code /} or ending in {@code .sql} or {@code .csv} is a path
 *     without {@code path:};
 * <li>{@code config.materialized:table}, {@code config.<key>:value}: the models whose config sets the key to the
 *     value, or to a list holding it ({@code view} is the default materialization; seeds are {@code seed}).
 * </ul>
 * Graph operators, as dbt's: {@code +x} adds all of x's ancestors, {@code x+} all its descendants, {@code 2+x} and
 * {@code x+1} up to that many levels (an ephemeral model counts as a level), {@code @x} x's descendants and all their
 * ancestors (not combined with {@code +}). Criteria separated by white space are joined; joined by commas, without
 * white space, only the models they all select remain. {@link #excluding} removes models last.
 *
 * <p>Stricter than dbt, which warns and goes on: a criterion that selects nothing (an unknown model or tag, an empty
 * path), in the selection or an exclusion, and a selection that leaves nothing to build (dbt's "Nothing to do") are
 * {@link IllegalArgumentException}s from {@code run} and {@code sql}, naming the criterion. A disabled model
 * ({@code enabled=false}) is unknown. An ephemeral model is never built: one named alone (without an operator or
 * {@link #withDownstream()}) is refused, the others it is selected with are built.
 *
 * @param select the selection, criteria in dbt's syntax
 * @param downstream whether every model depending on a selected model is built too ({@link #withDownstream()})
 * @param exclude the exclusions, each in the same syntax; empty for none
 */
public record Select(String select, boolean downstream, List<String> exclude) {

    /**
     * Reads the selection and exclusions, copying the list.
     *
     * @throws IllegalArgumentException when one of them cannot be read, naming the part and the character where it
     *     starts: {@code cannot read select '+a+ tag:': 'tag:' at character 5: no value after 'tag:'}
     */
    public Select {
        Objects.requireNonNull(select, "select");
        exclude = List.copyOf(exclude);
        Selector.parse(select, "select");
        exclude.forEach(e -> Selector.parse(e, "exclude"));
    }

    /**
     * The models a dbt selector string selects: {@code "+silver.tx+ tag:nightly"}, {@code "@gold.report"},
     * {@code "tag:nightly,config.materialized:table"} (see the class doc).
     *
     * @throws IllegalArgumentException when it cannot be read (empty, an empty criterion around a comma, an unknown
     *     method or config key, a materialization that does not exist, {@code @} with {@code +}, a name that is not a
     *     name, a {@code "} left open), naming the part and the character where it starts
     */
    public static Select parse(String selector) {
        return new Select(selector, false, List.of());
    }

    /**
     * The named models ({@code schema.model}, read as {@link TableName#parse}, or as a seed file's exact name where SQL
     * would need quotes: {@code Raw.My Seed}) only.
     *
     * @throws IllegalArgumentException when none is given or one is not a name
     */
    public static Select models(String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("select at least one model");
        }
        return new Select(Arrays.stream(names).map(n -> ProjectModels.modelName(n).toString()).collect(Collectors.joining(" ")),
                false, List.of());
    }

    /** The same selection and every model that depends on a model it selects, directly or not; exclusions still apply. */
    public Select withDownstream() {
        return new Select(select, true, exclude);
    }

    /**
     * The same selection without the models {@code selector} selects (dbt's {@code --exclude}), in the same syntax:
     * {@code Select.parse("silver.tx+").excluding("gold.report tag:slow")}. Exclusions are applied last, after
     * {@link #withDownstream()}; each call adds one.
     *
     * @throws IllegalArgumentException when it cannot be read, naming the part and where it starts
     */
    public Select excluding(String selector) {
        List<String> all = new ArrayList<>(exclude);
        all.add(Objects.requireNonNull(selector, "selector"));
        return new Select(select, downstream, all);
    }

    /** As dbt's arguments: {@code --select 'a+ tag:x' --exclude 'b'}, with {@code (and downstream)} when set. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("--select '").append(select).append('\'');
        if (downstream) {
            s.append(" (and downstream)");
        }
        exclude.forEach(e -> s.append(" --exclude '").append(e).append('\''));
        return s.toString();
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
