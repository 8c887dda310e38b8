package dev.mds.vault.internal;

import dev.mds.core.FieldType;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The columns of a table or view as PostgreSQL spells their types, with the logical type where mds has one
 * (a column of a type mds cannot hash, such as {@code point}, has none).
 */
public final class Relation {
    /**
     * One column: its name, its SQL type ({@code format_type}), its logical type if any, and whether its type has a
     * default btree order of its own (a base or domain type with a default btree operator class, a range, a
     * multirange or an enum; not an array or composite type, whose order depends on their elements'), and whether it
     * is a {@code timetz} or an array of it (directly or through a domain), and whether an insert must give it a value
     * ({@code NOT NULL} without a default, identity or generation), and the SQL type of a domain's base type (its
     * {@code sqlType} for any other type), by which a load date of a domain over timestamptz is known as zoned.
     */
    public record Column(String name, String sqlType, Optional<FieldType> type, boolean ordered, boolean timeTz,
            boolean required, String baseSqlType) {
    }

    private final TableName name;
    private final Map<String, Column> columns;

    private Relation(TableName name, Map<String, Column> columns) {
        this.name = name;
        this.columns = columns;
    }

    /** The relation's columns, or empty when it does not exist. */
    public static Optional<Relation> read(Connection c, TableName table) {
        // a domain reads as its base type (bt), with the domain's type modifier (numeric(12,2) of a domain)
        String sql = "select a.attname, format_type(a.atttypid, a.atttypmod), bt.typname,"
                + " case when t.typtype = 'd' then t.typtypmod else a.atttypmod end,"
                + " et.typname, exists (select 1 from pg_opclass oc join pg_am am on am.oid = oc.opcmethod"
                + " where am.amname = 'btree' and oc.opcdefault and oc.opcintype = case"
                + " when bt.typtype = 'r' then 'anyrange'::regtype when bt.typtype = 'm' then 'anymultirange'::regtype"
                + " when bt.typtype = 'e' then 'anyenum'::regtype when bt.typcategory = 'A' or bt.typtype = 'c' then 0"
                + " else bt.oid end),"
                + " a.attnotnull and not a.atthasdef and a.attidentity = '' and a.attgenerated = '',"
                + " format_type(bt.oid, case when t.typtype = 'd' then t.typtypmod else a.atttypmod end)"
                + " from pg_attribute a join pg_type t on t.oid = a.atttypid"
                + " join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end"
                + " left join pg_type et on et.oid = bt.typelem and bt.typcategory = 'A'"
                + " where a.attrelid = " + PostgresDialect.INSTANCE.relationOid(table)
                + " and a.attnum > 0 and not a.attisdropped order by a.attnum";
        Map<String, Column> cols = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String col = rs.getString(1);
                    String typname = rs.getString(3);
                    int typmod = rs.getInt(4);
                    String element = rs.getString(5);
                    cols.put(col, new Column(col, rs.getString(2), logical(typname, typmod, element), rs.getBoolean(6),
                            "timetz".equals(typname) || "timetz".equals(element), rs.getBoolean(7), rs.getString(8)));
                }
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        return cols.isEmpty() ? Optional.empty() : Optional.of(new Relation(table, cols));
    }

    private static Optional<FieldType> logical(String typname, int typmod, String element) {
        try {
            if (element != null) {
                Optional<FieldType> e = logical(element, -1, null);
                return e.map(FieldType::arrayOf);
            }
            if ("numeric".equals(typname)) {
                // numeric(5,-2) or numeric(2,5) reads as numeric: a hash reads the stored value, whatever its scale
                return Optional.of(PostgresDialect.INSTANCE.numericType(typmod));
            }
            if ("timetz".equals(typname)) {
                return Optional.of(FieldType.TIME);
            }
            return Optional.of(PostgresDialect.INSTANCE.fieldType(Types.OTHER, typname, 0, 0));
        } catch (MdsException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public TableName name() {
        return name;
    }

    public boolean has(String column) {
        return columns.containsKey(column);
    }

    public List<String> names() {
        return new ArrayList<>(columns.keySet());
    }

    /** The columns an insert must give a value ({@code NOT NULL} without a default) that are not in {@code filled}. */
    public List<String> requiredBeyond(List<String> filled) {
        List<String> out = new ArrayList<>();
        for (Column col : columns.values()) {
            if (col.required() && !filled.contains(col.name())) {
                out.add(col.name());
            }
        }
        return out;
    }

    /**
     * The named column.
     *
     * @throws MdsException naming the structure, the relation, the column and the columns it has
     */
    public Column require(String structure, String column) {
        Column col = columns.get(column);
        if (col == null) {
            throw new MdsException(structure + ": " + name + " has no column '" + column + "' (it has " + names() + ")");
        }
        return col;
    }
}
