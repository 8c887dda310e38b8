package dev.mds.load.internal;

import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A column of an existing table, as the catalog spells it.
 *
 * @param name the column name
 * @param sqlType the type as {@code format_type} writes it, ready for DDL ({@code numeric(12,2)}, {@code character varying(10)})
 * @param typeName the type's catalog name ({@code int8}, {@code _text}, {@code numeric})
 * @param notNull whether the column is NOT NULL
 */
record TargetColumn(String name, String sqlType, String typeName, boolean notNull) {

    /** The columns of {@code table} by name, in order; empty when there is no such table. */
    static Optional<Map<String, TargetColumn>> read(Connection c, TableName table) {
        Map<String, TargetColumn> columns = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        // the table by name under this statement's snapshot: see PostgresDialect.relationOid
        String query = "select a.attname, format_type(a.atttypid, a.atttypmod), t.typname, a.attnotnull"
                + " from pg_attribute a join pg_type t on t.oid = a.atttypid where a.attrelid = "
                + PostgresDialect.INSTANCE.relationOid(table) + " and a.attnum > 0 and not a.attisdropped order by a.attnum";
        try (PreparedStatement ps = c.prepareStatement(query)) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TargetColumn col = new TargetColumn(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4));
                    columns.put(col.name(), col);
                }
            }
        } catch (SQLException e) {
            throw new MdsException("cannot read the columns of " + table + ": " + e.getMessage(), e);
        }
        Sql.logged("columns of " + table, t0);
        return columns.isEmpty() ? Optional.empty() : Optional.of(columns);
    }
}
