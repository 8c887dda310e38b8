package dev.mds.load.internal;

import dev.mds.core.Identifiers;
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
 * @param baseTypeName the catalog name of the type with domains resolved, through domains over domains and of an
 *     array's element type too: {@code date} for a domain over {@code date}, {@code _date} for a domain over
 *     {@code date[]} or an array of a domain over {@code date}; {@link #typeName} for other types
 * @param baseSqlType the type with domains resolved as {@code format_type} writes it, with the modifier of the domain
 *     over it ({@code numeric(12,2)} for a domain over {@code numeric(12,2)}, {@code date[]} for an array of a domain
 *     over {@code date}); {@link #sqlType} for other types
 * @param domain whether the column's type is a domain, or an array of one: its values are checked against the
 *     domain's constraints, and the loader never alters its type
 * @param notNullDomain whether the column's type is a domain that refuses NULL ({@code create domain ... not null},
 *     also through a domain it is over): a NULL is refused wherever the type is, a table's column or a stage's
 * @param notNull whether the column is NOT NULL
 * @param equality whether its type (an array's element type) has a default btree or hash operator class, whose
 *     {@code =} comparisons such as {@code IS DISTINCT FROM} use; {@code json}, {@code xml} and the geometric
 *     types have none (or, as {@code box}, an {@code =} that compares areas)
 * @param nondeterministicCollation the column's collation, qualified and quoted, when it is nondeterministic
 *     (two different strings can be equal, as under a case-insensitive ICU collation); null otherwise
 * @param collation the column's collation, qualified and quoted, when it is not its type's default ({@code "C"},
 *     {@code raw.ci}): widening the column names it again, since {@code ALTER COLUMN ... TYPE} without
 *     {@code COLLATE} gives the new type's default; null otherwise
 * @param identityAlways whether it is a {@code generated always as identity} column, which an {@code INSERT} (a
 *     MERGE's too) fills with a given value only with {@code overriding system value} (COPY always does)
 * @param generated whether it is a {@code generated always as (…) stored} column, which takes no value at all
 * @param tableHasTriggers whether the column's table has (or had) triggers, foreign key checks included
 *     ({@code pg_class.relhastriggers}): a COPY into it can then fail after its last row, naming no line
 */
record TargetColumn(String name, String sqlType, String typeName, String baseTypeName, String baseSqlType, boolean domain,
        boolean notNullDomain, boolean notNull, boolean equality,
        String nondeterministicCollation, String collation, boolean identityAlways, boolean generated,
        boolean tableHasTriggers) {

    /**
     * Whether the element type (a domain's base type) of {@code t} has a default btree or hash operator class:
     * for its own type, one it is implicitly binary-coercible to (varchar uses text's), or the polymorphic one of its kind.
     */
    private static final String EQUALITY = "exists (select 1 from pg_catalog.pg_type e join pg_catalog.pg_type b"
            + " on b.oid = case when e.typtype = 'd' then e.typbasetype else e.oid end"
            + " join pg_catalog.pg_opclass oc on oc.opcdefault join pg_catalog.pg_am am on am.oid = oc.opcmethod"
            + " where e.oid = case when t.typsubscript = 'pg_catalog.array_subscript_handler'::regproc then t.typelem else t.oid end"
            + " and am.amname in ('btree', 'hash') and (oc.opcintype = b.oid or oc.opcintype = case b.typtype"
            + " when 'e' then 'pg_catalog.anyenum'::regtype when 'r' then 'pg_catalog.anyrange'::regtype"
            + " when 'm' then 'pg_catalog.anymultirange'::regtype when 'c' then 'pg_catalog.record'::regtype end"
            + " or exists (select 1 from pg_catalog.pg_cast c where c.castsource = b.oid and c.casttarget = oc.opcintype"
            + " and c.castmethod = 'b' and c.castcontext = 'i')))";

    /**
     * The catalog name of {@code t} with domains resolved ({@link #baseTypeName}): each step goes from a domain to the
     * type it is over, or once from an array to its element type (prefixing {@code _}); the last step's type is neither.
     */
    private static final String BASE_TYPE_NAME = resolved("s.p || z.typname");

    /**
     * The type of {@code t} with domains resolved as {@code format_type} writes it ({@link #baseSqlType}): the modifier
     * is the column's, or the one of the domain (over a domain: of the innermost) that has one. A scalar subquery over
     * {@code pg_attribute a} and its {@code pg_type t}.
     */
    static final String BASE_SQL_TYPE = resolved("format_type(z.oid, s.m) || case when s.p = '' then '' else '[]' end");

    /** Whether {@code t} is a domain, or an array of one ({@link #domain}). */
    static final String DOMAIN = "(t.typtype = 'd' or exists (select 1 from pg_catalog.pg_type e where e.oid = t.typelem"
            + " and t.typsubscript = 'pg_catalog.array_subscript_handler'::regproc and e.typtype = 'd'))";

    /** Whether {@code t} is a domain refusing NULL, or over one ({@link #notNullDomain}); an array of one is not. */
    private static final String NOT_NULL_DOMAIN = "(with recursive s(o) as (select t.oid union all select y.typbasetype"
            + " from s join pg_catalog.pg_type y on y.oid = s.o where y.typtype = 'd')"
            + " select coalesce(bool_or(z.typnotnull), false) from s join pg_catalog.pg_type z on z.oid = s.o"
            + " where z.typtype = 'd')";

    /**
     * A scalar subquery walking from {@code t} (with the column's modifier {@code a.atttypmod}) through its domains and
     * once to an array's element type; {@code select} reads the last step {@code z} and the walk's state {@code s}:
     * {@code s.p} is {@code _} after the array step, {@code s.m} the modifier.
     */
    private static String resolved(String select) {
        return "(with recursive s(o, p, m) as (select t.oid, ''::text, a.atttypmod union all"
                + " select case when y.typtype = 'd' then y.typbasetype else y.typelem end,"
                + " case when y.typtype = 'd' then s.p else '_' end,"
                + " case when y.typtype = 'd' and y.typtypmod <> -1 then y.typtypmod else s.m end"
                + " from s join pg_catalog.pg_type y on y.oid = s.o where y.typtype = 'd'"
                + " or (s.p = '' and y.typsubscript = 'pg_catalog.array_subscript_handler'::regproc))"
                + " select " + select + " from s join pg_catalog.pg_type z on z.oid = s.o where z.typtype <> 'd'"
                + " and not (s.p = '' and z.typsubscript = 'pg_catalog.array_subscript_handler'::regproc))";
    }

    /** The columns of {@code table} by name, in order; empty when there is no such table. */
    static Optional<Map<String, TargetColumn>> read(Connection c, TableName table) {
        // the table by name under this statement's snapshot: see PostgresDialect.relationOid
        return read(c, PostgresDialect.INSTANCE.relationOid(table), table.toString());
    }

    /** The columns of this session's temporary table {@code name}, by name, in order. */
    static Map<String, TargetColumn> readTemporary(Connection c, String name) {
        return read(c, "(select r.oid from pg_catalog.pg_class r where r.relnamespace = pg_catalog.pg_my_temp_schema()"
                + " and r.relname = " + Identifiers.literal(name) + ")", "pg_temp." + name).orElse(Map.of());
    }

    /**
     * This column (of a table made to plan with) as a column of a table with triggers or not, neither identity nor
     * generated (a column a load adds or widens is neither).
     */
    TargetColumn on(boolean tableTriggers) {
        return new TargetColumn(name, sqlType, typeName, baseTypeName, baseSqlType, domain, notNullDomain, notNull, equality,
                nondeterministicCollation, collation, false, false, tableTriggers);
    }

    private static Optional<Map<String, TargetColumn>> read(Connection c, String relationOid, String table) {
        Map<String, TargetColumn> columns = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        String query = "select a.attname, format_type(a.atttypid, a.atttypmod), t.typname, a.attnotnull, " + EQUALITY
                + ", (select quote_ident(n.nspname) || '.' || quote_ident(co.collname) from pg_catalog.pg_collation co"
                + " join pg_catalog.pg_namespace n on n.oid = co.collnamespace"
                + " where co.oid = a.attcollation and not co.collisdeterministic), a.attidentity = 'a', a.attgenerated <> '',"
                + " (select r.relhastriggers from pg_catalog.pg_class r where r.oid = a.attrelid),"
                + " (select quote_ident(n.nspname) || '.' || quote_ident(co.collname) from pg_catalog.pg_collation co"
                + " join pg_catalog.pg_namespace n on n.oid = co.collnamespace"
                + " where co.oid = a.attcollation and a.attcollation <> t.typcollation),"
                // the walks through domains only for a domain's column (the others are their own base, below)
                + " case when " + DOMAIN + " then " + BASE_TYPE_NAME + " end, case when " + DOMAIN + " then " + BASE_SQL_TYPE
                + " end, " + DOMAIN + ", case when t.typtype = 'd' then " + NOT_NULL_DOMAIN + " else false end"
                + " from pg_attribute a join pg_type t on t.oid = a.atttypid where a.attrelid = "
                + relationOid + " and a.attnum > 0 and not a.attisdropped order by a.attnum";
        try (PreparedStatement ps = c.prepareStatement(query)) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean domain = rs.getBoolean(13);   // other types are their own base (int2vector is no smallint[])
                    TargetColumn col = new TargetColumn(rs.getString(1), rs.getString(2), rs.getString(3),
                            domain ? rs.getString(11) : rs.getString(3), domain ? rs.getString(12) : rs.getString(2), domain,
                            rs.getBoolean(14), rs.getBoolean(4),
                            rs.getBoolean(5), rs.getString(6), rs.getString(10), rs.getBoolean(7), rs.getBoolean(8),
                            rs.getBoolean(9));
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
