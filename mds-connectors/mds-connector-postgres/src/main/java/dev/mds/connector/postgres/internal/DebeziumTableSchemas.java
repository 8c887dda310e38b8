package dev.mds.connector.postgres.internal;

import dev.mds.core.MdsException;
import dev.mds.core.TableName;
import io.debezium.config.CommonConnectorConfig;
import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresSchema;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.connector.postgresql.connection.PostgresDefaultValueConverter;
import io.debezium.relational.TableId;
import io.debezium.relational.TableSchema;
import io.debezium.spi.topic.TopicNamingStrategy;
import java.nio.charset.Charset;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Debezium's own Connect schemas of the captured tables, built the way its snapshot builds them: from the engine's
 * properties, a {@link PostgresSchema} refreshed on a {@link PostgresConnection} (JDBC metadata, the column filters,
 * {@code message.key.columns}, the {@code converters} with {@link TextValueConverter}). The row schema of a table is
 * then the one the snapshot's reads of that table would carry, so {@link RecordMapper#shapeOf} gives the table the
 * shape its first read would have given it, for a table the snapshot found empty. Not thread-safe.
 *
 * <pre>{@code
 * try (DebeziumTableSchemas schemas = DebeziumTableSchemas.open(engineProperties)) {
 *     RecordMapper.Shape shape = schemas.shape(TableName.of("shop", "orders"));
 * }
 * }</pre>
 */
public final class DebeziumTableSchemas extends PostgresSchema implements AutoCloseable {
    private final PostgresConnection connection;

    private DebeziumTableSchemas(PostgresConnectorConfig config, PostgresDefaultValueConverter defaults,
            TopicNamingStrategy<TableId> topics, PostgresValueConverter values, PostgresConnection connection) {
        super(config, defaults, topics, values);
        this.connection = connection;
    }

    /**
     * Reads the captured tables as Debezium's {@code PostgresConnectorTask} and its snapshot do: the same connector
     * configuration, value converter and refresh.
     *
     * @param engineProperties the properties the engine runs with
     * @throws MdsException when the source cannot be read
     */
    public static DebeziumTableSchemas open(Properties engineProperties) {
        PostgresConnectorConfig config = new PostgresConnectorConfig(Configuration.from(engineProperties));
        PostgresConnection connection = null;
        try {
            Charset charset;
            try (PostgresConnection probe = new PostgresConnection(config.getJdbcConfig(),
                    PostgresConnection.CONNECTION_GENERAL)) {
                charset = probe.getDatabaseCharset();
            }
            PostgresConnection.PostgresValueConverterBuilder values =
                    types -> PostgresValueConverter.of(config, charset, types);
            connection = new PostgresConnection(config.getJdbcConfig(), values, PostgresConnection.CONNECTION_GENERAL);
            @SuppressWarnings("unchecked")   // Debezium's own task takes the raw type the same way
            TopicNamingStrategy<TableId> topics = config.getTopicNamingStrategy(CommonConnectorConfig.TOPIC_NAMING_STRATEGY);
            DebeziumTableSchemas schemas = new DebeziumTableSchemas(config, connection.getDefaultValueConverter(), topics,
                    values.build(connection.getTypeRegistry()), connection);
            schemas.refresh(connection, false);
            return schemas;
        } catch (SQLException | RuntimeException e) {
            if (connection != null) {
                connection.close();
            }
            throw new MdsException("cannot read Debezium's schema of the captured tables from "
                    + config.getJdbcConfig().getHostname() + ":" + config.getJdbcConfig().getPort() + "/"
                    + config.getJdbcConfig().getDatabase() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The shape the snapshot's reads of {@code table} would have: Debezium's row schema mapped by
     * {@link RecordMapper#shapeOf}, its key schema's columns as the key.
     *
     * @throws MdsException when Debezium does not capture the table (gone since the snapshot) or it has no key
     */
    public RecordMapper.Shape shape(TableName table) {
        TableSchema schema = null;
        for (TableId id : tableIds()) {
            if (table.schema().equals(id.schema()) && table.name().equals(id.table())) {
                schema = schemaFor(id);
            }
        }
        if (schema == null) {
            throw new MdsException("the snapshot found " + table + " empty, but Debezium no longer reads the table at"
                    + " the source (dropped or renamed since?)");
        }
        List<String> keys = new ArrayList<>();
        if (schema.keySchema() != null) {
            schema.keySchema().fields().forEach(f -> keys.add(f.name()));
        }
        if (keys.isEmpty()) {
            throw RecordMapper.noKey(table);
        }
        return RecordMapper.shapeOf(table, keys, schema.valueSchema());
    }

    @Override
    public void close() {
        try {
            connection.close();
        } finally {
            super.close();
        }
    }
}
