package dev.mds.connector.postgres.internal;

/** The catalog query part that resolves a table's column types through every level of domains. */
public final class BaseTypes {
    private BaseTypes() {
    }

    /**
     * A {@code with recursive} clause naming {@code based}: the columns of the relation whose OID is the SQL expression
     * {@code relation} ({@code attnum, attname, atttypid, atttypmod, attstorage}), with {@code base}, the OID of their
     * type's base type through every level of domains (a domain over a domain over boolean[] has boolean[]'s), the
     * type itself for a column of no domain.
     */
    public static String withBaseTypes(String relation) {
        return "with recursive chain as (select a.attnum, a.attname, a.atttypid, a.atttypmod, a.attstorage,"
                + " y.oid as base, y.typtype, y.typbasetype from pg_attribute a join pg_type y on y.oid = a.atttypid"
                + " where a.attrelid = " + relation + " and a.attnum > 0"
                + " and not a.attisdropped union all select c.attnum, c.attname, c.atttypid, c.atttypmod, c.attstorage,"
                + " b.oid, b.typtype, b.typbasetype from chain c join pg_type b on b.oid = c.typbasetype"
                + " where c.typtype = 'd'), based as (select attnum, attname, atttypid, atttypmod, attstorage, base"
                + " from chain where typtype <> 'd')";
    }
}
