package dev.mds.transform.internal;

import dev.mds.core.TableName;
import dev.mds.transform.Materialization;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One parsed and resolved model.
 *
 * @param table the model's relation
 * @param source where it was read from: a file, or {@code model x.y} for a model given in code
 * @param template its parsed SQL
 * @param materialization from config(), view by default
 * @param uniqueKey config(unique_key=...), empty for none
 * @param tagValues every ref(), source() and var() of the template to the text it renders as
 * @param parents the models it refers to
 */
public record ModelSpec(TableName table, String source, Template template, Materialization materialization,
        List<String> uniqueKey, Map<Template.Tag, String> tagValues, Set<TableName> parents) {

    /** The name as written in ref(). */
    public String name() {
        return table.toString();
    }
}
