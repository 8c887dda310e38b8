package dev.mds.connector.postgres.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.core.ChangeEvent;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import dev.mds.core.TableName;
import dev.mds.core.Unchanged;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads from the source the values of TOASTed columns that the insert half of a primary-key update does not carry.
 * With {@code REPLICA IDENTITY DEFAULT}, PostgreSQL logs an untouched out-of-line value of a row whose key changes
 * as "unchanged", and Debezium sends its placeholder in the event that creates the new key: no row of that key is in
 * the target to keep the value from, so the load refused it and every run stopped at that change. The value is
 * read by the new key as the source holds it now (Debezium's re-select does the same): any later change of the
 * column comes after it in the stream, so the target ends equal to the source. For a row no longer at the source
 * (deleted or re-keyed since, so a later event removes it) there is no value: {@link #complete} gives nothing and the
 * caller leaves the insert out. {@code REPLICA IDENTITY FULL} needs none of this: Debezium fills the value from the old
 * row. It also reads again the snapshot values marked {@link RecordMapper.ReadFromSource} (a timestamp the driver
 * may have moved out of a daylight-saving gap of the JVM's zone). Not thread-safe.
 */
public final class UnsentToastReader implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Opens a connection to the source. */
    @FunctionalInterface
    public interface SourceConnector {
        Connection open() throws SQLException;
    }

    private final SourceConnector connector;
    private final Map<TableName, Map<String, Column>> catalog = new HashMap<>();
    private Connection connection;

    /**
     * Column facts from the source's catalog: its declared type and the name of its base type (domains resolved, at any
     * depth).
     */
    private record Column(String declared, String baseType, String elementType) {
    }

    public UnsentToastReader(SourceConnector connector) {
        this.connector = connector;
    }

    /**
     * Whether {@code event} creates a row yet leaves some of its values unsent, or carries a value the snapshot may
     * have read wrong ({@link RecordMapper.ReadFromSource}).
     */
    public static boolean needsValues(ChangeEvent event) {
        if (event.after().isEmpty()) {
            return false;
        }
        boolean create = event.operation() == ChangeEvent.Operation.CREATE;
        for (Object v : event.after().get().values()) {
            if (v instanceof RecordMapper.ReadFromSource || create && v == Unchanged.VALUE) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code event} creates a row yet leaves some of its values unsent. */
    public static boolean leavesUnsent(ChangeEvent event) {
        return event.operation() == ChangeEvent.Operation.CREATE && event.after().isPresent()
                && event.after().get().values().contains(Unchanged.VALUE);
    }

    /** {@code event} with what Debezium read in place of each value to read again from the source. */
    public static ChangeEvent withGuesses(ChangeEvent event) {
        Record after = event.after().orElseThrow();
        for (int i = 0; i < after.size(); i++) {
            if (after.get(i) instanceof RecordMapper.ReadFromSource r) {
                after = after.with(i, r.guess());
            }
        }
        return new ChangeEvent(event.operation(), event.source(), event.key(), event.before(), Optional.of(after),
                event.position(), event.commitTime());
    }

    /**
     * The event with its unsent values read from the source by its key; empty when the source no longer holds a row
     * of that key. The event as it is when mds cannot read a value (the load then names the column).
     *
     * @param keyColumns the names of the key's columns, in the order of {@code event.key()}
     */
    public Optional<ChangeEvent> complete(ChangeEvent event, Schema schema, List<String> keyColumns) {
        TableName table = event.source();
        Record after = event.after().orElseThrow();
        List<Integer> unsent = new ArrayList<>();
        for (int i = 0; i < after.size(); i++) {
            if (after.get(i) == Unchanged.VALUE || after.get(i) instanceof RecordMapper.ReadFromSource) {
                unsent.add(i);
            }
        }
        try {
            Map<String, Column> columns = columns(table);
            for (Field f : schema.fields()) {
                if (!columns.containsKey(f.name())) {
                    catalog.remove(table);   // the table changed since its columns were read
                    columns = columns(table);
                    break;
                }
            }
            StringBuilder sql = new StringBuilder("select ");
            for (int n = 0; n < unsent.size(); n++) {
                String name = schema.fields().get(unsent.get(n)).name();
                Column col = columns.get(name);
                if (col == null) {
                    return Optional.of(withGuesses(event));   // dropped since: the load names a column it cannot fill
                }
                sql.append(n == 0 ? "" : ", ").append(Identifiers.quote(name))
                        .append("hstore".equals(col.baseType()) ? "::json" : "money".equals(col.baseType()) ? "::numeric" : "");
            }
            sql.append(" from ").append(table.quoted()).append(" where ");
            for (int k = 0; k < keyColumns.size(); k++) {
                Column col = columns.get(keyColumns.get(k));
                if (col == null) {
                    return Optional.of(withGuesses(event));
                }
                sql.append(k == 0 ? "" : " and ").append(Identifiers.quote(keyColumns.get(k))).append(" = ")
                        .append(event.key().get(k) instanceof byte[] ? "?" : "cast(? as " + col.declared() + ")");
            }
            Record filled = after;
            try (PreparedStatement ps = connection().prepareStatement(sql.toString())) {
                for (int k = 0; k < keyColumns.size(); k++) {
                    Object v = event.key().get(k);
                    if (v instanceof byte[] b) {
                        ps.setBytes(k + 1, b);
                    } else {
                        ps.setString(k + 1, v == null ? null : v.toString());
                    }
                }
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    for (int n = 0; n < unsent.size(); n++) {
                        int i = unsent.get(n);
                        Field field = schema.fields().get(i);
                        try {
                            filled = filled.with(i, value(field.type(), columns.get(field.name()), rs, n + 1));
                        } catch (RecordMapper.UnrepresentableValue | IllegalArgumentException bad) {
                            throw new MdsException(table + " column " + field.name() + " of the row with key "
                                    + event.key() + ", " + (after.get(i) instanceof RecordMapper.ReadFromSource
                                            ? "read again from the source for the snapshot (" + snapshotReason(field.type())
                                            : "read from the source after a key change of the row (" + KEY_CHANGE_REASON)
                                    + "): " + bad.getMessage() + ", which mds cannot carry", bad);
                        }
                    }
                }
            }
            return Optional.of(new ChangeEvent(event.operation(), table, event.key(), event.before(), Optional.of(filled),
                    event.position(), event.commitTime()));
        } catch (SQLException e) {
            List<String> why = new ArrayList<>();
            for (int i : unsent) {
                String reason = after.get(i) instanceof RecordMapper.ReadFromSource
                        ? "that the snapshot reads again (" + snapshotReason(schema.fields().get(i).type()) + ")"
                        : "that a key change did not send (unchanged TOASTed values)";
                if (!why.contains(reason)) {
                    why.add(reason);
                }
            }
            throw new MdsException("cannot read from the source the values of " + table + " (key " + event.key()
                    + ") " + String.join(" and ", why) + ": " + e.getMessage(), e);
        }
    }

    private static final String KEY_CHANGE_REASON = "its unchanged TOASTed value is not in the WAL";

    /** Why the snapshot value of a column of {@code type} is read again from the source. */
    private static String snapshotReason(FieldType type) {
        return type.kind() == FieldType.Kind.DECIMAL
                ? "Debezium's snapshot reads money through a double, exact only below 10^13"
                : "a timestamp in a daylight-saving gap of the JVM's time zone, which the driver moves by the gap";
    }

    /** The value of column {@code i} as the event would have carried it; Unchanged when mds cannot tell. */
    private static Object value(FieldType type, Column col, ResultSet rs, int i) throws SQLException {
        if (type.kind() == FieldType.Kind.BYTES) {
            return "bytea".equals(col.baseType()) ? rs.getBytes(i) : Unchanged.VALUE;
        }
        String text = rs.getString(i);
        if (text == null) {
            return null;
        }
        if (type.isArray()) {
            List<String> elements = TextValueConverter.parseLiteral(text, "_box".equals(col.baseType()) ? ';' : ',');
            List<Object> out = new ArrayList<>(elements.size());
            for (String e : elements) {
                if (e != null && !e.isEmpty() && e.startsWith(TextValueConverter.NOT_ONE_DIMENSION)) {
                    throw new IllegalArgumentException("array value '" + e.substring(1) + "' (mds carries"
                            + " one-dimensional arrays with the default bounds only)");
                }
                Object element = e == null ? null : element(type.elementType(), col.elementType(), e);
                if (element == Unchanged.VALUE) {
                    return Unchanged.VALUE;
                }
                out.add(element);
            }
            return java.util.Collections.unmodifiableList(out);
        }
        return switch (type.kind()) {
            case TIMESTAMP -> RecordMapper.dateTimeText(text, TextValueConverter.TIMESTAMP_TEXT);
            case STRING -> text;
            case JSON -> "hstore".equals(col.baseType()) ? compactJson(text) : text;
            case DECIMAL -> "money".equals(col.baseType())
                    ? RecordMapper.numeric(text).setScale(Math.max(RecordMapper.numeric(text).scale(), 2))
                    : RecordMapper.numeric(text);
            default -> Unchanged.VALUE;
        };
    }

    private static Object element(FieldType type, String elementType, String text) {
        return switch (type.kind()) {
            case STRING, JSON -> text;
            case INT -> Integer.parseInt(text);
            case LONG -> Long.parseLong(text);
            case DOUBLE -> Double.parseDouble(text);
            case BOOLEAN -> "t".equals(text) || "true".equals(text);
            case DECIMAL -> RecordMapper.numeric(text);
            case UUID -> UUID.fromString(text);
            case DATE -> RecordMapper.dateTimeText(text, TextValueConverter.DATE_TEXT);
            case TIME -> RecordMapper.dateTimeText(text, TextValueConverter.TIME_TEXT);
            case TIMESTAMP -> RecordMapper.dateTimeText(text, TextValueConverter.TIMESTAMP_TEXT);
            case TIMESTAMPTZ -> RecordMapper.dateTimeText(text, TextValueConverter.TIMESTAMPTZ_TEXT);
            case BYTES -> "bytea".equals(elementType) && text.startsWith("\\x")
                    ? HexFormat.of().parseHex(text.substring(2)) : Unchanged.VALUE;
            case ARRAY -> Unchanged.VALUE;
        };
    }

    /** Debezium's hstore JSON is compact ({@code {"a":"1"}}); PostgreSQL's cast puts spaces after ':' and ','. */
    private static String compactJson(String text) {
        try {
            return JSON.writeValueAsString(JSON.readTree(text));
        } catch (IOException e) {
            return text;
        }
    }

    private Map<String, Column> columns(TableName table) throws SQLException {
        Map<String, Column> known = catalog.get(table);
        if (known != null) {
            return known;
        }
        Map<String, Column> columns = new HashMap<>();
        try (PreparedStatement ps = connection().prepareStatement(
                // the base type through every level of domains (a domain over a domain over money is money)
                BaseTypes.withBaseTypes("cast(? as regclass)")
                        + " select a.attname, format_type(a.atttypid, a.atttypmod), b.typname, e.typname"
                        + " from based a join pg_type b on b.oid = a.base"
                        + " left join pg_type e on e.oid = b.typelem and b.typcategory = 'A'")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), new Column(rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
        }
        catalog.put(table, columns);
        return columns;
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = connector.open();
        }
        return connection;
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // nothing to do: the source is going away
            }
            connection = null;
        }
    }
}
