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

    /**
     * A primary key or unique index of a table: {@code what} names it in messages ({@code primary key}, or
     * {@code unique index} and its quoted name), {@code columns} are its key columns in order. Only those that hold
     * every row: valid, without a predicate (a partial index) or an expression.
     */
    public record UniqueKey(String what, List<String> columns) {
    }

    private final TableName name;
    private final Map<String, Column> columns;
    private final List<UniqueKey> uniqueKeys;

    private Relation(TableName name, Map<String, Column> columns, List<UniqueKey> uniqueKeys) {
        this.name = name;
        this.columns = columns;
        this.uniqueKeys = uniqueKeys;
    }

    /** The relation's columns and unique keys (in one query), or empty when it does not exist. */
    public static Optional<Relation> read(Connection c, TableName table) {
        String oid = PostgresDialect.INSTANCE.relationOid(table);
        // the unique keys, flattened into one text[] evaluated once (an uncorrelated subquery): per key its name in
        // messages, its number of key columns, then those columns; the primary key first, then unique indexes by name
        String what = "case when i.indisprimary then 'primary key' else 'unique index ' || quote_ident(ic.relname) end";
        String keys = "array(select u.e from (select i.indisprimary as pk, ic.relname as iname, array[" + what + ","
                + " i.indnkeyatts::text] || array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality"
                + " k(attnum, n) join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum"
                + " where k.n <= i.indnkeyatts order by k.n) as parts"
                + " from pg_index i join pg_class ic on ic.oid = i.indexrelid where i.indrelid = " + oid
                + " and i.indisunique and i.indisvalid and i.indpred is null and i.indexprs is null) as x,"
                + " unnest(x.parts) with ordinality u(e, n) order by not x.pk, x.iname, u.n)";
        // a domain reads as its base type (bt) through every level of domains, with the type modifier of the domain
        // over it (numeric(12,2) of a domain)
        String sql = withBaseTypes(oid) + " select a.attname, format_type(a.atttypid, a.atttypmod), bt.typname, d.basemod,"
                + " et.typname, exists (select 1 from pg_opclass oc join pg_am am on am.oid = oc.opcmethod"
                + " where am.amname = 'btree' and oc.opcdefault and oc.opcintype = case"
                + " when bt.typtype = 'r' then 'anyrange'::regtype when bt.typtype = 'm' then 'anymultirange'::regtype"
                + " when bt.typtype = 'e' then 'anyenum'::regtype when bt.typcategory = 'A' or bt.typtype = 'c' then 0"
                + " else bt.oid end),"
                + " a.attnotnull and not a.atthasdef and a.attidentity = '' and a.attgenerated = '',"
                + " format_type(bt.oid, d.basemod), " + keys
                + " from pg_attribute a join based d on d.attnum = a.attnum join pg_type bt on bt.oid = d.base"
                + " left join elements el on el.attnum = a.attnum left join pg_type et on et.oid = el.elem"
                + " where a.attrelid = " + oid
                + " and a.attnum > 0 and not a.attisdropped order by a.attnum";
        Map<String, Column> cols = new LinkedHashMap<>();
        List<UniqueKey> uniqueKeys = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String col = rs.getString(1);
                    String typname = rs.getString(3);
                    int typmod = rs.getInt(4);
                    String element = rs.getString(5);
                    cols.put(col, new Column(col, rs.getString(2), logical(typname, typmod, element), rs.getBoolean(6),
                            "timetz".equals(typname) || "timetz".equals(element), rs.getBoolean(7), rs.getString(8)));
                    if (cols.size() == 1) {   // the same on every row: read on the first
                        String[] parts = (String[]) rs.getArray(9).getArray();
                        for (int i = 0; i < parts.length; i += 2 + Integer.parseInt(parts[i + 1])) {
                            int n = Integer.parseInt(parts[i + 1]);
                            uniqueKeys.add(new UniqueKey(parts[i], List.of(parts).subList(i + 2, i + 2 + n)));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        return cols.isEmpty() ? Optional.empty() : Optional.of(new Relation(table, cols, List.copyOf(uniqueKeys)));
    }

    /**
     * A {@code with recursive} clause naming {@code based}: for each column of the relation whose OID is the SQL
     * expression {@code relationOid}, its {@code attnum}, {@code base}, the OID of its type's base type through every
     * level of domains (a domain over a domain over timestamptz has timestamptz's; the type itself for a column of no
     * domain), and {@code basemod}, the type modifier that applies to that base (the innermost domain's that has one,
     * else the column's); and {@code elements}: for each column whose base type is an array, its {@code attnum} and
     * {@code elem}, the OID of the element's base type through every level of domains (an array of a domain over
     * timestamptz has timestamptz). The one place mds-vault resolves domains: a catalog query joins {@code based} and
     * {@code elements} on {@code attnum}.
     */
    public static String withBaseTypes(String relationOid) {
        return "with recursive chain as (select a.attnum, y.oid as base, y.typtype, y.typbasetype, y.typtypmod,"
                + " a.atttypmod as basemod from pg_attribute a join pg_type y on y.oid = a.atttypid"
                + " where a.attrelid = " + relationOid + " and a.attnum > 0 and not a.attisdropped"
                + " union all select c.attnum, b.oid, b.typtype, b.typbasetype, b.typtypmod,"
                + " case when c.typtypmod <> -1 then c.typtypmod else c.basemod end"
                + " from chain c join pg_type b on b.oid = c.typbasetype where c.typtype = 'd'),"
                + " based as (select attnum, base, basemod from chain where typtype <> 'd'),"
                // an array's element through every level of domains too (an array of a domain over timestamptz)
                + " echain as (select d.attnum, y.oid as elem, y.typtype, y.typbasetype from based d"
                + " join pg_type ar on ar.oid = d.base join pg_type y on y.oid = ar.typelem where ar.typcategory = 'A'"
                + " union all select e.attnum, b.oid, b.typtype, b.typbasetype from echain e"
                + " join pg_type b on b.oid = e.typbasetype where e.typtype = 'd'),"
                + " elements as (select attnum, elem from echain where typtype <> 'd')";
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

    /** The primary key and unique indexes that hold every row (see {@link UniqueKey}): the primary key first. */
    public List<UniqueKey> uniqueKeys() {
        return uniqueKeys;
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
