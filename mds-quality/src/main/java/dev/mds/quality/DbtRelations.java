package dev.mds.quality;

import dev.mds.core.TableName;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the tables of a dbt project's models and sources live, for {@link QualitySuite#dbtTests}: what
 * {@code ref('orders')} and {@code source('jaffle', 'raw_orders')} are in the database.
 *
 * <pre>{@code
 * DbtRelations relations = DbtRelations.schema("analytics")   // ref('orders') is analytics.orders
 *     .model("customers", "marts.dim_customers")              // one model built elsewhere
 *     .source("jaffle", "raw_orders", "landing.orders_v2");   // instead of the yml's schema / identifier
 * }</pre>
 *
 * <p>A model is the table of its name (exactly as written, as dbt-postgres quotes it) in the schema given, unless
 * {@link #model} maps it. A source table is, unless {@link #source} maps it, the table of the source's
 * {@code schema:} (default: the source's name) named by the table's {@code identifier:} (default: its name), as dbt
 * resolves it. Immutable.
 */
public final class DbtRelations {
    private final String schema;
    private final Map<String, TableName> models;
    private final Map<String, TableName> sources;

    private DbtRelations(String schema, Map<String, TableName> models, Map<String, TableName> sources) {
        this.schema = schema;
        this.models = Map.copyOf(models);
        this.sources = Map.copyOf(sources);
    }

    /**
     * Models are the tables of their names in {@code schema} (dbt's target schema, exactly as stored: {@code "Analytics"}
     * is not the schema {@code create schema Analytics} makes).
     *
     * @throws IllegalArgumentException when {@code schema} cannot be an identifier
     */
    public static DbtRelations schema(String schema) {
        TableName.of(Objects.requireNonNull(schema, "schema"), "x"); // checks the identifier
        return new DbtRelations(schema, Map.of(), Map.of());
    }

    /**
     * Model {@code model} is {@code table} ({@code schema.name}, read as {@link TableName#parse}). A model mapped here
     * may be named by a {@code ref(...)} though no yml file read declares it.
     */
    public DbtRelations model(String model, String table) {
        Objects.requireNonNull(model, "model");
        Map<String, TableName> m = new HashMap<>(models);
        m.put(model, TableName.parse(Objects.requireNonNull(table, "table")));
        return new DbtRelations(schema, m, sources);
    }

    /** Table {@code table} of source {@code source} is {@code relation} ({@code schema.name}, read as {@link TableName#parse}). */
    public DbtRelations source(String source, String table, String relation) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(table, "table");
        Map<String, TableName> m = new HashMap<>(sources);
        m.put(sourceKey(source, table), TableName.parse(Objects.requireNonNull(relation, "relation")));
        return new DbtRelations(schema, models, m);
    }

    /** The model's table. */
    TableName modelTable(String model) {
        return Optional.ofNullable(models.get(model)).orElseGet(() -> TableName.of(schema, model));
    }

    /** The table {@code name} of the schema given, mapped or not (a model's alias). */
    TableName defaultTable(String name) {
        return TableName.of(schema, name);
    }

    /** The schema given ({@link #schema(String)}). */
    String schemaName() {
        return schema;
    }

    /** Whether {@link #model} mapped this model. */
    boolean mapsModel(String model) {
        return models.containsKey(model);
    }

    /** The source table's relation: mapped, or {@code ymlSchema.identifier} as the yml says. */
    TableName sourceTable(String source, String table, String ymlSchema, String identifier) {
        TableName mapped = sources.get(sourceKey(source, table));
        return mapped != null ? mapped : TableName.of(ymlSchema, identifier);
    }

    private static String sourceKey(String source, String table) {
        return source + "\u0000" + table;
    }

    @Override
    public String toString() {
        return "DbtRelations[schema=" + schema + ", models=" + models + ", sources=" + sources.size() + "]";
    }
}
