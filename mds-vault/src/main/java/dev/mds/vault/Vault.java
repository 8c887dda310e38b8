package dev.mds.vault;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Schema;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.vault.internal.HashSql;
import dev.mds.vault.internal.Jdbc;
import dev.mds.vault.internal.Relation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Data Vault 2.0 in a PostgreSQL database: the entry point for stages, hubs, links, transactional links,
 * satellites, multi-active satellites, effectivity satellites and PIT tables, all sharing one hash standard. Immutable; each setting returns a new
 * vault.
 *
 * <pre>{@code
 * Vault vault = Vault.on(dataSource).standard(HashStandard.CANONICAL);
 * vault.createStage(users);
 * vault.hub("dds.hub_users").hashKey("user_hk").businessKey("email").from(users).load();
 * vault.link("dds.link_purchases").hashKey("purchase_hk").refs("user_hk", "product_hk").from(purchases).load();
 * vault.satellite("dds.sat_users").parent("user_hk").hashDiff("user_hashdiff").payload("name", "age").from(users).load();
 * }</pre>
 *
 * Defaults: {@link HashStandard#CANONICAL}, {@link HashAlgorithm#MD5}, empty strings are values (not NULL)
 * under CANONICAL, no {@link #timeZone(ZoneId) TimeZone} of its own (hashing statements run in the session's). Every builder shows its statements with {@code sql()} before running them.
 */
public final class Vault {
    private static final Logger LOG = LoggerFactory.getLogger(Vault.class);
    private static final String STAGE_COMMENT = "mds stage, query sha-256 ";
    /** A table stage's comment, before {@link #HASHES}. */
    private static final String TABLE_STAGE_COMMENT = "mds stage";
    /** A structure's table's comment, before {@link #HASHES}. */
    private static final String TABLE_COMMENT = "mds vault table";
    /** Before the hashing a stage's comment records ({@link #hashing()}). */
    private static final String HASHES = "; hashes ";

    private final DataSource dataSource;
    private final HashStandard standard;
    private final HashAlgorithm algorithm;
    private final boolean emptyStringAsNull;
    private final String ghostRecordSource;
    private final ZoneId timeZone;
    private volatile UpperCase upperCaseCache;
    /** The stages whose hashing's dependence on the session's TimeZone this vault has looked at (and warned of). */
    private final Set<TableName> timeZoneChecked = ConcurrentHashMap.newKeySet();

    private Vault(DataSource dataSource, HashStandard standard, HashAlgorithm algorithm, boolean emptyStringAsNull,
            String ghostRecordSource, ZoneId timeZone) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.standard = Objects.requireNonNull(standard, "standard");
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        this.emptyStringAsNull = emptyStringAsNull;
        this.ghostRecordSource = ghostRecordSource;
        this.timeZone = timeZone;
    }

    /** A vault in the database behind {@code dataSource}. */
    public static Vault on(DataSource dataSource) {
        return new Vault(dataSource, HashStandard.CANONICAL, HashAlgorithm.MD5, false, null, null);
    }

    /** The hash standard of every hash this vault computes or checks (default CANONICAL). */
    public Vault standard(HashStandard standard) {
        return new Vault(dataSource, standard, algorithm, emptyStringAsNull, ghostRecordSource, timeZone);
    }

    /** The hash algorithm of every hash this vault computes or checks (default MD5). */
    public Vault algorithm(HashAlgorithm algorithm) {
        return new Vault(dataSource, standard, algorithm, emptyStringAsNull, ghostRecordSource, timeZone);
    }

    /** Under CANONICAL, whether empty strings hash as NULL (AUTOMATEDV always does so). */
    public Vault emptyStringAsNull(boolean emptyStringAsNull) {
        return new Vault(dataSource, standard, algorithm, emptyStringAsNull, ghostRecordSource, timeZone);
    }

    /**
     * The record source of ghost records ({@link Satellite#insertGhostRecord()},
     * {@link MultiActiveSatellite#insertGhostRecord()}). By default
     * {@code AUTOMATE_DV_SYSTEM} under {@link HashStandard#AUTOMATEDV} (AutomateDV's {@code system_record_value}),
     * {@code SYSTEM} under CANONICAL.
     */
    public Vault ghostRecordSource(String recordSource) {
        if (recordSource == null || recordSource.isEmpty()) {
            throw new IllegalArgumentException("ghost record source must not be null or empty");
        }
        return new Vault(dataSource, standard, algorithm, emptyStringAsNull, recordSource, timeZone);
    }

    /**
     * The session TimeZone every statement that computes hashes runs under: each load that reads a stage (hub, link,
     * transactional link, satellite, multi-active and effectivity satellite) and the creation of a table stage
     * ({@link Stage.Materialization#TABLE}) begins its transaction with {@code SET LOCAL TimeZone = '<zone>'}, shown
     * first by its {@code sql()} or {@link #stageSql}. Not set by default: the statements run in the session's own
     * TimeZone, which pgjdbc sets from the JVM's default zone.
     *
     * <p>It matters under {@link HashStandard#AUTOMATEDV}, which hashes a {@code timestamptz} (and a {@code timetz})
     * by its text, as AutomateDV's SQL does: that text is in the session's TimeZone, so the same rows loaded from JVMs
     * in different zones get different hash keys and hashdiffs (a second hub row, a "changed" satellite row), and
     * differ from those of an AutomateDV (dbt) vault, whose sessions have the server's default TimeZone, unless both
     * run in one zone: set the server's ({@code SHOW TimeZone}), or UTC. CANONICAL hashes do not depend on it. A view
     * stage's hashes are computed by whoever reads the view, in the reader's TimeZone (only the loads are covered);
     * a table stage holds those computed when it was created. A fixed offset is set as a POSIX zone with that offset
     * (PostgreSQL reads {@code '+02:00'} alone as two hours west of Greenwich); a region is set by its ID, which the
     * server must know ({@code pg_timezone_names}), else the load fails naming it. Without it, an AUTOMATEDV vault
     * logs one WARN per stage that hashes such a column (at its creation or first load), naming the stage, the columns
     * and the session's TimeZone.
     */
    public Vault timeZone(ZoneId zone) {
        Objects.requireNonNull(zone, "zone");
        return new Vault(dataSource, standard, algorithm, emptyStringAsNull, ghostRecordSource, zone);
    }

    /** The session TimeZone the hashing statements run under, if one is set ({@link #timeZone(ZoneId)}). */
    public Optional<ZoneId> timeZone() {
        return Optional.ofNullable(timeZone);
    }

    /** The record source ghost records get: as set, or the standard's default. */
    public String ghostRecordSource() {
        if (ghostRecordSource != null) {
            return ghostRecordSource;
        }
        return standard == HashStandard.AUTOMATEDV ? "AUTOMATE_DV_SYSTEM" : "SYSTEM";
    }

    /** The vault's hash standard. */
    public HashStandard standard() {
        return standard;
    }

    /** The vault's hash algorithm. */
    public HashAlgorithm algorithm() {
        return algorithm;
    }

    /** A Java hasher with this vault's settings, for values in the order of {@code parts}. */
    public Hasher hasher(Schema parts) {
        return hasherBuilder(parts).build();
    }

    /**
     * A hasher builder preset with this vault's settings, for what {@link #hasher(Schema)} cannot know, e.g.
     * {@code vault.hasherBuilder(schema).charColumns("code").build()} for a {@code char(n)} column.
     */
    public Hasher.Builder hasherBuilder(Schema parts) {
        Hasher.Builder b = Hasher.builder(parts).standard(standard).algorithm(algorithm).emptyStringAsNull(emptyStringAsNull);
        if (standard == HashStandard.AUTOMATEDV) {
            UpperCase u = upperCase();
            b.asciiUpperCase(u.asciiOnly());
            u.fullCaseMapping().ifPresent(b::fullCaseMapping);
        }
        return b;
    }

    /** How the database's {@code upper()} maps letters: ASCII only, one character for one, or by full case mapping. */
    private record UpperCase(boolean asciiOnly, Optional<Locale> fullCaseMapping) {
    }

    /**
     * How the database's {@code upper()} maps letters. ASCII only under a libc C or POSIX {@code LC_CTYPE}, or
     * PostgreSQL 17's builtin {@code C} locale; by full case mapping under ICU (in the database's ICU locale:
     * {@code ß} becomes {@code SS}) or the builtin {@code PG_UNICODE_FAST}; otherwise one character for one (libc
     * {@code towupper}, builtin {@code C.UTF-8}). Read once per vault.
     */
    private UpperCase upperCase() {
        UpperCase known = upperCaseCache;
        if (known == null) {
            // to_jsonb: the locale is datlocale from PostgreSQL 17 on, daticulocale in 15 and 16; naming either fails on the other
            String sql = "SELECT d.datlocprovider::text, d.datctype,"
                    + " coalesce(to_jsonb(d) ->> 'datlocale', to_jsonb(d) ->> 'daticulocale', '')"
                    + " FROM pg_database AS d WHERE d.datname = current_database()";
            List<String> row = Jdbc.withConnection(dataSource, c -> Jdbc.firstRow(c, sql))
                    .orElseThrow(() -> new MdsException("cannot read the current database's locale: " + sql));
            String provider = row.get(0);
            String ctype = row.get(1);
            String locale = row.get(2);
            known = switch (provider) {
                case "c" -> new UpperCase("C".equals(ctype) || "POSIX".equals(ctype), Optional.empty());
                case "b" -> "PG_UNICODE_FAST".equals(locale) ? new UpperCase(false, Optional.of(Locale.ROOT))
                        : new UpperCase("C".equals(locale), Optional.empty());
                case "i" -> new UpperCase(false, Optional.of(icuLocale(locale)));
                default -> new UpperCase(false, Optional.empty());
            };
            upperCaseCache = known;
        }
        return known;
    }

    /** An ICU locale ID ({@code und}, {@code tr-TR}, {@code de_DE@collation=phonebook}) as a Java locale. */
    static Locale icuLocale(String id) {
        int at = id.indexOf('@');
        String tag = (at < 0 ? id : id.substring(0, at)).replace('_', '-');
        return tag.isEmpty() || tag.equalsIgnoreCase("root") ? Locale.ROOT : Locale.forLanguageTag(tag);
    }

    /** A hub definition for the table ({@link TableName#parse(String)}). */
    public Hub hub(String table) {
        return new Hub(this, TableName.parse(table));
    }

    /** A link definition for the table. */
    public Link link(String table) {
        return new Link(this, TableName.parse(table));
    }

    /** A transactional (non-historised) link definition for the table, AutomateDV's {@code t_link}. */
    public TransactionalLink transactionalLink(String table) {
        return new TransactionalLink(this, TableName.parse(table));
    }

    /** A multi-active satellite definition for the table, AutomateDV's {@code ma_sat}. */
    public MultiActiveSatellite multiActiveSatellite(String table) {
        return new MultiActiveSatellite(this, TableName.parse(table));
    }

    /** A satellite definition for the table. */
    public Satellite satellite(String table) {
        return new Satellite(this, TableName.parse(table));
    }

    /** An effectivity satellite definition (driving key) for the table. */
    public EffectivitySatellite effectivitySatellite(String table) {
        return new EffectivitySatellite(this, TableName.parse(table));
    }

    /** A point-in-time table definition for the table. */
    public Pit pit(String table) {
        return new Pit(this, TableName.parse(table));
    }

    /**
     * The statements that create the stage (read-only: it reads the source's columns); none for a view that is up to
     * date (see {@link #createStage}).
     *
     * @throws MdsException naming the stage and the column when a named column is missing or cannot be hashed
     */
    public List<String> stageSql(Stage stage) {
        return Jdbc.withConnection(dataSource, c -> stageStatements(c, stage));
    }

    /**
     * Creates (or replaces) the stage in one transaction. A view stage that mds built from this very definition and
     * that still has the source's columns is left as it is: nothing runs (no lock on the view, which concurrent loads
     * may be reading; a role that may only read the view can call this too). Such a view is trusted to be what its
     * comment says, as loads trust it. A table stage is always built again. The stage's comment records the vault's
     * hash standard, algorithm and empty-string rule: a load by a vault of another standard (or, under CANONICAL,
     * another {@link #emptyStringAsNull} rule) is refused before it writes anything, naming the stage and both.
     *
     * @throws MdsException naming the stage when it cannot be created (nothing of it is created)
     */
    public LoadResult createStage(Stage stage) {
        long t0 = System.nanoTime();
        long rows;
        List<String> statements;
        try {
            statements = stageSql(stage);
            // the rows of the CREATE: a view's comes before its comment, a table's before its comment and ANALYZE
            int create = statements.size() - (stage.materialization() == Stage.Materialization.VIEW ? 2 : 3);
            rows = statements.isEmpty() ? 0 : Jdbc.withConnection(dataSource, c -> Jdbc.inTransaction(c, statements, create));
        } catch (MdsException e) {
            // a plain failed statement (a dead session) names the stage; refusals of a kind of their own name it already
            if (e.getClass() != MdsException.class || String.valueOf(e.getMessage()).contains(stage.target().toString())) {
                throw e;
            }
            throw new MdsException(stage + ": creating it failed: " + e.getMessage() + backslashes(stage, e), e);
        }
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("{} {} in {} ms", stage, statements.isEmpty() ? "is up to date" : "created", d.toMillis());
        return new LoadResult(stage.target().toString(), rows, d);
    }

    private List<String> stageStatements(Connection c, Stage stage) {
        String body = stageBody(c, stage, false);
        checkNullReplacements(c, stage);
        warnIfHashedInSessionTimeZone(c, stage);
        TableName t = stage.target();
        if (stage.materialization() == Stage.Materialization.VIEW && isViewOf(c, t, body)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (stage.materialization() != Stage.Materialization.VIEW) {
            // a table stage computes its hashes now; a view's are computed by each reader, so the loads set it
            out.addAll(timeZoneSql());
        }
        out.addAll(schemaDdl(c, t));
        out.add(ddlLock(t.quoted()));
        out.add(dropStatement(c, t, stage.materialization()));
        out.add(switch (stage.materialization()) {
            case VIEW -> "CREATE VIEW " + t.quoted() + " AS\n" + body;
            case TABLE -> "CREATE TABLE " + t.quoted() + " AS\n" + body;
            case UNLOGGED_TABLE -> "CREATE UNLOGGED TABLE " + t.quoted() + " AS\n" + body;
        });
        if (stage.materialization() == Stage.Materialization.VIEW) {
            out.add("COMMENT ON VIEW " + t.quoted() + " IS " + Identifiers.literal(stageComment(body)));
        } else {
            out.add("COMMENT ON TABLE " + t.quoted() + " IS " + Identifiers.literal(TABLE_STAGE_COMMENT + HASHES + hashing()));
            out.add("ANALYZE " + t.quoted());
        }
        return out;
    }

    /**
     * Whether {@code t} is the view mds built from {@code body} and still gives the columns {@code body} gives now:
     * its comment names the body, and its columns are the body's (a view keeps the source's columns of when it was
     * made, so a column added to the source since, or renamed, makes it stale). A comment from before mds recorded the
     * hashing ({@link #legacyStageComment}) names the body all the same (the body differs by standard): such a view is
     * not rebuilt, which would fail on views of the user's over it.
     */
    private boolean isViewOf(Connection c, TableName t, String body) {
        String sql = "SELECT a.attname FROM pg_class AS v JOIN pg_attribute AS a ON a.attrelid = v.oid AND a.attnum > 0"
                + " AND NOT a.attisdropped WHERE v.oid = " + PostgresDialect.INSTANCE.relationOid(t) + " AND v.relkind = 'v'"
                + " AND obj_description(v.oid, 'pg_class') IN (" + Identifiers.literal(stageComment(body)) + ", "
                + Identifiers.literal(legacyStageComment(body)) + ") ORDER BY a.attnum";
        List<String> viewColumns = new ArrayList<>();
        List<String> bodyColumns = new ArrayList<>();
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    viewColumns.add(rs.getString(1));
                }
            }
            if (viewColumns.isEmpty()) {
                return false;
            }
            sql = "SELECT * FROM (\n" + body + "\n) AS q LIMIT 0";
            try (ResultSet rs = st.executeQuery(sql)) {
                ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    bodyColumns.add(md.getColumnLabel(i));
                }
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        return viewColumns.equals(bodyColumns);
    }

    /**
     * The comment mds puts on a stage view: it names the view's query by its SHA-256, so that a load can tell a
     * view mds built from this very stage definition from one built otherwise (by hand, by AutomateDV, or from an
     * earlier definition).
     */
    private String stageComment(String body) {
        return legacyStageComment(body) + HASHES + hashing();
    }

    /** The comment mds put on a stage view before it recorded the hashing too: the query's SHA-256 alone. */
    private static String legacyStageComment(String body) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
            return STAGE_COMMENT + HexFormat.of().formatHex(sha);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * How this vault hashes, as a stage's comment records it: the standard and the algorithm, and under CANONICAL
     * whether empty strings hash as NULL, e.g. {@code AUTOMATEDV MD5}, {@code CANONICAL SHA256, empty strings as NULL}.
     */
    String hashing() {
        return standard + " " + algorithm + (standard == HashStandard.CANONICAL && emptyStringAsNull ? ", empty strings as NULL" : "");
    }

    /**
     * How the stage relation there now was hashed, as the comment mds put on it records it; for a view from before
     * mds recorded it (its comment holds the query's SHA-256 alone), the other standard when that comment names the
     * query this stage has under it. Empty for a stage mds did not build (AutomateDV's, one by hand), one whose
     * hashing cannot be told, or none.
     */
    private Optional<String> recordedHashing(Connection c, Stage stage) {
        String sql = "SELECT obj_description(" + PostgresDialect.INSTANCE.relationOid(stage.target()) + ", 'pg_class')";
        String comment = Jdbc.firstRow(c, sql).map(row -> row.get(0)).orElse(null);
        if (comment == null || !(comment.startsWith(STAGE_COMMENT) || comment.startsWith(TABLE_STAGE_COMMENT + HASHES))) {
            return Optional.empty();
        }
        int at = comment.indexOf(HASHES);
        if (at >= 0) {
            return Optional.of(comment.substring(at + HASHES.length()));
        }
        Vault other = standard(standard == HashStandard.CANONICAL ? HashStandard.AUTOMATEDV : HashStandard.CANONICAL);
        try {
            if (comment.equals(legacyStageComment(other.stageBody(c, stage, false)))) {
                return Optional.of(other.hashing());
            }
        } catch (MdsException | IllegalArgumentException e) {
            // the stage cannot be hashed under the other standard (a timetz under CANONICAL): not built under it
            LOG.debug("{}: not a stage of the {} standard: {}", stage, other.standard, e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * Refuses a stage that mds built under another hash standard than this vault's, or under CANONICAL with another
     * rule for empty strings (as its comment records it, see {@link #recordedHashing}): loading it would store its hash
     * keys and hashdiffs beside this vault's, which never match them. Another algorithm is left to
     * {@link #checkWidth}, which names the hash column's width.
     *
     * @throws MdsException naming {@code structure}, the stage, the stage's hashing and this vault's
     */
    void checkStageHashing(Connection c, String structure, Stage stage) {
        Optional<String> recorded = recordedHashing(c, stage);
        if (recorded.isPresent() && !withoutAlgorithm(recorded.get()).equals(withoutAlgorithm(hashing()))) {
            throw new MdsException(structure + ": " + stage + " was created with hash standard " + recorded.get()
                    + ", but this vault hashes with " + hashing() + ": its hash keys and hashdiffs would be stored"
                    + " beside this vault's, and never match them; load it with a vault of the stage's standard, or create"
                    + " the stage again with this vault (vault.createStage)");
        }
    }

    /**
     * Logs once per stage, at WARN, that an AUTOMATEDV stage hashes a {@code timestamptz} or {@code timetz} column (or
     * an array of one) by its text in the session's TimeZone, when the vault has no {@link #timeZone(ZoneId) zone} of
     * its own: sessions in other zones compute other hash keys and hashdiffs for the same rows. Names the stage, the
     * columns and the session's zone. Called by {@link #createStage} and before each load that reads the stage; what
     * it cannot read (a missing source, a derived column that does not compile) is left to those to report.
     */
    void warnIfHashedInSessionTimeZone(Connection c, Stage stage) {
        if (standard != HashStandard.AUTOMATEDV || timeZone != null || timeZoneChecked.contains(stage.target())) {
            return;
        }
        List<String> zoned = new ArrayList<>();
        try {
            Optional<Relation> src = Relation.read(c, stage.source());
            if (src.isEmpty()) {
                return;
            }
            Set<String> timeTz = new HashSet<>();
            Map<String, Optional<FieldType>> types = new LinkedHashMap<>();
            for (String n : src.get().names()) {
                Relation.Column col = src.get().require(stage.toString(), n);
                types.put(n, col.type());
                if (col.timeTz()) {
                    timeTz.add(n);
                }
            }
            types.putAll(derivedTypes(c, stage, stage.toString(), timeTz, new HashMap<>()));
            for (Stage.NullColumn nc : stage.nullColumns()) {
                types.putIfAbsent(nc.original(), types.getOrDefault(nc.name(), Optional.empty()));
                if (timeTz.contains(nc.name())) {
                    timeTz.add(nc.original());
                }
            }
            for (Stage.Hash h : stage.hashes()) {
                for (String col : hashedColumns(stage.toString(), stage, h, src.get().names())) {
                    FieldType t = types.getOrDefault(col, Optional.empty()).orElse(null);
                    FieldType.Kind k = t == null ? null : t.isArray() ? t.elementType().kind() : t.kind();
                    if ((k == FieldType.Kind.TIMESTAMPTZ || timeTz.contains(col)) && !zoned.contains(col)) {
                        zoned.add(col);
                    }
                }
            }
        } catch (MdsException e) {
            LOG.debug("{}: cannot tell whether its hashes depend on the session's TimeZone: {}", stage, e.getMessage());
            return;
        }
        if (timeZoneChecked.add(stage.target()) && !zoned.isEmpty()) {
            String zone = Jdbc.firstRow(c, "SELECT current_setting('TimeZone')").map(r -> r.get(0)).orElse("unknown");
            LOG.warn("{}: under AUTOMATEDV, column(s) {} (timestamptz or timetz) are hashed by their text in the session's"
                    + " TimeZone, here '{}': sessions in another zone (pgjdbc sets it from the JVM's default zone) compute"
                    + " other hash keys and hashdiffs for the same rows, a second hub row and a \"changed\" satellite row;"
                    + " set Vault.timeZone(ZoneId) (the server's zone to match an AutomateDV vault, or UTC) to hash under"
                    + " one zone", stage, String.join(", ", zoned.stream().map(z -> "'" + z + "'").toList()), zone);
        }
    }

    /** A {@link #hashing()} without its algorithm: {@code CANONICAL, empty strings as NULL}. */
    private static String withoutAlgorithm(String hashing) {
        for (HashAlgorithm a : HashAlgorithm.values()) {
            hashing = hashing.replace(" " + a.name(), "");
        }
        return hashing;
    }

    /**
     * The stage's rows as a relation a load reads: the stage table itself, or, for a view that mds built from this
     * stage definition (its comment says so), the view's query with the hashdiffs computed above the hash keys, so
     * that a load filtering on (hash key, load date) first computes the expensive hashdiff only for the rows that
     * pass (on a re-load: almost none). Any other view is read as it is.
     */
    String stageRelation(Connection c, Stage stage) {
        if (stage.materialization() != Stage.Materialization.VIEW) {
            return stage.target().quoted();
        }
        String sql = "SELECT obj_description(" + PostgresDialect.INSTANCE.relationOid(stage.target()) + ", 'pg_class')";
        String comment;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            comment = rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        String body = stageBody(c, stage, false);
        if (!stageComment(body).equals(comment) && !legacyStageComment(body).equals(comment)) {
            LOG.debug("{} is not the view mds builds from {}: read as it is", stage.target(), stage);
            return stage.target().quoted();
        }
        return "(\n" + stageBody(c, stage, true) + "\n)";
    }

    /**
     * The stage's query. With {@code lazyDiffs} the hash keys are computed once in an inner query (kept apart by
     * {@code OFFSET 0}) and the hashdiffs in the outer one, over the inner query's columns.
     */
    private String stageBody(Connection c, Stage stage, boolean lazyDiffs) {
        String what = "stage " + stage.target();
        Relation src = Relation.read(c, stage.source())
                .orElseThrow(() -> new MdsException(what + ": source " + stage.source() + " does not exist"));
        Map<String, Optional<FieldType>> types = new LinkedHashMap<>();
        for (String n : src.names()) {
            types.put(n, src.require(what, n).type());
        }
        for (Stage.Derived d : stage.derivedColumns()) {
            if (types.containsKey(d.name())) {
                throw new MdsException(what + ": derived column '" + d.name() + "' is already a column of " + stage.source());
            }
        }
        Set<String> timeTz = new HashSet<>();
        for (String n : src.names()) {
            if (src.require(what, n).timeTz()) {
                timeTz.add(n);
            }
        }
        Map<String, String> derivedSqlTypes = new HashMap<>();
        types.putAll(derivedTypes(c, stage, what, timeTz, derivedSqlTypes));
        Map<String, String> originals = new HashMap<>();
        for (Stage.NullColumn nc : stage.nullColumns()) {
            if (!types.containsKey(nc.name())) {
                String otherCase = types.keySet().stream().filter(n -> n.equalsIgnoreCase(nc.name())).findFirst()
                        .map(n -> "; names are exact: it has '" + n + "'").orElse("");
                throw new MdsException(what + ": null column '" + nc.name() + "' is not a column of " + stage.source()
                        + " nor a derived column (it has " + types.keySet() + otherCase + ")");
            }
            if (types.containsKey(nc.original())) {
                throw new MdsException(what + ": null column '" + nc.name() + "' keeps its value as it came in '"
                        + nc.original() + "', which is already a " + (src.has(nc.original()) ? "column of " + stage.source()
                        : "derived column") + "; rename that column");
            }
        }
        for (Stage.NullColumn nc : stage.nullColumns()) {
            types.put(nc.original(), types.get(nc.name()));
            originals.put(nc.original(), nc.name());
            if (timeTz.contains(nc.name())) {
                timeTz.add(nc.original());
            }
        }
        String ld = stage.loadDateColumn().orElseThrow(
                () -> new IllegalArgumentException(what + ": loadDate(column) is required"));
        Optional<FieldType> ldType = types.get(ld);
        if (ldType == null) {
            throw new MdsException(what + ": load date column '" + ld + "' is not in " + stage.source() + " (it has "
                    + types.keySet() + ")");
        }
        FieldType.Kind k = ldType.map(FieldType::kind).orElse(FieldType.Kind.STRING);
        if (k != FieldType.Kind.DATE && k != FieldType.Kind.TIMESTAMP && k != FieldType.Kind.TIMESTAMPTZ) {
            throw new MdsException(what + ": load date column '" + ld + "' is " + ldType.map(Object::toString).orElse("of an unknown type")
                    + "; it must be a date, timestamp or timestamptz (cast it in a derived column)");
        }
        if (stage.recordSourceIsColumn() && !types.containsKey(stage.recordSource())) {
            throw new MdsException(what + ": record source column '" + stage.recordSource() + "' is not in "
                    + stage.source() + " (it has " + types.keySet() + ")");
        }
        checkFree(what, stage, types, Stage.LOAD_DATE, ld);
        checkFree(what, stage, types, Stage.RECORD_SOURCE, stage.recordSourceIsColumn() ? stage.recordSource() : null);
        HashSql hs = hashSql();
        StringJoiner select = new StringJoiner(",\n    ", "SELECT b.*,\n    ", "");
        if (!ld.equals(Stage.LOAD_DATE)) {
            select.add("b." + Identifiers.quote(ld) + " AS " + Identifiers.quote(Stage.LOAD_DATE));
        }
        if (!(stage.recordSourceIsColumn() && stage.recordSource().equals(Stage.RECORD_SOURCE))) {
            select.add((stage.recordSourceIsColumn() ? "b." + Identifiers.quote(stage.recordSource()) + "::text"
                    : Identifiers.literal(stage.recordSource()) + "::text") + " AS " + Identifiers.quote(Stage.RECORD_SOURCE));
        }
        StringJoiner diffs = new StringJoiner(",\n    ", "SELECT k.*,\n    ", "");
        boolean anyLazy = false;
        Map<String, Long> collations = null;
        for (Stage.Hash h : stage.hashes()) {
            if (originals.containsKey(h.name())) {
                throw new MdsException(what + ": hash column '" + h.name() + "' is the stage's column holding null column '"
                        + originals.get(h.name()) + "' as it came; name the hash otherwise");
            }
            if (types.containsKey(h.name())) {
                throw new MdsException(what + ": hash column '" + h.name() + "' is already "
                        + (isDerived(stage, h.name()) ? "a derived column of the stage" : "a column of " + stage.source()));
            }
            if (h.name().equals(Stage.LOAD_DATE) || h.name().equals(Stage.RECORD_SOURCE)) {
                throw new MdsException(what + ": hash column '" + h.name() + "' is a column every stage adds; name the hash otherwise");
            }
            List<Field> parts = new ArrayList<>();
            for (String col : hashedColumns(what, stage, h, src.names())) {
                Optional<FieldType> t = types.get(col);
                if (t == null) {
                    throw new MdsException(what + ": hash column '" + h.name() + "' names column '" + col + "', which is not in "
                            + stage.source() + " (it has " + types.keySet() + ")");
                }
                if (t.isEmpty() && standard == HashStandard.AUTOMATEDV) {
                    // AutomateDV casts every column to VARCHAR: a type mds has no logical type for (an enum, an
                    // interval, an inet) is hashed by its text, trimmed, as AutomateDV hashes it
                    t = Optional.of(FieldType.STRING);
                }
                if (t.isEmpty() || (standard == HashStandard.CANONICAL && t.get().isArray()
                        && t.get().elementType().isArray())) {
                    String of = originals.getOrDefault(col, col);
                    String sqlType = src.has(of) ? src.require(what, of).sqlType() : derivedSqlTypes.getOrDefault(of, "of its type");
                    throw new MdsException(what + ": hash column '" + h.name() + "': column '" + col + "' is " + sqlType
                            + ", which cannot be hashed; " + (h.excluding() ? "exclude it, or " : "")
                            + "cast it to text or another supported type in a derived column");
                }
                if (standard == HashStandard.CANONICAL && timeTz.contains(col)) {
                    // PostgreSQL keeps a timetz's offset, the Java Hasher's TIME is a LocalTime: no hash both can agree on
                    throw new MdsException(what + ": hash column '" + h.name() + "': column '" + col + "' is a time with time"
                            + " zone, which CANONICAL cannot hash as the Java Hasher does; " + (h.excluding() ? "exclude it, or " : "")
                            + "cast it to time (e.g. (" + Identifiers.quote(col)
                            + " AT TIME ZONE 'UTC')::time) or to text in a derived column");
                }
                parts.add(Field.of(col, t.get()));
            }
            boolean eachPartUpper = false;
            if (standard == HashStandard.AUTOMATEDV && parts.size() > 1) {
                if (collations == null) {
                    collations = textCollations(c, stage, what);
                }
                Set<Long> distinct = new HashSet<>();
                for (Field f : parts) {
                    distinct.add(collations.getOrDefault(originals.getOrDefault(f.name(), f.name()), 0L));
                }
                eachPartUpper = distinct.size() > 1 || distinct.contains(0L);
            }
            if (lazyDiffs && h.diff()) {
                diffs.add(hs.hashDiff("k", parts, eachPartUpper) + " AS " + Identifiers.quote(h.name()));
                anyLazy = true;
            } else {
                select.add((h.diff() ? hs.hashDiff("b", parts, eachPartUpper) : hs.hashKey("b", parts, eachPartUpper))
                        + " AS " + Identifiers.quote(h.name()));
            }
        }
        String body = select + "\nFROM " + stageFrom(stage, src.names());
        if (!anyLazy) {
            return body;
        }
        return diffs + "\nFROM (" + body + "\nOFFSET 0) AS k";
    }

    /**
     * The collation (its oid) of each source and derived column's text as AutomateDV's hash reads it,
     * {@code CAST(c AS VARCHAR)}, under which its {@code UPPER} maps: a source column's own collation (the default,
     * 100, for a type without one), read from the catalog; a derived column's from its expression, by a query that
     * reads no row (the derived columns' types are read so too). 0 where PostgreSQL cannot tell (a derived expression
     * over columns of two collations). A null column's replaced value has the column's collation, its original too.
     * No derived expression is evaluated.
     */
    private static Map<String, Long> textCollations(Connection c, Stage stage, String what) {
        Map<String, Long> out = new HashMap<>();
        String sql = "SELECT a.attname, CASE WHEN a.attcollation = 0 THEN 100 ELSE a.attcollation END::bigint"
                + " FROM pg_attribute AS a WHERE a.attrelid = " + PostgresDialect.INSTANCE.relationOid(stage.source())
                + " AND a.attnum > 0 AND NOT a.attisdropped";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
        if (stage.derivedColumns().isEmpty()) {
            return out;
        }
        StringJoiner d = new StringJoiner(", ", "SELECT ", " FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT * FROM "
                + stage.source().quoted() + " AS s LIMIT 0) AS s ON true");
        for (Stage.Derived dc : stage.derivedColumns()) {
            // the CASE's collation is its branch's, and the branch never runs: a volatile expression (nextval) is not called
            d.add("COALESCE(pg_collation_for(CASE WHEN false THEN CAST((" + dc.sql() + ") AS VARCHAR) END)::regcollation::oid::bigint, 0)");
        }
        sql = d.toString();
        Savepoint sp = savepoint(c);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            for (int i = 0; i < stage.derivedColumns().size(); i++) {
                out.put(stage.derivedColumns().get(i).name(), rs.getLong(i + 1));
            }
        } catch (SQLException e) {
            throw derivedFailure(c, sp, stage, what, sql, e);
        }
        release(c, sp);
        return out;
    }

    /**
     * The columns {@code h} hashes: its own, or for a {@link Stage#hashDiffExcluding} every column of the source
     * ({@code sourceColumns}, in the source's order) except those it excludes.
     *
     * @throws MdsException naming the stage, the hash and the column, for an excluded name that is not a source column,
     *     and when no column is left
     */
    static List<String> hashedColumns(String what, Stage stage, Stage.Hash h, List<String> sourceColumns) {
        if (!h.excluding()) {
            return h.columns();
        }
        for (String col : h.columns()) {
            if (!sourceColumns.contains(col)) {
                boolean derived = stage.derivedColumns().stream().anyMatch(d -> d.name().equals(col));
                String otherCase = sourceColumns.stream().filter(n -> n.equalsIgnoreCase(col)).findFirst()
                        .map(n -> "; names are exact: the source has '" + n + "'").orElse("");
                throw new MdsException(what + ": hashdiff '" + h.name() + "' excludes column '" + col + "', which is not in "
                        + stage.source() + (derived ? " but a derived column: derived columns are not hashed by an"
                        + " excluding hashdiff (as in AutomateDV), so drop it from the exclusions"
                        : " (it has " + sourceColumns + otherCase + ")"));
            }
        }
        List<String> out = new ArrayList<>();
        for (String col : sourceColumns) {
            if (!h.columns().contains(col)) {
                out.add(col);
            }
        }
        if (out.isEmpty()) {
            throw new MdsException(what + ": hashdiff '" + h.name() + "' excludes every column of " + stage.source() + " "
                    + sourceColumns + ", so it has nothing to hash");
        }
        return out;
    }

    /**
     * The stage's source with its derived columns, then its null columns replaced (AutomateDV's order: derived columns,
     * then null columns, then hashes), as {@code b}: each null column {@code COALESCE}d with its replacement value in its
     * place, then each one's value as it came as {@code <column>_original}. {@code sourceColumns} are the source's
     * columns in order (read only when the stage has null columns).
     */
    private static String stageFrom(Stage stage, List<String> sourceColumns) {
        List<Stage.NullColumn> nulls = stage.nullColumns();
        if (nulls.isEmpty()) {
            return sourceWithDerived(stage, "b");
        }
        Map<String, Stage.NullColumn> byName = new HashMap<>();
        nulls.forEach(nc -> byName.put(nc.name(), nc));
        List<String> columns = new ArrayList<>(sourceColumns);
        stage.derivedColumns().forEach(d -> columns.add(d.name()));
        StringJoiner select = new StringJoiner(",\n        ", "(SELECT ", "\n    FROM " + sourceWithDerived(stage, "n") + ") AS b");
        for (String col : columns) {
            Stage.NullColumn nc = byName.get(col);
            select.add(nc == null ? "n." + Identifiers.quote(col) : "COALESCE(n." + Identifiers.quote(col) + ", "
                    + Identifiers.literal(nc.replacement()) + ") AS " + Identifiers.quote(col));
        }
        for (Stage.NullColumn nc : nulls) {
            select.add("n." + Identifiers.quote(nc.name()) + " AS " + Identifiers.quote(nc.original()));
        }
        return select.toString();
    }

    /**
     * Refuses a null column whose type cannot read its replacement value (PostgreSQL reads the literal as the column's
     * type, as in AutomateDV's {@code COALESCE(col, '-1')}): a date, a boolean, a uuid. Read-only: one {@code LIMIT 0}
     * query per null column (each its own, so that the first failure names its column).
     *
     * @throws MdsException naming the stage, the column, the value and PostgreSQL's reason
     */
    private static void checkNullReplacements(Connection c, Stage stage) {
        for (Stage.NullColumn nc : stage.nullColumns()) {
            String sql = "SELECT COALESCE(n." + Identifiers.quote(nc.name()) + ", " + Identifiers.literal(nc.replacement())
                    + ") FROM " + sourceWithDerived(stage, "n") + " LIMIT 0";
            try (Statement st = c.createStatement()) {
                st.executeQuery(sql).close();
            } catch (SQLException e) {
                throw new MdsException("stage " + stage.target() + ": null column '" + nc.name() + "' cannot hold its "
                        + (nc.required() ? "required" : "optional") + " replacement " + Identifiers.literal(nc.replacement())
                        + ", which PostgreSQL reads as the column's type: " + e.getMessage() + "; cast the column to text"
                        + " in a derived column and name that, or set Stage." + (nc.required() ? "nullKeyRequired"
                        : "nullKeyOptional") + " to a value of its type", e);
            }
        }
    }

    /** The stage's source with its derived columns, as {@code alias}. */
    private static String sourceWithDerived(Stage stage, String alias) {
        if (stage.derivedColumns().isEmpty()) {
            return stage.source().quoted() + " AS " + alias;
        }
        StringJoiner d = new StringJoiner(", ", "(SELECT s.*, ", " FROM " + stage.source().quoted() + " AS s) AS " + alias);
        for (Stage.Derived dc : stage.derivedColumns()) {
            d.add("(" + dc.sql() + ") AS " + Identifiers.quote(dc.name()));
        }
        return d.toString();
    }

    /**
     * Why a hash of the stage failed with {@code invalid input syntax for type bytea} (SQLSTATE 22P02): under AUTOMATEDV
     * with SHA256 the hash input is cast to bytea, as AutomateDV's SQL for PostgreSQL casts it, and bytea reads a
     * backslash as an escape. Per hashed column holding a backslash, the first such value (cut at 100 characters),
     * read on a connection of its own; empty under other settings or when the search fails (added to {@code e} as
     * suppressed).
     */
    String backslashes(Stage stage, Throwable e) {
        if (standard != HashStandard.AUTOMATEDV || algorithm != HashAlgorithm.SHA256 || !Structure.sqlState(e, "22P02")) {
            return "";
        }
        Map<String, List<String>> hashedInto = new LinkedHashMap<>();
        StringBuilder why = new StringBuilder();
        try {
            Jdbc.withConnection(dataSource, c -> {
                List<String> sourceColumns = stage.hashes().stream().anyMatch(Stage.Hash::excluding)
                        || !stage.nullColumns().isEmpty()
                        ? Relation.read(c, stage.source()).map(Relation::names).orElse(List.of()) : List.of();
                for (Stage.Hash h : stage.hashes()) {
                    for (String col : hashedColumns(stage.toString(), stage, h, sourceColumns)) {
                        hashedInto.computeIfAbsent(col, k -> new ArrayList<>()).add("'" + h.name() + "'");
                    }
                }
                for (Map.Entry<String, List<String>> col : hashedInto.entrySet()) {
                    String text = "b." + Identifiers.quote(col.getKey()) + "::text";
                    Jdbc.firstRow(c, "SELECT left(" + text + ", 100), length(" + text + ")::text FROM " + stageFrom(stage, sourceColumns)
                                    + " WHERE strpos(" + text + ", chr(92)) > 0 LIMIT 1")
                            .ifPresent(row -> why.append("\n  ").append(stage).append(": column '").append(col.getKey())
                                    .append("' (hashed into ").append(String.join(", ", col.getValue()))
                                    .append(") holds a backslash: '").append(row.get(0))
                                    .append(row.get(0).length() < Integer.parseInt(row.get(1)) ? "…'" : "'"));
                }
                return null;
            });
        } catch (RuntimeException diagnosis) {
            e.addSuppressed(diagnosis);
            return "";
        }
        if (why.length() > 0) {
            why.append("\n  AUTOMATEDV with SHA256 casts each hash input to bytea, as AutomateDV's SQL for PostgreSQL does,"
                    + " and bytea reads a backslash as the start of an escape: replace backslashes in a derived column"
                    + " (e.g. replace(col, '\\', '/')), or use HashStandard.CANONICAL or MD5");
        }
        return why.toString();
    }

    private static boolean isDerived(Stage stage, String column) {
        return stage.derivedColumns().stream().anyMatch(d -> d.name().equals(column));
    }

    private static void checkFree(String what, Stage stage, Map<String, Optional<FieldType>> types, String name,
            String allowedSource) {
        if (isDerived(stage, name) && !name.equals(allowedSource)) {
            throw new MdsException(what + ": derived column '" + name + "' has the name of the column the stage adds;"
                    + " name it otherwise");
        }
        if (types.containsKey(name) && !name.equals(allowedSource)) {
            throw new MdsException(what + ": the source already has a column '" + name
                    + "', which the stage adds; rename it in the source or use it as the stage's " + name);
        }
    }

    /**
     * The drop of the relation there now; when there is none, the drop of one this stage would create, IF EXISTS: a
     * createStage of the same stage that ran at the same time (and held the DDL lock first) may have created it.
     */
    private static String dropStatement(Connection c, TableName t, Stage.Materialization m) {
        String sql = "SELECT relkind::text FROM pg_class WHERE oid = " + PostgresDialect.INSTANCE.relationOid(t);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (rs.next()) {
                String kind = rs.getString(1);
                return ("v".equals(kind) ? "DROP VIEW " : "DROP TABLE ") + t.quoted();
            }
            return (m == Stage.Materialization.VIEW ? "DROP VIEW IF EXISTS " : "DROP TABLE IF EXISTS ") + t.quoted();
        } catch (SQLException e) {
            throw Sql.failed(sql, e);
        }
    }

    /** A savepoint where {@code c} is in a transaction, to go on after a failed statement; null in autocommit. */
    private static Savepoint savepoint(Connection c) {
        try {
            return c.getAutoCommit() ? null : c.setSavepoint();
        } catch (SQLException e) {
            throw new MdsException("cannot set a savepoint: " + e.getMessage(), e);
        }
    }

    private static void release(Connection c, Savepoint sp) {
        if (sp != null) {
            try {
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                throw new MdsException("cannot release a savepoint: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The failure of {@code sql}, a query over every derived column of {@code stage}: naming the first derived column
     * PostgreSQL refuses alone (each planned alone, reading no row, after rolling back to {@code sp}), with its error
     * and its expression; as it is when none fails alone or the connection cannot go on.
     */
    private static MdsException derivedFailure(Connection c, Savepoint sp, Stage stage, String what, String sql, SQLException e) {
        try {
            if (sp != null) {
                c.rollback(sp);
            }
            for (Stage.Derived dc : stage.derivedColumns()) {
                String alone = "SELECT (" + dc.sql() + ") AS " + Identifiers.quote(dc.name()) + " FROM "
                        + stage.source().quoted() + " AS s LIMIT 0";
                Optional<SQLException> refused = Jdbc.refusal(c, alone);
                if (refused.isPresent()) {
                    return new MdsException(what + ": derived column '" + dc.name() + "' does not compile: "
                            + refused.get().getMessage() + "\n  in: " + alone, e);
                }
            }
        } catch (SQLException diagnosis) {
            e.addSuppressed(diagnosis);
        }
        return new MdsException(what + ": a derived column does not compile: " + e.getMessage() + "\n  in: " + sql, e);
    }

    /**
     * The derived columns' types; adds the names of those that are {@code timetz} (or arrays of it) to {@code timeTz},
     * and each column's SQL type name ({@code point}, {@code point[]}) to {@code sqlTypes}, for messages.
     */
    private static Map<String, Optional<FieldType>> derivedTypes(Connection c, Stage stage, String what, Set<String> timeTz,
            Map<String, String> sqlTypes) {
        Map<String, Optional<FieldType>> out = new LinkedHashMap<>();
        if (stage.derivedColumns().isEmpty()) {
            return out;
        }
        StringJoiner d = new StringJoiner(", ", "SELECT ", " FROM " + stage.source().quoted() + " AS s LIMIT 0");
        for (Stage.Derived dc : stage.derivedColumns()) {
            d.add("(" + dc.sql() + ") AS " + Identifiers.quote(dc.name()));
        }
        String sql = d.toString();
        Savepoint sp = savepoint(c);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                Optional<FieldType> t;
                String typeName = md.getColumnTypeName(i);
                try {
                    // a timetz (which mds-core refuses) is a TIME here, as for a source column (see Relation): AUTOMATEDV
                    // hashes its text, CANONICAL refuses it by name below
                    t = "timetz".equals(typeName) ? Optional.of(FieldType.TIME)
                            : "_timetz".equals(typeName) ? Optional.of(FieldType.arrayOf(FieldType.TIME))
                            : Optional.of(PostgresDialect.INSTANCE.fieldType(md.getColumnType(i), typeName,
                            md.getPrecision(i), md.getScale(i)));
                } catch (MdsException | IllegalArgumentException e) {
                    // pgjdbc reads numeric(5,-2)'s scale as 2046: a numeric whatever its declared scale
                    t = "numeric".equals(md.getColumnTypeName(i)) ? Optional.of(FieldType.DECIMAL) : Optional.empty();
                }
                out.put(md.getColumnLabel(i), t);
                sqlTypes.put(md.getColumnLabel(i), typeName.startsWith("_") ? typeName.substring(1) + "[]" : typeName);
                if ("timetz".equals(md.getColumnTypeName(i)) || "_timetz".equals(md.getColumnTypeName(i))) {
                    timeTz.add(md.getColumnLabel(i));
                }
            }
        } catch (SQLException e) {
            throw derivedFailure(c, sp, stage, what, sql, e);
        }
        release(c, sp);
        return out;
    }

    /**
     * The statement that sets the vault's {@link #timeZone(ZoneId) TimeZone} for the rest of a transaction; empty when
     * none is set.
     */
    List<String> timeZoneSql() {
        return timeZone == null ? List.of() : List.of("SET LOCAL TimeZone = " + Identifiers.literal(postgresZone(timeZone)));
    }

    /**
     * A zone as PostgreSQL's TimeZone setting reads it: UTC, a fixed offset as a POSIX zone (whose offset is
     * west-positive: {@code <+02:00>-02:00} is two hours east, and prints {@code +02}), a region by its ID.
     */
    static String postgresZone(ZoneId zone) {
        ZoneId z = zone.normalized();
        if (!(z instanceof ZoneOffset o)) {
            return z.getId();
        }
        if (o.getTotalSeconds() == 0) {
            return "UTC";
        }
        String id = o.getId();                                   // +02:00, -09:30, +05:30:15
        String west = (id.charAt(0) == '+' ? "-" : "+") + id.substring(1);
        return "<" + id + ">" + west;
    }

    /**
     * Runs {@code work} in one transaction on {@code c} ({@link Jdbc#transaction}), after the vault's
     * {@link #timeZoneSql()}: the transaction of a load whose statements compute hashes.
     */
    <T> T hashingTransaction(Connection c, String what, Function<Connection, T> work) {
        List<String> settings = timeZoneSql();
        return Jdbc.transaction(c, what, x -> {
            for (String s : settings) {
                Sql.execute(x, s);
            }
            return work.apply(x);
        });
    }

    /** The statements that set up a load's hashing, then the load's {@code statements}: what its {@code sql()} shows. */
    List<String> withTimeZone(List<String> statements) {
        if (timeZone == null) {
            return statements;
        }
        List<String> out = new ArrayList<>(timeZoneSql());
        out.addAll(statements);
        return List.copyOf(out);
    }

    HashSql hashSql() {
        return new HashSql(standard, algorithm, emptyStringAsNull);
    }

    DataSource dataSource() {
        return dataSource;
    }

    /** The relation, or an error naming the structure. */
    /** The definition of a hash column: {@code bytea}, not NULL, checked to this vault's hash width. */
    String hashColumnDdl(String column) {
        String q = Identifiers.quote(column);
        return q + " bytea NOT NULL CHECK (octet_length(" + q + ") = " + algorithm.bytes() + ")";
    }

    /**
     * The schema's creation, when it is missing (none when it exists: PostgreSQL refuses
     * {@code CREATE SCHEMA IF NOT EXISTS} to a role without CREATE on the database even when the schema is there):
     * mds-core's lock and create, so that a vault and other mds modules creating one new schema at once take turns.
     */
    static List<String> schemaDdl(Connection c, TableName table) {
        return PostgresDialect.INSTANCE.schemaExists(c, table.schema()) ? List.of()
                : PostgresDialect.INSTANCE.createSchemaSql(table.schema());
    }

    /**
     * A transaction-level advisory lock on a relation's quoted name, taken before creating it: two
     * sessions running CREATE ... IF NOT EXISTS (or a drop and create) of one name at the same time do not take turns
     * in PostgreSQL, and the second failed on the catalog's unique index ('duplicate key value violates unique
     * constraint "pg_type_typname_nsp_index"') or with 'already exists'. Holding this lock, the second waits for the
     * first to commit and then finds what it created. A schema's lock ({@link #schemaDdl}) is taken before a
     * relation's, never after.
     * Another key than the loads' lock, so that creating an existing table does not wait for a load of it.
     */
    static String ddlLock(String quotedName) {
        return "SELECT pg_advisory_xact_lock(hashtext('mds-vault ddl'), hashtext(" + Identifiers.literal(quotedName) + "))";
    }

    /**
     * The DDL of a structure's table: its schema (if missing), the lock that makes two creations of it take turns
     * ({@link #ddlLock}), then the table with these column definitions, then {@code extra}.
     */
    List<String> tableDdl(Connection c, TableName table, StringJoiner columns, String... extra) {
        boolean exists = Jdbc.queryLong(c, "SELECT (" + PostgresDialect.INSTANCE.relationOid(table) + " IS NOT NULL)::int") > 0;
        List<String> out = new ArrayList<>(schemaDdl(c, table));
        out.add(ddlLock(table.quoted()));
        out.add("CREATE TABLE IF NOT EXISTS " + table.quoted() + " (\n    " + columns + "\n)");
        if (!exists) {
            // what loads check before they write (checkTableHashing); a table there already keeps its comment
            out.add("COMMENT ON TABLE " + table.quoted() + " IS " + Identifiers.literal(TABLE_COMMENT + HASHES + hashing()));
        }
        out.addAll(List.of(extra));
        return out;
    }

    /**
     * Refuses to load a table holding rows that a vault of another hash standard (or, under CANONICAL, another
     * empty-string rule) created, as its comment records it: its stored hash keys and hashdiffs never match this vault's, so every
     * key would be stored again beside its old row. A table mds did not create (AutomateDV's), or created before it
     * recorded this, is loaded as before.
     *
     * @throws MdsException naming the structure, the table, the table's hashing and this vault's
     */
    void checkTableHashing(Connection c, String structure, TableName table) {
        String sql = "SELECT obj_description(" + PostgresDialect.INSTANCE.relationOid(table) + ", 'pg_class')";
        String comment = Jdbc.firstRow(c, sql).map(row -> row.get(0)).orElse("");
        if (!comment.startsWith(TABLE_COMMENT + HASHES)) {
            return;
        }
        String recorded = comment.substring(TABLE_COMMENT.length() + HASHES.length());
        if (!withoutAlgorithm(recorded).equals(withoutAlgorithm(hashing()))
                && Jdbc.queryLong(c, "SELECT EXISTS (SELECT 1 FROM " + table.quoted() + ")::int") > 0) {
            throw new MdsException(structure + ": " + table + " was created by a vault of hash standard " + recorded
                    + " and holds its hashes, but this vault hashes with " + hashing() + ": they never match the stored"
                    + " ones, so every key would be stored again beside its rows; load it with a vault of the table's"
                    + " standard, or load another table");
        }
    }

    /**
     * The creation of an index on {@code table (columns)}, or none when the table has one already: a valid btree
     * index without predicate on exactly these columns, in this order, whatever its name (an earlier version's name
     * that another table now wants too, or the user's own). Its name is {@code <table>_<first column>_idx}, unless
     * another relation of the schema or a name in {@code planned} (the other indexes of the same DDL) has it: then
     * the first free of {@code <table>_<first column>_idx1}, {@code _idx2}, …, as PostgreSQL names an index it names
     * itself. Index names share the schema's namespace, so tables {@code a_b} over {@code c} and {@code a} over
     * {@code b_c} both wanted {@code a_b_c_idx}, and the second's {@code IF NOT EXISTS} skipped its index silently. A
     * name longer than 60 bytes is cut (at a character boundary) and ends with 8 hex digits of the full name's
     * SHA-256 instead. The name taken is added to {@code planned}. The statement keeps {@code IF NOT EXISTS}: a
     * creation of the same table that waited for this one's lock finds the index there.
     */
    static List<String> indexDdl(Connection c, TableName table, Set<String> planned, String... columns) {
        if (hasIndexOn(c, table, List.of(columns))) {
            return List.of();
        }
        String base = table.name() + "_" + columns[0] + "_idx";
        String name = indexName(base);
        for (int n = 1; planned.contains(name) || name.equals(table.name()) || relationExists(c, table.schema(), name); n++) {
            name = indexName(base + n);
        }
        planned.add(name);
        return List.of("CREATE INDEX IF NOT EXISTS " + Identifiers.quote(name) + " ON " + table.quoted() + " ("
                + Identifiers.quoteAll(List.of(columns)) + ")");
    }

    /** {@code full}, or when longer than 60 bytes its first 51 bytes, {@code _} and 8 hex digits of its SHA-256. */
    private static String indexName(String full) {
        return full.getBytes(StandardCharsets.UTF_8).length > 60
                ? Identifiers.cutToBytes(full, 51) + "_" + Identifiers.shortHash(full) : full;
    }

    /** Whether {@code table} exists and has a valid btree index without predicate on exactly {@code columns}. */
    private static boolean hasIndexOn(Connection c, TableName table, List<String> columns) {
        StringJoiner names = new StringJoiner(", ", "ARRAY[", "]::text[]");
        columns.forEach(col -> names.add(Identifiers.literal(col)));
        return Jdbc.queryLong(c, "SELECT EXISTS (SELECT FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                + " JOIN pg_am am ON am.oid = ic.relam WHERE i.indrelid = " + PostgresDialect.INSTANCE.relationOid(table)
                + " AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL AND am.amname = 'btree'"
                + " AND i.indnkeyatts = " + columns.size()
                + " AND ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) = " + names
                + ")::int") > 0;
    }

    /** Whether a relation (table, index, view, sequence, …) of schema {@code schema} is named {@code name}. */
    private static boolean relationExists(Connection c, String schema, String name) {
        return Jdbc.queryLong(c, "SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = " + Identifiers.literal(schema) + " AND c.relname = " + Identifiers.literal(name)
                + ")::int") > 0;
    }

    static Relation relation(Connection c, String structure, TableName table) {
        return Relation.read(c, table).orElseThrow(() -> new MdsException(structure + ": " + table + " does not exist"));
    }

    /**
     * Checks that the hash column holds hashes of this vault's width, judged by a value that is not a ghost key (all
     * zero bytes, or AutomateDV's all {@code '0'} characters).
     *
     * @throws MdsException naming the structure, the relation and the column
     */
    void checkWidth(Connection c, String structure, TableName table, String column) {
        // a ghost key is not a hash: mds's is all zero bytes, AutomateDV's on PostgreSQL CAST('000…0' AS BYTEA), the
        // text's bytes (32 of '0' under MD5), which a table AutomateDV loaded holds beside 16-byte hashes
        String sql = "SELECT octet_length(" + Identifiers.quote(column) + ") FROM " + table.quoted() + " WHERE "
                + Identifiers.quote(column) + " IS NOT NULL AND btrim(" + Identifiers.quote(column) + ", '\\x0030'::bytea)"
                + " <> '\\x'::bytea LIMIT 1";
        long width = Jdbc.queryLong(c, sql);
        if (width >= 0 && width != algorithm.bytes()) {
            throw new MdsException(structure + ": column '" + column + "' of " + table + " holds " + width
                    + "-byte hashes, but the vault uses " + algorithm + " (" + algorithm.bytes() + " bytes)");
        }
        if (width < 0) {
            // no hash stored yet: the width check createTable() puts on the column, CHECK ((octet_length(c) = n))
            String check = "SELECT substr(d, length(p) + 1, length(d) - length(p) - 2)::int FROM (SELECT"
                    + " pg_get_constraintdef(k.oid) AS d, 'CHECK ((octet_length(' || quote_ident("
                    + Identifiers.literal(column) + ") || ') = ' AS p FROM pg_catalog.pg_constraint k WHERE k.conrelid = "
                    + PostgresDialect.INSTANCE.relationOid(table) + " AND k.contype = 'c') x"
                    + " WHERE starts_with(d, p) AND d ~ '^[^=]*= [0-9]+\\)\\)$' LIMIT 1";
            long declared = Jdbc.queryLong(c, check);
            if (declared >= 0 && declared != algorithm.bytes()) {
                throw new MdsException(structure + ": column '" + column + "' of " + table + " is declared for "
                        + declared + "-byte hashes (its CHECK constraint), but the vault uses " + algorithm + " ("
                        + algorithm.bytes() + " bytes)");
            }
        }
    }

    /** Checks that a column is a hash column (bytea). */
    static void checkBytea(String structure, Relation r, String column) {
        Relation.Column col = r.require(structure, column);
        if (!"bytea".equals(col.sqlType())) {
            throw new MdsException(structure + ": column '" + column + "' of " + r.name() + " is " + col.sqlType()
                    + ", expected bytea (a hash)");
        }
    }

    /** Runs a satellite load: the lock, then the insert into a satellite holding rows, or the one into an empty one. */
    LoadResult runSatellite(String structure, List<String> statements, List<String> joinColumns) {
        long t0 = System.nanoTime();
        // the caller names the satellite in the error (Structure#explained)
        long rows = Jdbc.withConnection(dataSource, conn -> hashingTransaction(conn, "", c -> {
            Sql.execute(c, statements.get(0));
            // an empty satellite needs no anti-join and no merge with stored rows
            long n = Sql.update(c, statements.get(Jdbc.queryLong(c, statements.get(1)) > 0 ? 2 : 3));
            analyzeIfGrown(c, TableName.parse(structure), n, joinColumns);
            return n;
        }));
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("{}: {} rows inserted in {} ms", structure, rows, d.toMillis());
        return new LoadResult(structure, rows, d);
    }

    /**
     * Refreshes the planner's statistics of a table that grew by a tenth or more (or 1000 rows into an empty
     * one), so the next load's anti-joins are planned on its real size rather than on an empty table's. Only the
     * {@code joinColumns} the loads join on are analyzed (all columns when empty): that is what the next load's
     * plan needs, at under half the cost of a full ANALYZE; autovacuum keeps the other columns' statistics.
     */
    static void analyzeIfGrown(Connection c, TableName table, long inserted, List<String> joinColumns) {
        if (inserted < 1000) {
            return;
        }
        long before = Jdbc.queryLong(c, "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = "
                + PostgresDialect.INSTANCE.relationOid(table));
        if (inserted * 10 >= before) {
            Sql.execute(c, "ANALYZE " + table.quoted() + (joinColumns.isEmpty() ? "" : " (" + Identifiers.quoteAll(joinColumns) + ")"));
        }
    }

    /**
     * {@link #analyzeIfGrown} once the load has committed: a failure (a dead session) is logged at WARN, not thrown,
     * since the rows are stored and the statistics only help the next load's plan (autovacuum refreshes them too). A
     * load reported as failed after its commit would be re-run, or worse, believed not to have happened.
     */
    static void analyzeAfterCommit(Connection c, TableName table, long inserted, List<String> joinColumns) {
        try {
            analyzeIfGrown(c, table, inserted, joinColumns);
        } catch (MdsException e) {
            LOG.warn("{}: {} rows inserted and committed, but refreshing the table's statistics failed: {}", table, inserted,
                    e.getMessage());
        }
    }

    /**
     * Loads a structure: the statements in one transaction (after the vault's {@link #timeZoneSql()}), then statistics
     * refreshed if it grew.
     */
    LoadResult load(TableName table, List<String> statements, int countIndex, List<String> joinColumns) {
        long t0 = System.nanoTime();
        long rows = Jdbc.withConnection(dataSource, c -> {
            long n = hashingTransaction(c, "", x -> Jdbc.updates(x, statements, countIndex));
            analyzeAfterCommit(c, table, n, joinColumns);
            return n;
        });
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("{}: {} rows inserted in {} ms", table, rows, d.toMillis());
        return new LoadResult(table.toString(), rows, d);
    }

    /** Runs statements in one transaction, returning the rows of the statement at {@code countIndex}. */
    LoadResult run(String structure, List<String> statements, int countIndex) {
        long t0 = System.nanoTime();
        long rows = Jdbc.withConnection(dataSource, c -> Jdbc.inTransaction(c, statements, countIndex));
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        if (countIndex < 0) {
            LOG.info("{}: {} statements run in {} ms", structure, statements.size(), d.toMillis());
        } else {
            LOG.info("{}: {} rows inserted in {} ms", structure, rows, d.toMillis());
        }
        return new LoadResult(structure, rows, d);
    }
}
