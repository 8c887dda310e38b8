package dev.mds.connector.postgres;

import dev.mds.connector.postgres.SetupReport.Item;
import dev.mds.connector.postgres.SetupReport.Severity;
import dev.mds.connector.postgres.internal.BaseTypes;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Checks that a PostgreSQL server and database are ready for {@link PostgresCdcSource}, and prepares them the way
 * an operator would by hand. {@link #check} changes nothing and returns a {@link SetupReport} with the exact fix
 * of each problem; {@link #apply} runs the fixes that need no restart, idempotently.
 *
 * <pre>{@code
 * CdcSetup.Spec spec = CdcSetup.spec().user("mds_cdc").password(secret)
 *     .tables("product.users", "product.subscriptions").publication("mds_product").slot("mds_product").build();
 * System.out.println(CdcSetup.check(sourceDataSource, spec));  // what is missing, with the SQL that fixes it
 * List<String> ran = CdcSetup.apply(adminDataSource, spec);    // role, grants, replica identity, publication, slot
 * }</pre>
 */
public final class CdcSetup {
    private CdcSetup() {
    }

    /** A new specification of what the CDC pipeline needs. */
    public static Spec.Builder spec() {
        return new Spec.Builder();
    }

    /**
     * Checks the server and database behind {@code dataSource} against {@code spec}; changes nothing. The user of
     * the check is {@code spec.user()}, or the data source's user when none is given.
     *
     * @throws MdsException when the database cannot be reached
     */
    public static SetupReport check(DataSource dataSource, Spec spec) {
        try (Connection c = dataSource.getConnection()) {
            return check(c, spec);
        } catch (SQLException e) {
            throw new MdsException("cannot connect to check the CDC setup: " + e.getMessage(), e);
        }
    }

    /** As {@link #check(DataSource, Spec)}, on a connection the caller owns. */
    public static SetupReport check(Connection c, Spec spec) {
        try {
            return new Checker(c, spec).run();
        } catch (SQLException e) {
            throw new MdsException("cannot check the CDC setup: " + e.getMessage(), e);
        }
    }

    /**
     * Runs, as the (privileged) user of {@code adminDataSource}, the steps that prepare the database for CDC, each
     * only when needed: create the CDC role (with {@code LOGIN REPLICATION}, when {@code spec.password()} is given)
     * or give it {@code REPLICATION}; grant {@code USAGE} on the schemas, {@code SELECT} on the tables and by default
     * on future tables; {@code REPLICA IDENTITY FULL} where asked or where a table has no primary key; create the
     * publication or add the missing tables; create the logical slot with {@code pgoutput}. Settings that need a
     * restart ({@code wal_level}, slot and sender limits) are not changed: {@link #check} reports them.
     *
     * @return the statements that were run, in order (empty when everything was in place)
     * @throws MdsException when a statement fails (the statement quoted)
     */
    public static List<String> apply(DataSource adminDataSource, Spec spec) {
        List<String> ran = new ArrayList<>();
        try (Connection c = adminDataSource.getConnection()) {
            c.setAutoCommit(true);
            String user = spec.user().orElse(null);
            if (user != null) {
                Optional<boolean[]> role = role(c, user);
                if (role.isEmpty()) {
                    if (spec.password().isEmpty()) {
                        throw new MdsException("role " + user + " does not exist; give CdcSetup.spec().password(...)"
                                + " to create it");
                    }
                    run(c, ran, "create role " + Identifiers.quote(user) + " with login replication password "
                            + Identifiers.literal(spec.password().get()), "create role " + Identifiers.quote(user)
                            + " with login replication password '********'");
                } else if (!role.get()[0] && !role.get()[1]) {
                    run(c, ran, "alter role " + Identifiers.quote(user) + " with replication", null);
                }
                Set<String> schemas = new LinkedHashSet<>();
                for (TableName t : spec.tables()) {
                    schemas.add(t.schema());
                }
                for (String s : schemas) {
                    if (!bool(c, "select has_schema_privilege(?, ?, 'USAGE')", user, s)) {
                        run(c, ran, "grant usage on schema " + Identifiers.quote(s) + " to " + Identifiers.quote(user), null);
                    }
                    if (!defaultSelectGranted(c, s, user)) {
                        run(c, ran, "alter default privileges in schema " + Identifiers.quote(s)
                                + " grant select on tables to " + Identifiers.quote(user), null);
                    }
                }
                for (TableName t : spec.tables()) {
                    if (!bool(c, "select has_table_privilege(?, ?, 'SELECT')", user, t.quoted())) {
                        run(c, ran, "grant select on " + t.quoted() + " to " + Identifiers.quote(user), null);
                    }
                }
            }
            for (TableName t : spec.tables()) {
                Optional<TableInfo> info = table(c, t);
                if (info.isEmpty()) {
                    throw new MdsException("table " + t + " does not exist");
                }
                boolean wantFull = spec.replicaIdentityFull() || !info.get().hasPrimaryKey;
                if (wantFull && info.get().replicaIdentity != 'f') {
                    run(c, ran, "alter table " + t.quoted() + " replica identity full", null);
                }
                for (Partition p : partitions(c, t)) {
                    // a partitioned table's replica identity is not its partitions': each needs its own
                    if ((wantFull || !p.hasPrimaryKey()) && p.replicaIdentity() != 'f') {
                        run(c, ran, "alter table " + p.table().quoted() + " replica identity full", null);
                    }
                }
            }
            if (spec.publication().isPresent()) {
                String pub = spec.publication().get();
                Optional<Boolean> allTables = publication(c, pub);
                if (allTables.isEmpty()) {
                    run(c, ran, createPublicationSql(c, pub, spec.tables()), null);
                } else {
                    if (!allTables.get()) {
                        for (TableName t : spec.tables()) {
                            if (!inPublication(c, pub, t)) {
                                run(c, ran, "alter publication " + Identifiers.quote(pub) + " add table " + t.quoted(), null);
                            }
                        }
                    }
                    if (!viaRoot(c, pub) && !partitioned(c, spec.tables()).isEmpty()) {
                        run(c, ran, "alter publication " + Identifiers.quote(pub) + " set (publish_via_partition_root = true)",
                                null);
                    }
                }
            }
            if (spec.slot().isPresent()) {
                String slot = spec.slot().get();
                if (!exists(c, "select 1 from pg_replication_slots where slot_name = ?", slot)) {
                    run(c, ran, "select pg_create_logical_replication_slot(" + Identifiers.literal(slot) + ", 'pgoutput')", null);
                }
            }
        } catch (SQLException e) {
            throw new MdsException("cannot apply the CDC setup: " + e.getMessage(), e);
        }
        return List.copyOf(ran);
    }

    private static void run(Connection c, List<String> ran, String sql, String shown) {
        Sql.execute(c, sql);
        ran.add(shown != null ? shown : sql);
    }

    private static String tableList(Collection<TableName> tables) {
        List<String> q = new ArrayList<>();
        for (TableName t : tables) {
            q.add(t.quoted());
        }
        return String.join(", ", q);
    }

    private static boolean defaultSelectGranted(Connection c, String schema, String user) throws SQLException {
        return exists(c, "select 1 from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace,"
                + " aclexplode(d.defaclacl) a where n.nspname = ? and d.defaclobjtype = 'r'"
                + " and a.grantee = (select oid from pg_roles where rolname = ?) and a.privilege_type = 'SELECT'",
                schema, user);
    }

    /** [rolreplication, rolsuper] of a role. */
    private static Optional<boolean[]> role(Connection c, String user) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select rolreplication, rolsuper from pg_roles where rolname = ?")) {
            ps.setString(1, user);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new boolean[] {rs.getBoolean(1), rs.getBoolean(2)}) : Optional.empty();
            }
        }
    }

    private record TableInfo(boolean hasPrimaryKey, char replicaIdentity, String owner) {
    }

    /** A partition (at any depth) of a partitioned table, with its own replica identity. */
    private record Partition(TableName table, char replicaIdentity, boolean hasPrimaryKey) {
    }

    /** The partitions of {@code t} at every depth, none when it is not partitioned. */
    private static List<Partition> partitions(Connection c, TableName t) throws SQLException {
        List<Partition> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select n.nspname, c.relname, c.relreplident, exists (select 1"
                + " from pg_constraint k where k.conrelid = c.oid and k.contype = 'p') from pg_partition_tree("
                + PostgresDialect.INSTANCE.relationOid(t) + ") p join pg_class c on c.oid = p.relid join pg_namespace n"
                + " on n.oid = c.relnamespace where p.level > 0 order by p.level, n.nspname, c.relname")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(new Partition(TableName.of(rs.getString(1), rs.getString(2)), rs.getString(3).charAt(0),
                            rs.getBoolean(4)));
                }
            }
        }
        return found;
    }

    private static Optional<TableInfo> table(Connection c, TableName t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select exists (select 1 from pg_constraint k where k.conrelid = c.oid"
                + " and k.contype = 'p'), c.relreplident, pg_get_userbyid(c.relowner) from pg_class c join pg_namespace n"
                + " on n.oid = c.relnamespace where n.nspname = ? and c.relname = ? and c.relkind in ('r', 'p')")) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new TableInfo(rs.getBoolean(1), rs.getString(2).charAt(0), rs.getString(3)))
                        : Optional.empty();
            }
        }
    }

    /**
     * The array columns of {@code t} that can be stored out of line and whose type Debezium 3.2 converts itself but has
     * no unchanged-TOAST placeholder for (its UnchangedToastedReplicationMessageColumn knows text, varchar, bpchar,
     * json, jsonb, bytea, int4, date, int8 and uuid arrays; the other arrays, numeric, bit, varbit, time, timestamp,
     * timestamptz, timetz, interval, money, xml, enums, domains..., go through mds's TextValueConverter, which sends
     * the placeholder): Debezium fails to convert its string placeholder into the array and sends NULL. As
     * {@code name (type)}.
     */
    private static List<String> arraysWithoutToastPlaceholder(Connection c, TableName t) throws SQLException {
        List<String> found = new ArrayList<>();
        // A domain over an array comes with the domain's name, which Debezium's placeholder does not know either: for
        // a domain, every array base type Debezium converts itself is listed, but those TextValueConverter takes (the
        // arrays it converts for every column, and domains over text[], varchar[], char(n)[], int[], bigint[], uuid[],
        // json[] and jsonb[])
        // The base type through every level of domains: a domain over a domain over boolean[] is one over boolean[]
        try (PreparedStatement ps = c.prepareStatement(withBaseTypes(t) + " select a.attname,"
                + " format_type(a.atttypid, a.atttypmod) from based a join pg_type y on y.oid = a.atttypid"
                + " join pg_type b on b.oid = a.base where a.attstorage <> 'p' and b.typcategory = 'A' and (y.typtype <> 'd'"
                + " and b.typname in ('_int2',"
                + " '_oid', '_char', '_inet', '_cidr', '_macaddr', '_macaddr8', '_tsrange', '_tstzrange', '_daterange',"
                + " '_int4range', '_numrange', '_int8range', '_float4', '_float8', '_bool', '_hstore', '_citext', '_ltree',"
                + " '_geometry', '_geography') or y.typtype = 'd' and b.typname in ('_int2',"
                + " '_oid', '_char', '_inet', '_cidr', '_macaddr',"
                + " '_macaddr8', '_tsrange', '_tstzrange', '_daterange', '_int4range', '_numrange', '_int8range',"
                + " '_float4', '_float8', '_bool', '_bytea', '_hstore', '_citext', '_ltree',"
                + " '_geometry', '_geography')) order by a.attnum")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1) + " (" + rs.getString(2) + ")");
                }
            }
        }
        return found;
    }

    /**
     * The stored generated columns of {@code t} ({@code GENERATED ALWAYS AS (...) STORED}), in column order: pgoutput
     * does not publish them (before PostgreSQL 18), so streamed changes never carry them.
     */
    static List<String> generatedColumns(Connection c, TableName t) throws SQLException {
        List<String> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select a.attname from pg_attribute a where a.attrelid = "
                + PostgresDialect.INSTANCE.relationOid(t) + " and a.attnum > 0 and not a.attisdropped"
                + " and a.attgenerated <> '' order by a.attnum")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1));
                }
            }
        }
        return found;
    }

    /**
     * The columns of {@code t} whose type is not pg_catalog's yet has the name of a type there (an enum
     * {@code public.date}, its array {@code _date}, a domain {@code app.money} over text), as {@code name (type)}.
     */
    private static List<String> typesNamedAsBuiltIns(Connection c, TableName t) throws SQLException {
        List<String> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select a.attname, format_type(a.atttypid, a.atttypmod)"
                + " from pg_attribute a join pg_type y on y.oid = a.atttypid where a.attrelid = "
                + PostgresDialect.INSTANCE.relationOid(t) + " and a.attnum > 0 and not a.attisdropped"
                + " and y.typnamespace <> 'pg_catalog'::regnamespace and exists (select 1 from pg_type b"
                + " where b.typname = y.typname and b.typnamespace = 'pg_catalog'::regnamespace) order by a.attnum")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1) + " (" + rs.getString(2) + ")");
                }
            }
        }
        return found;
    }

    /** {@link BaseTypes#withBaseTypes} over table {@code t}. */
    private static String withBaseTypes(TableName t) {
        return BaseTypes.withBaseTypes(PostgresDialect.INSTANCE.relationOid(t));
    }

    /** The {@code timetz} columns of {@code t} (domains over it included, at any depth), as {@code name}. */
    private static List<String> timetzColumns(Connection c, TableName t) throws SQLException {
        List<String> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(withBaseTypes(t) + " select a.attname from based a"
                + " where a.base = 'timetz'::regtype order by a.attnum")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1));
                }
            }
        }
        return found;
    }

    /** A publication name that pgoutput and Debezium read as written (see {@link Spec.Builder#publication}). */
    static String checkPublicationName(String name) {
        Identifiers.check(name);
        if (!name.matches("[a-z_][a-z0-9_$]*")) {
            throw new IllegalArgumentException("publication name '" + name + "': pgoutput reads it unquoted (folded to"
                    + " lower case) and Debezium creates it unquoted, so it would never be found; use lower-case letters,"
                    + " digits, '_' and '$', not starting with a digit");
        }
        return name;
    }

    /** Empty when the publication does not exist, else whether it is FOR ALL TABLES. */
    private static Optional<Boolean> publication(Connection c, String pub) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select puballtables from pg_publication where pubname = ?")) {
            ps.setString(1, pub);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getBoolean(1)) : Optional.empty();
            }
        }
    }

    /** The operations (insert, update, delete, truncate) that publication {@code pub} does not publish. */
    private static List<String> unpublishedOperations(Connection c, String pub) throws SQLException {
        List<String> missing = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select pubinsert, pubupdate, pubdelete, pubtruncate"
                + " from pg_publication where pubname = ?")) {
            ps.setString(1, pub);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String[] names = {"inserts", "updates", "deletes", "truncates"};
                    for (int i = 0; i < names.length; i++) {
                        if (!rs.getBoolean(i + 1)) {
                            missing.add(names[i]);
                        }
                    }
                }
            }
        }
        return missing;
    }

    /** "row filter" and/or "column list" when {@code pub} publishes {@code t} with them (PostgreSQL 15+). */
    private static List<String> rowFilterOrColumnList(Connection c, String pub, TableName t) throws SQLException {
        List<String> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select r.prqual is not null, r.prattrs is not null"
                + " from pg_publication_rel r join pg_publication p on p.oid = r.prpubid where p.pubname = ?"
                + " and r.prrelid = " + PostgresDialect.INSTANCE.relationOid(t))) {
            ps.setString(1, pub);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    if (rs.getBoolean(1)) {
                        found.add("row filter");
                    }
                    if (rs.getBoolean(2)) {
                        found.add("column list");
                    }
                }
            }
        }
        return found;
    }

    /**
     * Whether publication {@code pub} publishes {@code t}: the table itself, or, for a partitioned table published
     * without {@code publish_via_partition_root}, one of its partitions (pg_publication_tables then lists those).
     */
    static boolean inPublication(Connection c, String pub, TableName t) throws SQLException {
        // by oid, never by name: a name cast to regclass is looked up with the caller's rights, and the planner may
        // evaluate it for catalog rows of other publications (pg_toast's among them), which a CDC role cannot read
        String oid = PostgresDialect.INSTANCE.relationOid(t);
        return exists(c, "select 1 from pg_publication p cross join lateral pg_get_publication_tables(p.pubname::text) g"
                + " where p.pubname = ? and (g.relid = " + oid + " or " + oid + " in (select a.relid from"
                + " pg_partition_ancestors(g.relid) a join pg_class r on r.oid = a.relid where r.relkind = 'p'))", pub);
    }

    /**
     * How table {@code t} is in publication {@code pub}, as ids that change when it leaves and comes back: the
     * publication's oid, the table's, and the oids of the catalog rows putting it in ({@code FOR TABLE}: the table's
     * or an ancestor's {@code pg_publication_rel}; {@code TABLES IN SCHEMA}: {@code pg_publication_namespace}; {@code
     * FOR ALL TABLES}: none). Taken out and added back, the publication or the table dropped and created again: other
     * ids, although the table is in the publication again. Then, after a fifth {@code /}, the version of the
     * publication's own catalog row (its {@code xmin}), which every {@code ALTER PUBLICATION ... SET (...)} changes:
     * operations unpublished and published again leave the same options, but pgoutput sent none of those operations
     * made in between (see {@link #sameTables}, {@link #sameOptions}). Empty when the table or the publication does
     * not exist.
     */
    static Optional<String> publicationMembership(Connection c, String pub, TableName t) throws SQLException {
        String oid = PostgresDialect.INSTANCE.relationOid(t);
        String relids = "(select " + oid + " union all select a.relid from pg_partition_ancestors(" + oid + ") a)";
        try (PreparedStatement ps = c.prepareStatement("select p.oid || '/' || " + oid + " || '/' || coalesce((select"
                + " string_agg(r.oid::text, ',' order by r.oid) from pg_publication_rel r where r.prpubid = p.oid and"
                + " r.prrelid in " + relids + "), '') || '/' || coalesce((select string_agg(n.oid::text, ',' order by"
                + " n.oid) from pg_publication_namespace n join pg_class k on k.relnamespace = n.pnnspid where"
                + " n.pnpubid = p.oid and k.oid in " + relids + "), '') || '/' || p.xmin from pg_publication p where"
                + " p.pubname = ? and " + oid + " is not null")) {
            ps.setString(1, pub);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /**
     * Whether two {@link #publicationMembership} ids put the table in the publication by the same catalog rows (the
     * publication's options aside).
     */
    static boolean sameTables(String before, String now) {
        return tablePart(before).equals(tablePart(now));
    }

    /**
     * Whether the publication's options are as they were in {@code before}: the same version of its catalog row. An
     * id recorded before mds kept that version (four parts) has nothing to compare with and is taken as the same.
     */
    static boolean sameOptions(String before, String now) {
        int cut = before.lastIndexOf('/');
        return tablePart(before).equals(before) || before.substring(cut).equals(now.substring(now.lastIndexOf('/')));
    }

    /** The first four parts of a membership id: publication, table and the catalog rows putting it in. */
    private static String tablePart(String id) {
        int slash = -1;
        for (int i = 0; i < 4; i++) {
            slash = id.indexOf('/', slash + 1);
            if (slash < 0) {
                return id;
            }
        }
        return id.substring(0, slash);
    }

    /** Whether publication {@code pub} publishes the changes of partitions under their partitioned table's name. */
    private static boolean viaRoot(Connection c, String pub) throws SQLException {
        return exists(c, "select 1 from pg_publication where pubname = ? and pubviaroot", pub);
    }

    /** The partitioned tables among {@code tables}. */
    static List<TableName> partitioned(Connection c, Collection<TableName> tables) throws SQLException {
        List<TableName> found = new ArrayList<>();
        for (TableName t : tables) {
            if (exists(c, "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ?"
                    + " and c.relname = ? and c.relkind = 'p'", t.schema(), t.name())) {
                found.add(t);
            }
        }
        return found;
    }

    /**
     * The statement that creates publication {@code pub} for {@code tables}; with {@code publish_via_partition_root}
     * when one of them is partitioned: without it pgoutput sends a partitioned table's changes under the names of
     * its partitions, which the stream (capturing the partitioned table) never sees.
     */
    static String createPublicationSql(Connection c, String pub, Collection<TableName> tables) throws SQLException {
        return "create publication " + Identifiers.quote(pub) + " for table " + tableList(tables)
                + (partitioned(c, tables).isEmpty() ? "" : " with (publish_via_partition_root = true)");
    }

    private static boolean exists(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static boolean bool(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%d bytes (%.1f %s)", n, v, units[u]);
    }

    private static final class Checker {
        private final Connection c;
        private final Spec spec;
        private final List<Item> items = new ArrayList<>();

        Checker(Connection c, Spec spec) {
            this.c = c;
            this.spec = spec;
        }

        SetupReport run() throws SQLException {
            String user = spec.user().orElse(text(c, "select current_user"));
            String database = text(c, "select current_database()");
            String q = Identifiers.quote(user);

            String walLevel = text(c, "show wal_level");
            if (!"logical".equals(walLevel)) {
                error("wal_level is '" + walLevel + "'; logical decoding needs 'logical'",
                        "ALTER SYSTEM SET wal_level = logical;  -- restart needed (then restart PostgreSQL)");
            }
            int maxSlots = Integer.parseInt(text(c, "show max_replication_slots"));
            int usedSlots = Integer.parseInt(text(c, "select count(*) from pg_replication_slots"));
            boolean slotExists = spec.slot().isPresent()
                    && exists(c, "select 1 from pg_replication_slots where slot_name = ?", spec.slot().get());
            if (!slotExists && usedSlots >= maxSlots) {
                error("max_replication_slots is " + maxSlots + " and " + usedSlots + " slots exist; no room for one more",
                        "ALTER SYSTEM SET max_replication_slots = " + (usedSlots + 4) + ";  -- restart needed");
            }
            int maxSenders = Integer.parseInt(text(c, "show max_wal_senders"));
            int usedSenders = Integer.parseInt(text(c, "select count(*) from pg_stat_replication"));
            if (usedSenders >= maxSenders) {
                error("max_wal_senders is " + maxSenders + " and " + usedSenders + " WAL senders are running;"
                        + " no room for one more", "ALTER SYSTEM SET max_wal_senders = " + (usedSenders + 4)
                        + ";  -- restart needed");
            }
            Optional<boolean[]> role = role(c, user);
            if (role.isEmpty()) {
                error("role " + user + " does not exist", "CREATE ROLE " + q + " WITH LOGIN REPLICATION PASSWORD '...';");
            } else if (!role.get()[0] && !role.get()[1]) {
                error("role " + user + " lacks the REPLICATION attribute", "ALTER ROLE " + q + " WITH REPLICATION;");
            }
            boolean superuser = role.isPresent() && role.get()[1];

            List<TableName> existing = new ArrayList<>();
            Set<String> schemasChecked = new LinkedHashSet<>();
            boolean ownsAll = true;
            for (TableName t : spec.tables()) {
                Optional<TableInfo> info = table(c, t);
                if (info.isEmpty()) {
                    error("table " + t + " does not exist in database " + database, "create it, or fix the name in tables(...)");
                    continue;
                }
                existing.add(t);
                TableInfo ti = info.get();
                nonAsciiNames(c, t, spec.keyedTables().contains(t));
                ownsAll &= ti.owner.equals(user);
                if (role.isPresent() && schemasChecked.add(t.schema())
                        && !bool(c, "select has_schema_privilege(?, ?, 'USAGE')", user, t.schema())) {
                    error("role " + user + " lacks USAGE on schema " + t.schema(), "GRANT USAGE ON SCHEMA "
                            + Identifiers.quote(t.schema()) + " TO " + q + ";\nALTER DEFAULT PRIVILEGES IN SCHEMA "
                            + Identifiers.quote(t.schema()) + " GRANT SELECT ON TABLES TO " + q + ";");
                }
                if (role.isPresent() && !bool(c, "select has_table_privilege(?, ?, 'SELECT')", user, t.quoted())) {
                    error("role " + user + " lacks SELECT on " + t + " (needed for the snapshot)",
                            "GRANT SELECT ON " + t.quoted() + " TO " + q + ";");
                }
                boolean keyGiven = spec.keyedTables().contains(t);
                if (!ti.hasPrimaryKey) {
                    if (keyGiven) {
                        note("table " + t + " has no primary key; the key columns given to the source are used",
                                ti.replicaIdentity == 'f' ? "" : "ALTER TABLE " + t.quoted() + " REPLICA IDENTITY FULL;");
                    } else {
                        error("table " + t + " has no primary key, so its change events carry no key",
                                "ALTER TABLE " + t.quoted() + " ADD PRIMARY KEY (...);  -- or name the key with"
                                        + " PostgresCdcSource.Builder.key(...) and set REPLICA IDENTITY FULL");
                    }
                }
                switch (ti.replicaIdentity) {
                    case 'n' -> error("table " + t + " has REPLICA IDENTITY NOTHING: updates and deletes on it fail"
                            + " once it is published", "ALTER TABLE " + t.quoted() + " REPLICA IDENTITY FULL;");
                    case 'd' -> {
                        if (!ti.hasPrimaryKey) {
                            error("table " + t + " has REPLICA IDENTITY DEFAULT and no primary key: updates and deletes"
                                    + " on it fail once it is published", "ALTER TABLE " + t.quoted()
                                    + " REPLICA IDENTITY FULL;");
                        } else if (spec.replicaIdentityFull()) {
                            warning("table " + t + " has REPLICA IDENTITY DEFAULT: deletes carry only the key and updates"
                                    + " no before image", "ALTER TABLE " + t.quoted() + " REPLICA IDENTITY FULL;");
                        } else {
                            note("table " + t + " has REPLICA IDENTITY DEFAULT: deletes carry only the primary key and"
                                    + " updates no before image (enough for mds-load); FULL logs the whole old row"
                                    + " (complete before images, more WAL)",
                                    "ALTER TABLE " + t.quoted() + " REPLICA IDENTITY FULL;  -- optional");
                        }
                    }
                    case 'i' -> {
                        if (!bool(c, "select coalesce((select i.indisprimary from pg_catalog.pg_index i where i.indrelid"
                                + " = ?::regclass and i.indisreplident), false)", t.quoted())) {
                            error("table " + t + " has REPLICA IDENTITY USING INDEX on an index that is not its primary"
                                    + " key: a delete carries only that index's columns, so its key arrives empty (as"
                                    + " zeros) and the wrong row would be deleted", "ALTER TABLE " + t.quoted()
                                    + " REPLICA IDENTITY DEFAULT;  -- or FULL");
                        }
                    }
                    default -> {
                    }
                }
                for (Partition p : partitions(c, t)) {
                    if (p.replicaIdentity() == 'n' || p.replicaIdentity() == 'd' && !p.hasPrimaryKey()) {
                        error("partition " + p.table() + " of " + t + " has REPLICA IDENTITY " + (p.replicaIdentity()
                                == 'n' ? "NOTHING" : "DEFAULT and no primary key") + " (a partitioned table's replica"
                                + " identity is not its partitions'): updates and deletes on it fail at the source once "
                                + t + " is published", "ALTER TABLE " + p.table().quoted() + " REPLICA IDENTITY FULL;");
                    } else if (spec.replicaIdentityFull() && p.replicaIdentity() != 'f') {
                        warning("partition " + p.table() + " of " + t + " has no REPLICA IDENTITY FULL: its deletes"
                                + " carry only the key and its updates no before image", "ALTER TABLE "
                                + p.table().quoted() + " REPLICA IDENTITY FULL;");
                    }
                }
                if (ti.replicaIdentity != 'f' && ti.replicaIdentity != 'n') {
                    List<String> arrays = arraysWithoutToastPlaceholder(c, t);
                    if (!arrays.isEmpty()) {
                        warning("table " + t + " has REPLICA IDENTITY " + (ti.replicaIdentity == 'i' ? "USING INDEX"
                                : "DEFAULT") + " and array columns Debezium has no unchanged-TOAST placeholder for ("
                                + String.join(", ", arrays) + "): an update that leaves such a value unchanged while it"
                                + " is stored out of line (TOAST, about 2 kB and more) delivers NULL, and the target"
                                + " loses the value; with FULL the old row carries it",
                                "ALTER TABLE " + t.quoted() + " REPLICA IDENTITY FULL;");
                    }
                }
            }

            for (TableName t : existing) {
                List<String> zoned = timetzColumns(c, t);
                if (!zoned.isEmpty()) {
                    warning("table " + t + " has time with time zone columns (" + String.join(", ", zoned) + "):"
                            + " Debezium's snapshot moves each value to UTC ('10:11:12+02' arrives as '08:11:12Z'),"
                            + " so the target holds the same instant of the day without the source's offset, a value"
                            + " PostgreSQL does not call equal", "ALTER TABLE " + t.quoted() + " ALTER COLUMN ... TYPE"
                            + " text;  -- or time, or accept UTC offsets in the target");
                }
                List<String> shadowing = typesNamedAsBuiltIns(c, t);
                if (!shadowing.isEmpty()) {
                    warning("table " + t + " has columns of a user's type (an enum, a domain, a composite...) named as"
                            + " a built-in type of PostgreSQL (" + String.join(", ", shadowing) + "): Debezium and pgjdbc"
                            + " know a type by its bare name, so they read such a column as the built-in type, and a"
                            + " value that is not one (an enum 'date' holding 'monday') stops the run", "ALTER TYPE"
                            + " ... RENAME TO ...;  -- (ALTER DOMAIN for a domain) a name no type of pg_catalog has, or"
                            + " read the table with JdbcIncrementalSource");
                }
                List<String> generated = generatedColumns(c, t);
                if (!generated.isEmpty()) {
                    warning("table " + t + " has generated columns (" + String.join(", ", generated) + "): pgoutput"
                            + " does not publish them, so the CDC source leaves them out of every event (the snapshot"
                            + " included) rather than let the target keep values the source has changed",
                            "-- compute " + String.join(", ", generated) + " in the warehouse from the captured columns");
                }
            }

            if (spec.publication().isPresent()) {
                String pub = spec.publication().get();
                Optional<Boolean> allTables = publication(c, pub);
                boolean canCreate = superuser || ownsAll;
                if (allTables.isEmpty()) {
                    String fix = "CREATE PUBLICATION " + Identifiers.quote(pub) + " FOR TABLE " + tableList(existing)
                            + (partitioned(c, existing).isEmpty() ? "" : " WITH (publish_via_partition_root = true)") + ";";
                    if (canCreate) {
                        note("publication " + pub + " does not exist; the source creates it for its tables", fix);
                    } else {
                        error("publication " + pub + " does not exist and role " + user + " may not create it", fix);
                    }
                } else {
                    List<String> unpublished = unpublishedOperations(c, pub);
                    if (!unpublished.isEmpty()) {
                        error("publication " + pub + " does not publish " + String.join(", ", unpublished)
                                + ": those changes of its tables would never arrive", "ALTER PUBLICATION "
                                + Identifiers.quote(pub) + " SET (publish = 'insert, update, delete, truncate');");
                    }
                    List<TableName> partitioned = partitioned(c, existing);
                    if (!partitioned.isEmpty() && !viaRoot(c, pub)) {
                        error("publication " + pub + " publishes the changes of partitioned table(s) " + partitioned
                                + " under the names of their partitions (publish_via_partition_root is off): the"
                                + " snapshot would read their rows, but no change would ever arrive", "ALTER PUBLICATION "
                                + Identifiers.quote(pub) + " SET (publish_via_partition_root = true);");
                    }
                    for (TableName t : existing) {
                        if (!allTables.get() && !inPublication(c, pub, t)) {
                            error("publication " + pub + " does not cover " + t + ": its changes would never arrive",
                                    "ALTER PUBLICATION " + Identifiers.quote(pub) + " ADD TABLE " + t.quoted() + ";");
                        } else if (c.getMetaData().getDatabaseMajorVersion() >= 15) {
                            List<String> filters = rowFilterOrColumnList(c, pub, t);
                            if (!filters.isEmpty()) {
                                String quoted = Identifiers.quote(pub);
                                error("publication " + pub + " publishes " + t + " with a " + String.join(" and a ", filters)
                                        + ": the stream would carry only part of what the snapshot reads, and the"
                                        + " target would drift from the source", "ALTER PUBLICATION " + quoted
                                        + " DROP TABLE " + t.quoted() + "; ALTER PUBLICATION " + quoted + " ADD TABLE "
                                        + t.quoted() + ";");
                            }
                        }
                    }
                }
            }

            if (spec.slot().isPresent()) {
                String slot = spec.slot().get();
                try (PreparedStatement ps = c.prepareStatement("select plugin, database, active,"
                        + " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint, wal_status, slot_type"
                        + " from pg_replication_slots where slot_name = ?")) {
                    ps.setString(1, slot);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            note("replication slot " + slot + " does not exist; the source creates it (it retains WAL"
                                    + " from then on)", "SELECT pg_create_logical_replication_slot("
                                    + Identifiers.literal(slot) + ", 'pgoutput');");
                        } else {
                            String drop = "SELECT pg_drop_replication_slot(" + Identifiers.literal(slot) + ");";
                            if (!"logical".equals(rs.getString(6)) || !"pgoutput".equals(rs.getString(1))) {
                                error("replication slot " + slot + " uses plugin " + rs.getString(1) + "; mds needs pgoutput",
                                        drop + "  -- then let the source create it again");
                            } else if (!database.equals(rs.getString(2))) {
                                error("replication slot " + slot + " belongs to database " + rs.getString(2),
                                        "choose another slot name");
                            }
                            if ("lost".equals(rs.getString(5))) {
                                error("replication slot " + slot + " has lost WAL it needed (wal_status lost);"
                                        + " it cannot resume", drop + "  -- then start with a new snapshot");
                            }
                            long retained = rs.getLong(4);
                            boolean active = rs.getBoolean(3);
                            if (retained > spec.walWarningBytes()) {
                                warning("replication slot " + slot + (active ? " (active)" : " (inactive)") + " retains "
                                        + bytes(retained) + " of WAL", active ? "the consumer is behind; check its lag"
                                        : "start the pipeline, or if it is retired: " + drop);
                            } else if (!active) {
                                note("replication slot " + slot + " is inactive and retains " + bytes(retained) + " of WAL",
                                        "");
                            }
                        }
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("select slot_name, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(),"
                    + " restart_lsn), 0)::bigint from pg_replication_slots where not active and slot_name <> ?"
                    + " and coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0) > ?")) {
                ps.setString(1, spec.slot().orElse(""));
                ps.setLong(2, spec.walWarningBytes());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        warning("another replication slot, " + rs.getString(1) + ", is inactive and retains "
                                + bytes(rs.getLong(2)) + " of WAL", "if it is unused: SELECT pg_drop_replication_slot("
                                + Identifiers.literal(rs.getString(1)) + ");");
                    }
                }
            }
            List<Item> sorted = new ArrayList<>(items);
            sorted.sort((a, b) -> a.severity().compareTo(b.severity()));
            return new SetupReport(sorted);
        }

        /**
         * Reports names Debezium 3.2's pgoutput decoder garbles (it reads them byte by byte), as the source refuses them:
         * a schema or table name (the stream's changes of the table would be dropped) and a primary key column (they
         * would carry no key) with a non-ASCII character. Other columns are decoded again by the source.
         */
        private void nonAsciiNames(Connection c, TableName t, boolean keyGiven) throws SQLException {
            String fix = "rename it to ASCII, or read the table with JdbcIncrementalSource";
            if (!PostgresCdcSource.isAscii(t.schema()) || !PostgresCdcSource.isAscii(t.name())) {
                error("table " + t + " has a non-ASCII schema or table name, which Debezium's pgoutput decoder garbles:"
                        + " its streamed changes would be dropped", fix);
            } else if (!keyGiven) {
                List<String> key = PostgresDialect.INSTANCE.primaryKey(c, t).stream()
                        .filter(col -> !PostgresCdcSource.isAscii(col)).map(Identifiers::quote).toList();
                if (!key.isEmpty()) {
                    error("table " + t + " has primary key column(s) with a non-ASCII name (" + String.join(", ", key)
                            + "), which Debezium's pgoutput decoder garbles: its streamed changes would carry no key", fix);
                }
            }
        }

        private void error(String problem, String fix) {
            items.add(new Item(Severity.ERROR, problem, fix));
        }

        private void warning(String problem, String fix) {
            items.add(new Item(Severity.WARNING, problem, fix));
        }

        private void note(String problem, String fix) {
            items.add(new Item(Severity.NOTE, problem, fix));
        }
    }

    /**
     * What a CDC pipeline needs from its source: the tables, the publication and slot names, the CDC user (and,
     * for {@link #apply}, its password when the role is to be created), whether full before images are wanted.
     * Defaults: no user (the connection's user), no publication or slot check, REPLICA IDENTITY DEFAULT accepted,
     * a warning above 1 GiB of retained WAL.
     *
     * @param tables the captured tables
     * @param publication the publication name, if it should be checked
     * @param slot the replication slot name, if it should be checked
     * @param user the CDC role
     * @param password the CDC role's password, for creating it
     * @param replicaIdentityFull whether every table should have REPLICA IDENTITY FULL
     * @param keyedTables tables without primary key whose key columns the source is given
     * @param walWarningBytes retained WAL above which a slot is reported
     */
    public record Spec(List<TableName> tables, Optional<String> publication, Optional<String> slot, Optional<String> user,
            Optional<String> password, boolean replicaIdentityFull, Set<TableName> keyedTables, long walWarningBytes) {
        public Spec {
            tables = List.copyOf(tables);
            keyedTables = Set.copyOf(keyedTables);
            Objects.requireNonNull(publication, "publication");
            Objects.requireNonNull(slot, "slot");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "Spec[tables=" + tables + ", publication=" + publication + ", slot=" + slot + ", user=" + user
                    + ", password=" + password.map(p -> "********") + ", replicaIdentityFull=" + replicaIdentityFull + "]";
        }

        /** Builds a {@link Spec}; at least one table is required. */
        public static final class Builder {
            private final List<TableName> tables = new ArrayList<>();
            private String publication;
            private String slot;
            private String user;
            private String password;
            private boolean replicaIdentityFull;
            private final Set<TableName> keyedTables = new LinkedHashSet<>();
            private long walWarningBytes = 1L << 30;

            private Builder() {
            }

            /** Tables to capture, as {@code schema.table}. */
            public Builder tables(String... qualifiedNames) {
                for (String t : qualifiedNames) {
                    tables.add(TableName.parse(t));
                }
                return this;
            }

            /** Tables to capture. */
            public Builder tables(Collection<TableName> tableNames) {
                tables.addAll(tableNames);
                return this;
            }

            /**
             * The publication: lower-case letters, digits, {@code _} and {@code $}, not starting with a digit. The
             * source names it to pgoutput, which reads the name unquoted (folded to lower case, split at commas), and
             * Debezium creates a missing one unquoted, so another name would never be found.
             */
            public Builder publication(String name) {
                this.publication = checkPublicationName(name);
                return this;
            }

            /** The logical replication slot to create (pgoutput) when it is missing; none is created without it. */
            public Builder slot(String name) {
                this.slot = Identifiers.check(name);
                return this;
            }

            /** The role the source connects as. */
            public Builder user(String role) {
                this.user = Identifiers.check(role);
                return this;
            }

            /** The password {@link CdcSetup#apply} creates the role with, when it does not exist. */
            public Builder password(String secret) {
                this.password = Objects.requireNonNull(secret, "secret");
                return this;
            }

            /** Whether each table should log whole old rows (complete before images in updates and deletes). */
            public Builder replicaIdentityFull(boolean full) {
                this.replicaIdentityFull = full;
                return this;
            }

            /** Tables without a primary key whose key the source is given with {@code key(...)}. */
            public Builder keyColumns(Collection<TableName> tablesWithKey) {
                keyedTables.addAll(tablesWithKey);
                return this;
            }

            /** WAL retained by the slot above which the check reports a warning (default 1 GiB). */
            public Builder walWarningBytes(long bytes) {
                this.walWarningBytes = bytes;
                return this;
            }

            /** @throws IllegalArgumentException when no table is given */
            public Spec build() {
                if (tables.isEmpty()) {
                    throw new IllegalArgumentException("CdcSetup.spec() needs tables(...)");
                }
                return new Spec(tables, Optional.ofNullable(publication), Optional.ofNullable(slot),
                        Optional.ofNullable(user), Optional.ofNullable(password), replicaIdentityFull, keyedTables,
                        walWarningBytes);
            }
        }
    }
}
