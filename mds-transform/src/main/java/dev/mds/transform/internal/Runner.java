package dev.mds.transform.internal;

import dev.mds.core.BadInputException;
import dev.mds.core.Identifiers;
import dev.mds.core.MdsException;
import dev.mds.core.PostgresDialect;
import dev.mds.core.Sql;
import dev.mds.core.TableName;
import dev.mds.transform.Audit;
import dev.mds.transform.Materialization;
import dev.mds.transform.ModelResult;
import dev.mds.transform.ModelStatus;
import dev.mds.transform.RunResults;
import dev.mds.transform.TransformException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs (or lists) the statements of a project's models against PostgreSQL. */
public final class Runner {
    private static final Logger LOG = LoggerFactory.getLogger(Runner.class);
    private static final Pattern POSITION = Pattern.compile("\\n\\s*Position: (\\d+)");

    private final DataSource dataSource;
    private final ProjectModels models;
    private final List<ModelSpec> selected;
    private final Set<TableName> selectedNames = new HashSet<>();
    private final int threads;
    private final boolean fullRefresh;
    /** The grants and comments of the views that a model's {@code drop ... cascade} dropped in this run. */
    private final Map<TableName, Described> dropped = new ConcurrentHashMap<>();
    /** Per model, the audits its new version must pass before it commits. */
    private final Map<TableName, List<Audit>> audits;

    /** A runner of {@code selected} (a subset of {@code models}, in dependency order). */
    public Runner(DataSource dataSource, ProjectModels models, List<ModelSpec> selected, int threads,
            boolean fullRefresh, Map<TableName, List<Audit>> audits) {
        this.audits = Map.copyOf(audits);
        this.dataSource = dataSource;
        this.models = models;
        this.selected = List.copyOf(selected);
        selected.forEach(m -> selectedNames.add(m.table()));
        this.threads = threads;
        this.fullRefresh = fullRefresh;
    }

    private Set<String> schemas() {
        Set<String> schemas = new LinkedHashSet<>();
        selected.forEach(m -> schemas.add(m.table().schema()));
        return schemas;
    }

    /** Every statement a run would run now, in order, without running any (the catalog is read). */
    public List<String> sql() {
        List<String> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            for (String s : schemas()) {
                if (!PostgresDialect.INSTANCE.schemaExists(c, s)) {     // as the run: only a missing schema
                    out.addAll(PostgresDialect.INSTANCE.createSchemaSql(s));
                }
            }
            for (ModelSpec selectedModel : selected) {
                selectedModel.preHooks().stream().filter(h -> !h.transaction()).forEach(h -> out.add(h.sql()));
                out.add(Plan.modelLock(selectedModel.table()));
                Optional<Plan.Existing> existing = existing(c, selectedModel.table());
                // the names as the run resolves them: against the table's columns, the query's then being unknown
                ModelSpec m = existing.isPresent() ? stars(c, selectedModel, true).withNamesResolved(existing.get().columns())
                        : stars(c, selectedModel, true).withNamesFolded();
                Seeds.Table seed = m.seed() == null ? null : Seeds.infer(m.seed().file(), m.name(), m.seed().columnTypes());
                boolean refresh = m.fullRefresh(fullRefresh);
                boolean swaps = seed != null ? Plan.seedSwaps(existing, seed, refresh) : Plan.swaps(m, existing, refresh);
                boolean cascade = swaps && existing.isPresent() && !dependents(c, m.table()).isEmpty();
                List<Recreation> kept = List.of();
                for (Plan.Step step : seed != null ? Plan.seedSteps(m, existing, seed, refresh, cascade)
                        : Plan.steps(m, existing, refresh, cascade)) {
                    if (step instanceof Plan.LoadSeed load) {
                        out.add(load.sql());
                    } else if (step instanceof Plan.Exec e) {
                        out.add(e.sql());
                    } else if (step instanceof Plan.Hook h) {
                        out.add(h.sql());
                    } else if (step instanceof Plan.ApplyGrants g) {
                        // against the grants the relation has now, which a rebuild carries over
                        out.addAll(grantStatements(m, existing.isPresent() ? currentGrants(c, g.relation()) : List.of()));
                    } else if (step instanceof Plan.Write w) {
                        out.addAll(w.sql(w.columns()));
                    } else if (step instanceof Plan.DropOld drop) {
                        out.add(drop.sql(drop.cascade()));
                    } else if (step instanceof Plan.RenameIndex rename) {
                        // the old table's indexes still hold their names: only another relation's counts
                        out.add(rename.sql(freeIndexName(c, rename, existing.isPresent() && !existing.get().isView())));
                    } else if (step instanceof Plan.KeepViews keep) {
                        List<TableName> views = classify(c, m, keep.relation()).kept();
                        if (!views.isEmpty()) {
                            out.addAll(locks(c, keep.relation(), views));
                            kept = recreations(c, views);
                        }
                    } else if (step instanceof Plan.RecreateViews) {
                        for (Recreation r : kept) {
                            boolean model = rebuiltAfter(m, r.view());
                            if (model) {
                                out.add(SAVEPOINT);
                            }
                            out.addAll(r.sql());
                            if (model) {
                                out.add(RELEASE);
                            }
                        }
                    } else if (step instanceof Plan.CarryOver carry) {
                        // the old relation has not been renamed away yet
                        Described from = describe(c, carry.to());
                        out.addAll(carryOver(c, from, carry.to()));
                        out.addAll(publish(from, carry.to()));
                    } else if (step instanceof Plan.WriteSnapshot w) {
                        // as if the query's columns were the table's
                        List<String> columns = new ArrayList<>();
                        List<String> types = new ArrayList<>();
                        w.existing().ifPresent(e -> {
                            for (int i = 0; i < e.columns().size(); i++) {
                                if (!Plan.WriteSnapshot.META.contains(e.columns().get(i))) {
                                    columns.add(e.columns().get(i));
                                    types.add(e.types().get(i));
                                }
                            }
                        });
                        w.sql(columns, types).forEach(e -> out.add(e.sql()));
                    }
                }
                m.postHooks().stream().filter(h -> !h.transaction()).forEach(h -> out.add(h.sql()));
            }
        } catch (SQLException e) {
            throw new MdsException("cannot read the catalog: " + e.getMessage(), e);
        }
        return List.copyOf(out);
    }

    /** Runs the models; a model's failure is in its result, never thrown. */
    public RunResults run() {
        Instant start = Instant.now();
        long t0 = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            refuseNonStandardStrings(c);
            for (String s : schemas()) {
                // only a missing one, taking turns with other mds sessions creating it (mds-core's lock)
                PostgresDialect.INSTANCE.createSchemaIfMissing(c, s);
            }
        } catch (SQLException e) {
            throw new MdsException("cannot create the models' schemas: " + e.getMessage(), e);
        } catch (MdsException e) {
            if (e.getClass() != MdsException.class || !(e.getCause() instanceof SQLException)) {
                throw e;   // a refusal of its own (standard_conforming_strings)
            }
            // a failed statement (a dead session at the look for a schema, or its CREATE) says what it was for
            throw new MdsException("cannot create the models' schemas: " + e.getMessage(), e);
        }
        Map<TableName, ModelResult> done = threads <= 1 ? runInline() : runPooled();
        List<ModelResult> ordered = new ArrayList<>();
        selected.forEach(m -> ordered.add(done.get(m.table())));
        RunResults results = new RunResults(ordered, Duration.ofNanos(System.nanoTime() - t0));
        LOG.info("transform run started {}: {} models, {} succeeded, {} failed, {} skipped in {} ms", start,
                ordered.size(), results.withStatus(ModelStatus.SUCCESS).size(),
                results.withStatus(ModelStatus.ERROR).size(), results.withStatus(ModelStatus.SKIPPED).size(),
                results.duration().toMillis());
        return results;
    }

    /**
     * {@code build()} found each model's end reading {@code '…'} as the server does with
     * {@code standard_conforming_strings} on (the default since 9.1); with it off, a backslash escapes a quote, so a
     * {@code ;} that was inside a constant for that reading could end the statement for the server's.
     */
    private static void refuseNonStandardStrings(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select current_setting('standard_conforming_strings')")) {
            rs.next();
            if (!"on".equals(rs.getString(1))) {
                throw new MdsException("standard_conforming_strings is " + rs.getString(1) + " in this session: mds-transform"
                        + " reads the models' string constants as PostgreSQL does with it on (the default), so it does not"
                        + " run them otherwise; turn it on (write backslash escapes as E'...')");
            }
        }
    }

    /** The parent that did not succeed, when there is one (first in name order). */
    private Optional<ModelResult> failedParent(ModelSpec m, Map<TableName, ModelResult> done) {
        for (TableName p : m.parents()) {
            ModelResult r = done.get(p);
            if (r != null && r.status() != ModelStatus.SUCCESS) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private ModelResult skipped(ModelSpec m, ModelResult parent) {
        ModelResult r = new ModelResult(m.table(), m.materialization(), ModelStatus.SKIPPED, OptionalLong.empty(),
                Instant.now(), Duration.ZERO, Optional.of("upstream model " + parent.name() + " "
                        + (parent.status() == ModelStatus.ERROR ? "failed" : "was skipped")));
        log(r);
        return r;
    }

    private Map<TableName, ModelResult> runInline() {
        Map<TableName, ModelResult> done = new HashMap<>();
        for (ModelSpec m : selected) {
            if (Thread.currentThread().isInterrupted()) {
                throw interrupted(done, null);
            }
            Optional<ModelResult> failed = failedParent(m, done);
            done.put(m.table(), failed.isPresent() ? skipped(m, failed.get()) : build(m));
        }
        return done;
    }

    private Map<TableName, ModelResult> runPooled() {
        Map<TableName, ModelResult> done = new HashMap<>();
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, Math.max(1, selected.size())), r -> {
            Thread t = new Thread(r, "mds-transform-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        CompletionService<ModelResult> completion = new ExecutorCompletionService<>(pool);
        int running = 0;
        try {
            List<ModelSpec> pending = new ArrayList<>(selected);
            while (true) {
                boolean progressed = true;
                while (progressed) {
                    progressed = false;
                    for (var it = pending.iterator(); it.hasNext(); ) {
                        ModelSpec m = it.next();
                        boolean decided = true;
                        for (TableName p : m.parents()) {
                            if (isSelected(p) && !done.containsKey(p)) {
                                decided = false;
                            }
                        }
                        if (!decided) {
                            continue;
                        }
                        it.remove();
                        Optional<ModelResult> failed = failedParent(m, done);
                        if (failed.isPresent()) {
                            done.put(m.table(), skipped(m, failed.get()));
                            progressed = true;
                        } else {
                            completion.submit(() -> build(m));
                            running++;
                        }
                    }
                }
                if (running == 0) {
                    break;
                }
                ModelResult r = completion.take().get();
                running--;
                done.put(r.table(), r);
            }
            return done;
        } catch (InterruptedException e) {
            // no model starts any more; the running ones finish (each commits or rolls back), so that nothing of this
            // run is still at work, or commits, once it has thrown
            while (running > 0) {
                try {
                    ModelResult r = completion.take().get();
                    done.put(r.table(), r);
                    running--;
                } catch (InterruptedException again) {
                    // still finishing them
                } catch (ExecutionException unexpected) {
                    running--;
                }
            }
            Thread.currentThread().interrupt();
            throw interrupted(done, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a model's build failed unexpectedly", e.getCause());
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The run stopped for an interrupt of its thread: which models are done (with their status) and which were not
     * started.
     */
    private MdsException interrupted(Map<TableName, ModelResult> done, InterruptedException cause) {
        List<String> built = new ArrayList<>();   // done: succeeded, failed or skipped
        List<String> notStarted = new ArrayList<>();
        for (ModelSpec m : selected) {
            ModelResult r = done.get(m.table());
            if (r == null) {
                notStarted.add(m.name());
            } else {
                built.add(m.name() + " (" + r.status() + ")");
            }
        }
        return new MdsException("interrupted while running models: done "
                + (built.isEmpty() ? "none" : String.join(", ", built)) + "; not started: "
                + (notStarted.isEmpty() ? "none" : String.join(", ", notStarted)) + " (each model is built in its own"
                + " transaction: the ones that succeeded are committed, the others are as they were)", cause);
    }

    private boolean isSelected(TableName t) {
        return selectedNames.contains(t);
    }

    private static void log(ModelResult r) {
        LOG.info("{} {} {}{} {} ms{}{}", r.name(), r.materialization().configName(), r.status(),
                r.rows().isPresent() ? " " + r.rows().getAsLong() + " rows" : "", r.duration().toMillis(),
                r.keptViews().isEmpty() ? "" : " (kept views: " + String.join(", ",
                        r.keptViews().stream().map(TableName::toString).toList()) + ")",
                r.error().map(e -> ": " + e).orElse(""));
    }

    /** Builds one model in its own transaction. */
    ModelResult build(ModelSpec m) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        ModelResult r;
        try (Connection c = dataSource.getConnection()) {
            Map<TableName, Described> droppedHere = new HashMap<>();
            List<TableName> keptHere = new ArrayList<>();
            runOutsideTransaction(c, m, "pre_hook", m.preHooks(), "the model is unchanged");
            long rows = Sql.transaction(c, conn -> {
                long n = execute(conn, m, droppedHere, keptHere);
                audit(conn, m);
                return n;
            });
            dropped.putAll(droppedHere);
            runOutsideTransaction(c, m, "post_hook", m.postHooks(), "the model was built and committed before it ran");
            r = new ModelResult(m.table(), m.materialization(), ModelStatus.SUCCESS,
                    rows < 0 ? OptionalLong.empty() : OptionalLong.of(rows), started,
                    Duration.ofNanos(System.nanoTime() - t0), Optional.empty(),
                    keptHere.stream().filter(v -> !rebuiltAfter(m, v)).toList());   // the others: their models replace them
        } catch (SQLException | RuntimeException e) {
            String message = e instanceof Failure ? e.getMessage()
                    : e instanceof BadInputException ? m.name() + ": " + e.getMessage()
                    : m.name() + " (" + m.source() + "): " + serverMessage(e);
            r = new ModelResult(m.table(), m.materialization(), ModelStatus.ERROR, OptionalLong.empty(), started,
                    Duration.ofNanos(System.nanoTime() - t0), Optional.of(message));
        }
        log(r);
        return r;
    }

    /**
     * Refuses, before anything is built, to rebuild a model whose relation belongs to a role the current one is not a
     * member of: the swap renames and drops the old relation, which only its owner may do, so the run used to build
     * the whole model and then fail with PostgreSQL's "must be owner of table t", naming no schema.
     */
    private static void refuseForeignOwner(Connection c, ModelSpec m) throws SQLException {
        String sql = "select pg_get_userbyid(c.relowner), current_user, pg_has_role(c.relowner, 'USAGE')"
                + " from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ?";
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, m.table().schema());
            ps.setString(2, m.table().name());
            try (ResultSet rs = ps.executeQuery()) {
                Sql.logged(sql, t0);
                if (rs.next() && !rs.getBoolean(3)) {
                    throw new Failure(m.name() + " (" + m.source() + "): " + m.table() + " is owned by role "
                            + Identifiers.quote(rs.getString(1)) + ", and rebuilding it replaces the relation, which needs"
                            + " its ownership: role " + Identifiers.quote(rs.getString(2)) + " is not a member of "
                            + Identifiers.quote(rs.getString(1)) + " (make it the owner, or run as the owner);"
                            + " the model is unchanged");
                }
            }
        }
    }

    /**
     * {@code m} with the select lists of its {@code dbt_utils.star()} tags, read from the catalog (the relations they
     * name are built before it, being its parents), and its {@code this.database} tags as {@code current_database()}.
     * For {@code sql()} ({@code shown}), a relation not built yet shows as {@code *}.
     *
     * @throws Failure naming the model, line and relation when the relation does not exist or has no column left
     */
    private static ModelSpec stars(Connection c, ModelSpec m, boolean shown) throws SQLException {
        Map<Template.Tag, String> values = new HashMap<>();
        for (Template.Tag tag : m.template() == null ? List.<Template.Tag>of() : m.template().tags()) {
            if (tag instanceof Template.Star star) {
                String relation = m.tagValues().get(star.from());
                List<String> columns = new ArrayList<>();
                String sql = "select a.attname from pg_attribute a where a.attrelid = to_regclass(?) and a.attnum > 0"
                        + " and not a.attisdropped order by a.attnum";
                long t0 = System.nanoTime();
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, relation);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            columns.add(rs.getString(1));
                        }
                    }
                }
                Sql.logged(sql, t0);
                String list = star.render(columns);
                if (list.isEmpty() && shown) {
                    list = "* /* dbt_utils.star(): the columns of " + relation + " once it is built */";
                } else if (list.isEmpty()) {
                    throw new Failure(m.name() + " (" + m.source() + " line " + star.line() + "): dbt_utils.star() of "
                            + relation + (columns.isEmpty() ? ": the relation does not exist or has no columns"
                            : ": every column is in except " + star.except()) + "; the model is unchanged");
                }
                values.put(star, list);
            } else if (tag instanceof Template.ThisDatabase database) {
                values.put(database, rows(c, "select current_database()").get(0)[0]);
            }
        }
        return m.withTagValues(values);
    }

    /**
     * Runs the model's audits on its connection, which they may not commit, roll back or close.
     *
     * @throws Failure naming the model and the audit's reason when one rejects the build
     */
    private void audit(Connection c, ModelSpec m) {
        List<Audit> list = audits.getOrDefault(m.table(), List.of());
        for (int i = 0; i < list.size(); i++) {
            long t0 = System.nanoTime();
            try {
                list.get(i).check(transactionOnly(c), m.table());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure(m.name() + ": audit " + (i + 1) + " was interrupted; the model is unchanged");
            } catch (Exception e) {
                String reason = e.getMessage() == null ? e.toString() : e.getMessage();
                throw new Failure(m.name() + ": audit " + (i + 1) + (list.size() > 1 ? " of " + list.size() : "")
                        + " rejected the build: " + reason + "; the model is unchanged");
            }
            LOG.debug("{}: audit {} passed in {} ms", m.name(), i + 1, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** {@code c} for an audit: every method but commit, rollback (of the whole transaction), auto-commit and close. */
    private static Connection transactionOnly(Connection c) {
        return (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    String name = method.getName();
                    boolean wholeRollback = name.equals("rollback") && (args == null || args.length == 0);
                    if (name.equals("commit") || wholeRollback || name.equals("setAutoCommit") || name.equals("close")
                            || name.equals("abort")) {
                        throw new IllegalStateException("an audit runs inside the model's transaction: it may not call "
                                + name + "() on its connection (throw to reject the build)");
                    }
                    try {
                        return method.invoke(c, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /**
     * Runs the hooks of {@code hooks} with transaction false, in order, each on its own (auto-commit) outside the
     * model's transaction, as dbt's run_hooks(..., inside_transaction=False) does before the transaction begins and
     * after it commits: a statement that cannot run in a transaction block ({@code vacuum}) can, and its work stays
     * whatever becomes of the model.
     *
     * @throws Failure naming the model, the config's line and the hook, and saying {@code state}, when one fails
     */
    private static void runOutsideTransaction(Connection c, ModelSpec m, String config, List<ModelSpec.Hook> hooks,
            String state) throws SQLException {
        for (ModelSpec.Hook h : hooks) {
            if (h.transaction()) {
                continue;
            }
            boolean auto = c.getAutoCommit();
            try {
                c.setAutoCommit(true);
                Sql.update(c, h.sql());
            } catch (MdsException failed) {
                throw new Failure(m.name() + " (" + at(m, config) + "): " + config + " '" + h.sql() + "' (transaction:"
                        + " false) failed: " + serverMessage(failed.getCause() != null ? failed.getCause() : failed)
                        + "; " + state);
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }

    /** A model failure with its finished message. */
    private static final class Failure extends TransformException {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    /**
     * Runs the model's steps; {@code droppedHere} receives the grants and comments of the views of models rebuilt
     * later that its {@code drop ... cascade} drops, for their models to get back once they are built again;
     * {@code keptHere} the views it drops and creates again as they were.
     */
    private long execute(Connection c, ModelSpec model, Map<TableName, Described> droppedHere, List<TableName> keptHere)
            throws SQLException {
        // before anything is read: another run building this relation now commits first, and is read here
        String lock = Plan.modelLock(model.table());
        long start = System.nanoTime();
        try (Statement st = c.createStatement()) {
            st.executeQuery(lock).close();
            Sql.logged(lock, start);
        }
        Optional<Plan.Existing> existing = existing(c, model.table());
        // unique_key, updated_at and check_cols resolved against the table's columns, then, as written, against the
        // query's once they are known (CheckKey, CheckSnapshot)
        ModelSpec asWritten = stars(c, model, false);
        ModelSpec m = existing.isPresent() ? asWritten.withNamesResolved(existing.get().columns()) : asWritten;
        // what a refusal leaves: the relation as it was, or, on a first build, none
        String unchanged = existing.isPresent() ? "the table is unchanged" : "nothing was built";
        Seeds.Table seed = m.seed() == null ? null : Seeds.infer(m.seed().file(), m.name(), m.seed().columnTypes());
        boolean cascade = false;
        boolean refresh = m.fullRefresh(fullRefresh);
        boolean swaps = seed != null ? Plan.seedSwaps(existing, seed, refresh) : Plan.swaps(m, existing, refresh);
        if (swaps && existing.isPresent()) {
            refuseForeignOwner(c, m);
            refuseForeignPublication(c, m);
            // checked first so that a refused model builds nothing, again once locked (KeepViews), and again once
            // renamed away (CheckDependents)
            cascade = !refuseForeignDependents(c, m, m.table()).all().isEmpty();
        }
        List<Recreation> kept = List.of();
        long rows = -1;
        List<String> written = null;
        List<String[]> staged = null;
        for (Plan.Step step : seed != null ? Plan.seedSteps(m, existing, seed, refresh, cascade)
                : Plan.steps(m, existing, refresh, cascade)) {
            if (step instanceof Plan.LoadSeed load) {
                rows = Seeds.load(c, m.seed().file(), load.table(), load.into(), m.seed().columnTypes().keySet());
            } else if (step instanceof Plan.Exec e) {
                long count = update(c, m, e);
                if (e.counts()) {
                    rows = count;
                }
            } else if (step instanceof Plan.Hook h) {
                try {
                    Sql.update(c, h.sql());
                } catch (MdsException failed) {
                    throw new Failure(m.name() + " (" + at(m, h.config()) + "): " + h.config() + " '" + h.sql() + "' failed: "
                            + serverMessage(failed.getCause() != null ? failed.getCause() : failed) + "; the model is unchanged");
                }
            } else if (step instanceof Plan.ApplyGrants g) {
                for (String sql : grantStatements(m, currentGrants(c, g.relation()))) {
                    try {
                        Sql.update(c, sql);
                    } catch (MdsException failed) {
                        throw new Failure(m.name() + " (" + at(m, "grants") + "): grants: '" + sql + "' failed: "
                                + serverMessage(failed.getCause() != null ? failed.getCause() : failed)
                                + "; the model is unchanged");
                    }
                }
            } else if (step instanceof Plan.CheckStage check) {
                written = checkStage(c, m, check);
            } else if (step instanceof Plan.CheckKey check) {
                // a later run's checks, at once: a first (or full) build that passed them only to fail every run after
                List<String> built = columnsAndTypes(c, "join pg_namespace n on n.oid = c.relnamespace where"
                        + " n.nspname = ? and c.relname = ?", check.built().schema(), check.built().name()).stream()
                        .map(col -> col[0]).toList();
                m = asWritten.withNamesResolved(built);
                refuseUnknownMergeColumns(m, refuseMissingKey(m, built), unchanged);
                refuseDuplicateOrNullKeys(c, m, check.built().quoted(), built, "a later " + m.strategy().configName(),
                        unchanged);
            } else if (step instanceof Plan.Write w) {
                refuseUnknownMergeColumns(m, written, unchanged);
                for (String sql : w.sql(written)) {
                    rows = update(c, m, new Plan.Exec(sql, -1, null, true));
                }
            } else if (step instanceof Plan.KeepViews keep) {
                List<TableName> views = refuseForeignDependents(c, m, keep.relation()).kept();
                if (views.isEmpty() && isTable(c, keep.relation())) {
                    // none yet: lock the table now (its rename, next, would), then look again, so that a view created
                    // since the read (another run building a view model over it) is kept as the others, not refused
                    // after the rename, and none can be created until the swap commits (not a view: LOCK on a view
                    // locks the tables it reads too, and needs the rights to write them)
                    update(c, m, new Plan.Exec(lock(keep.relation()), -1, null, false));
                    views = refuseForeignDependents(c, m, keep.relation()).kept();
                }
                if (!views.isEmpty()) {
                    // views created since the build started (another run building a view model over it): kept as
                    // the others, the old relation then dropped with cascade
                    cascade = true;
                    for (String sql : locks(c, keep.relation(), views)) {
                        update(c, m, new Plan.Exec(sql, -1, null, false));
                    }
                    // read again now that no view over the relation can change; a view created since may read
                    // tables not locked yet, taken now, out of order (a deadlock is then possible, and reported)
                    List<TableName> before = views;
                    views = refuseForeignDependents(c, m, keep.relation()).kept();
                    if (!before.containsAll(views) && isTable(c, keep.relation())) {
                        List<TableName> more = new ArrayList<>(readTables(c, keep.relation(), views));
                        more.removeAll(readTables(c, keep.relation(), before));
                        if (!more.isEmpty()) {
                            update(c, m, new Plan.Exec(lockShared(more), -1, null, false));
                        }
                    }
                    refuseUnkeepable(c, m, views);
                    kept = recreations(c, views);
                    keptHere.addAll(views);
                }
            } else if (step instanceof Plan.CheckDependents check) {
                Dependents now = refuseForeignDependents(c, m, check.relation());
                List<TableName> since = now.kept().stream().filter(v -> !keptHere.contains(v)).toList();
                if (!since.isEmpty()) {
                    throw createdMeanwhile(m, since);
                }
                for (Dependent dependent : now.all()) {
                    // a table whose foreign key refers to it only loses the constraint; a kept view of a model rebuilt
                    // later is dropped after all when its old definition does not fit the new relation
                    if (dependent.kind() == 'v' && (!keptHere.contains(dependent.name())
                            || rebuiltAfter(m, dependent.name()))) {
                        droppedHere.put(dependent.name(), describe(c, dependent.name()));
                    }
                }
            } else if (step instanceof Plan.RecreateViews) {
                for (Recreation r : kept) {
                    recreate(c, m, r, droppedHere, keptHere);
                }
            } else if (step instanceof Plan.CarryOver carry) {
                Described from = describe(c, carry.from());
                if ("i".equals(from.replicaIdentity())) {
                    LOG.warn("{}: {} had REPLICA IDENTITY USING INDEX, which is not carried over with the index (the"
                            + " rebuilt table has the default identity: its primary key, if any); set it again after the run",
                            m.name(), m.table());
                }
                for (String sql : carryOver(c, from, carry.to())) {
                    update(c, m, new Plan.Exec(sql, -1, null, false));
                }
                publish(c, m, from, carry.to());
            } else if (step instanceof Plan.DropOld drop) {
                update(c, m, new Plan.Exec(drop.sql(cascade), -1, null, false));
            } else if (step instanceof Plan.RenameIndex rename) {
                update(c, m, new Plan.Exec(rename.sql(freeIndexName(c, rename, false)), -1, null, false));
            } else if (step instanceof Plan.CarryOverDropped carry && dropped.containsKey(carry.relation())) {
                for (String sql : carryOver(c, dropped.get(carry.relation()), carry.relation())) {
                    update(c, m, new Plan.Exec(sql, -1, null, false));
                }
            } else if (step instanceof Plan.CheckSnapshot check) {
                staged = columnsAndTypes(c, "where c.relnamespace = pg_my_temp_schema() and c.relname = ?",
                        check.stage(), null);
                m = asWritten.withNamesResolved(staged.stream().map(col -> col[0]).toList());
                checkSnapshot(c, m, check, staged, unchanged);
            } else if (step instanceof Plan.WriteSnapshot planned) {
                // with the names CheckSnapshot resolved against the query's columns
                Plan.WriteSnapshot w = new Plan.WriteSnapshot(planned.target(), planned.stage(), m.uniqueKey(),
                        m.snapshot(), planned.existing());
                refuseCurrentValueOfAnotherTimeZone(c, m, w);
                if (w.existing().isPresent()) {
                    widenStrings(c, m, Identifiers.quote("pg_temp", w.stage()), w.existing().get().columns(), w.existing().get().types(),
                            staged.stream().map(col -> col[0]).toList(), staged.stream().map(col -> col[1]).toList());
                }
                rows = 0;
                for (Plan.Exec e : w.sql(staged.stream().map(col -> col[0]).toList(),
                        staged.stream().map(col -> col[1]).toList())) {
                    long count = update(c, m, e);
                    rows += e.counts() ? count : 0;
                }
            }
        }
        return rows;
    }

    /**
     * Refuses a first (or full) build of an incremental model whose unique_key names a column the model does not
     * return: the build would succeed and every later run fail.
     *
     * @param columns the columns of the built table
     * @return {@code columns}
     * @throws Failure naming the key's missing columns and the model's
     */
    private static List<String> refuseMissingKey(ModelSpec m, List<String> columns) {
        List<String> absent = m.uniqueKey().stream().filter(k -> !columns.contains(k)).toList();
        if (!absent.isEmpty() && !keyExpressionsOnly(m, absent, "nothing was built")) {
            throw new Failure(m.name() + " (" + at(m, "unique_key") + "): unique_key column(s) " + absent + " are not columns of"
                    + " the model (it returns " + String.join(", ", columns) + ")" + caseHint(absent, columns)
                    + expressionHint(m, absent) + ", so no later run could match its new rows with the table's; nothing was"
                    + " built");
        }
        return columns;
    }

    /**
     * Whether every name of {@code absent} (unique_key names no column has) is an SQL expression that the model's
     * strategy takes: only delete+insert does, as in dbt, whose delete writes it as it is ({@code where (key) in
     * (select key from ...)}); its merge writes {@code DBT_INTERNAL_SOURCE.<key> = DBT_INTERNAL_DEST.<key>}, which an
     * expression does not survive, and mds's snapshots take column names only.
     *
     * @throws Failure naming the expression when it is not one SQL expression (it would be run as it is)
     */
    private static boolean keyExpressionsOnly(ModelSpec m, List<String> absent, String unchanged) {
        if (m.materialization() != Materialization.INCREMENTAL || m.strategy() != ModelSpec.Strategy.DELETE_INSERT
                || !absent.stream().allMatch(k -> ModelSpec.isKeyExpression(k, List.of()))) {
            return false;
        }
        for (String k : absent) {
            if (k.contains("{{") || k.contains("{%") || !Statements.isOneExpression(k)) {
                throw new Failure(m.name() + " (" + at(m, "unique_key") + "): unique_key '" + k + "' is neither a column"
                        + " nor one SQL expression (no ';', no tag, no string, quoted name or comment left open, no --"
                        + " comment); " + unchanged);
            }
        }
        return true;
    }

    /**
     * {@code " (... did you mean Id?)"} when a name of {@code absent} differs from one of {@code columns} only in case
     * and does not fold to it as SQL folds an unquoted name ({@code ID} for a column {@code Id}), else nothing.
     */
    private static String caseHint(List<String> absent, List<String> columns) {
        List<String> alike = new ArrayList<>();
        for (String a : absent) {
            columns.stream().filter(col -> col.equalsIgnoreCase(a)).findFirst().ifPresent(alike::add);
        }
        return alike.isEmpty() ? "" : " (a name is matched exactly, or folded to lower case as SQL folds an unquoted"
                + " name: did you mean "
                + String.join(", ", alike) + "?)";
    }

    /**
     * {@code " (if a + b is an SQL expression ...)"} when a unique_key name of {@code absent} cannot be an unquoted
     * name (dbt's older unique_key="id || '-' || region", which dbt writes into its SQL as it is), else nothing.
     */
    private static String expressionHint(ModelSpec m, List<String> absentKeys) {
        String takes = m.materialization() == Materialization.SNAPSHOT ? "an mds snapshot takes column names only"
                : "mds takes one with incremental_strategy='delete+insert' only, as dbt, whose merge writes"
                        + " DBT_INTERNAL_SOURCE.<key> = DBT_INTERNAL_DEST.<key>, which fails for an expression";
        return absentKeys.stream().filter(k -> !ModelSpec.isUnquotedIdentifier(k)).findFirst()
                .map(k -> " (if " + k + " is an SQL expression, as dbt allows: " + takes + "; list the"
                        + " columns it combines, unique_key=[...])").orElse("");
    }

    /**
     * merge_update_columns and merge_exclude_columns may name only columns the merge writes, and merge_update_columns
     * no unique_key column (build() refuses one written as the key is; this, one written in another case).
     */
    private static void refuseUnknownMergeColumns(ModelSpec m, List<String> written, String unchanged) {
        List<String> keys = m.mergeColumns().update().stream().filter(m.uniqueKey()::contains).toList();
        if (!keys.isEmpty()) {
            throw new Failure(m.name() + " (" + at(m, "merge_update_columns") + "): merge_update_columns "
                    + m.template().config().get("merge_update_columns").value() + " names the unique_key column(s) "
                    + keys + ", a name being resolved as PostgreSQL resolves it unquoted: a match never changes its key"
                    + " (leave it out); " + unchanged);
        }
        refuseUnwritten(m, "merge_update_columns", m.mergeColumns().update(), written, unchanged);
        refuseUnwritten(m, "merge_exclude_columns", m.mergeColumns().exclude(), written, unchanged);
    }

    private static void refuseUnwritten(ModelSpec m, String config, List<String> named, List<String> written,
            String unchanged) {
        List<String> unknown = named.stream().filter(c -> !written.contains(c)).toList();
        if (!unknown.isEmpty()) {
            throw new Failure(m.name() + " (" + at(m, config) + "): " + config + " names " + unknown + ", not written by"
                    + " the merge (it writes " + String.join(", ", written) + "); " + unchanged);
        }
    }

    /**
     * What becomes of the relations that depend on one a model replaces: {@code kept}, the plain views, in the order
     * they can be created again (those of models rebuilt after it in this run too, as they are, until their models
     * replace them: so a model that then fails or is skipped leaves its view as it was); {@code refused}, the other
     * relations no model rebuilds after it (materialized views, tables whose foreign keys or rules refer to it). The
     * others, of models rebuilt after it, are dropped and built again.
     */
    private record Dependents(List<Dependent> all, List<TableName> kept, List<Dependent> refused) {
    }

    /** The dependents of {@code relation} (the model's relation, perhaps renamed away), sorted by what becomes of them. */
    private Dependents classify(Connection c, ModelSpec m, TableName relation) throws SQLException {
        List<Dependent> all = dependents(c, relation);
        Set<TableName> kept = new HashSet<>();
        List<Dependent> refused = new ArrayList<>();
        for (Dependent d : all) {
            if (d.kind() == 'v') {
                kept.add(d.name());
            } else if (!rebuiltAfter(m, d.name())) {
                refused.add(d);
            }
        }
        // in creation order: a view after those it reads
        List<TableName> ordered = new ArrayList<>();
        List<Dependent> left = all.stream().filter(d -> kept.contains(d.name())).toList();
        while (!left.isEmpty()) {
            List<Dependent> ready = left.stream().filter(d -> d.reads().stream()
                    .allMatch(r -> !kept.contains(r) || ordered.contains(r))).toList();
            if (ready.isEmpty()) {
                ready = left;   // a cycle, through rules: creating them says why it cannot be
            }
            ready.forEach(d -> ordered.add(d.name()));
            List<Dependent> done = ready;
            left = left.stream().filter(d -> !done.contains(d)).toList();
        }
        return new Dependents(all, ordered, refused);
    }

    /**
     * The dependents of {@code relation} (see {@link #classify}), when none of them is refused.
     *
     * @throws Failure naming the refused ones and what they are
     */
    private Dependents refuseForeignDependents(Connection c, ModelSpec m, TableName relation) throws SQLException {
        refuseDroppedWithIt(c, m, relation);
        Dependents dependents = classify(c, m, relation);
        List<Dependent> foreign = dependents.refused();
        if (!foreign.isEmpty()) {
            List<String> what = new ArrayList<>();
            for (Dependent d : foreign) {
                what.add(d.name() + " is " + (d.kind() == 'm' ? "a materialized view"
                        : d.kind() == 'r' || d.kind() == 'p' ? "a table whose foreign key (or rule) refers to it"
                        : "a relation of kind " + d.kind()));
            }
            throw new Failure(m.name() + " (" + m.source() + "): cannot replace " + m.table() + ": "
                    + foreign.stream().map(d -> d.name().toString()).toList() + " depend(s) on it ("
                    + String.join("; ", what) + ") and " + (foreign.size() == 1 ? "is not a model" : "are not models")
                    + " rebuilt after it in this run: mds-transform keeps the plain views over a relation it replaces"
                    + " (creating them again) and drops with CASCADE its own downstream models, but cannot keep these;"
                    + " drop them first or make them models that ref('" + m.name() + "')");
        }
        return dependents;
    }

    /** A view over the replaced relation appeared after the run read its dependents: it was not kept. */
    private static Failure createdMeanwhile(ModelSpec m, List<TableName> views) {
        return new Failure(m.name() + " (" + m.source() + "): cannot replace " + m.table() + ": "
                + views.stream().map(TableName::toString).toList() + " depend(s) on it, created while it was being"
                + " rebuilt (after the run had read what depends on it), so not kept; run it again to keep them");
    }

    /** {@code lock table t in access exclusive mode}: no view over {@code relation} changes until the swap commits. */
    private static String lock(TableName relation) {
        return "lock table " + relation.quoted() + " in access exclusive mode";
    }

    /** {@code lock table a, b in access share mode}: the tables stay as they are until the swap commits. */
    private static String lockShared(List<TableName> tables) {
        return "lock table " + String.join(", ", tables.stream().map(TableName::quoted).toList()) + " in access share mode";
    }

    /** Schema, then name: the one order in which every swap of every run takes its locks. */
    private static final Comparator<TableName> LOCK_ORDER =
            Comparator.comparing(TableName::schema).thenComparing(TableName::name);

    /**
     * The locks a table's swap takes before it keeps {@code views}: {@code relation} in access exclusive mode and the
     * other tables the views read (directly or through other views), which creating them again will read, in access
     * share mode, all in {@link #LOCK_ORDER}. Two swaps at the same time ({@code threads > 1}) that keep one view thus
     * lock the same tables in the same order, and the second waits for the first to commit; before, each locked its own
     * table first and then wanted the other's, and PostgreSQL's deadlock detector failed one of them. A view model's
     * relation keeps its one lock: locking a view locks the tables it reads too.
     */
    private static List<String> locks(Connection c, TableName relation, List<TableName> views) throws SQLException {
        if (!isTable(c, relation)) {
            return List.of(lock(relation));
        }
        List<TableName> shared = readTables(c, relation, views);
        List<TableName> before = shared.stream().filter(t -> LOCK_ORDER.compare(t, relation) < 0).toList();
        List<TableName> after = shared.stream().filter(t -> LOCK_ORDER.compare(t, relation) > 0).toList();
        List<String> out = new ArrayList<>();
        if (!before.isEmpty()) {
            out.add(lockShared(before));
        }
        out.add(lock(relation));
        if (!after.isEmpty()) {
            out.add(lockShared(after));
        }
        return out;
    }

    /**
     * The tables (plain and partitioned, other than {@code relation}) that {@code views} read, directly or through
     * other views, in {@link #LOCK_ORDER}.
     */
    private static List<TableName> readTables(Connection c, TableName relation, List<TableName> views)
            throws SQLException {
        Set<TableName> tables = new HashSet<>();
        for (TableName v : views) {
            for (String[] t : rows(c, "with recursive r(oid) as (select " + OID + " union"
                    + " select d.refobjid from r join pg_rewrite w on w.ev_class = r.oid join pg_depend d"
                    + " on d.classid = 'pg_rewrite'::regclass and d.objid = w.oid and d.refclassid = 'pg_class'::regclass)"
                    + " select n.nspname, c.relname from r join pg_class c on c.oid = r.oid"
                    + " join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')", v)) {
                tables.add(TableName.of(t[0], t[1]));
            }
        }
        tables.remove(relation);
        return tables.stream().sorted(LOCK_ORDER).toList();
    }

    private static boolean isTable(Connection c, TableName t) throws SQLException {
        return existing(c, t).map(e -> e.kind() == 'r' || e.kind() == 'p').orElse(false);
    }

    /** The statements creating again a view that a swap keeps, in order. */
    private record Recreation(TableName view, List<String> sql) {
    }

    /** Around the creation of a kept view of a model rebuilt later: its failure drops the view instead. */
    private static final String SAVEPOINT = "savepoint mds_keep_view";
    private static final String RELEASE = "release savepoint mds_keep_view";

    /** Whether {@code view} is the relation of a model this run rebuilds after {@code m} (one reading it). */
    private boolean rebuiltAfter(ModelSpec m, TableName view) {
        return isSelected(view) && models.descendants(m.table()).contains(view);
    }

    /**
     * Creates a kept view again over the model's new relation. A view no model rebuilds after it must fit: its failure
     * is the model's. The view of a model rebuilt later is created in a savepoint, and when its old definition no
     * longer fits (the model was changed with the relation it reads) it stays dropped: its model builds it again, with
     * the grants and comments {@code droppedHere} holds, so only then is it missing, as dbt leaves it.
     */
    private void recreate(Connection c, ModelSpec m, Recreation r, Map<TableName, Described> droppedHere,
            List<TableName> keptHere) {
        boolean model = rebuiltAfter(m, r.view());
        if (model) {
            Sql.update(c, SAVEPOINT);
        }
        for (String sql : r.sql()) {
            try {
                Sql.update(c, sql);
            } catch (MdsException failed) {
                String why = serverMessage(failed.getCause() != null ? failed.getCause() : failed);
                if (model) {
                    Sql.update(c, "rollback to " + SAVEPOINT);
                    Sql.update(c, RELEASE);
                    keptHere.remove(r.view());
                    LOG.info("{}: the view of model {} does not fit the new {} ({}), so it is dropped until its model"
                            + " builds it again", m.name(), r.view(), m.table(), why);
                    return;
                }
                throw new Failure(m.name() + " (" + m.source() + "): cannot keep view " + r.view() + ", which"
                        + " depends on " + m.table() + ", over its new build: '" + sql.replaceAll("\\s*\n\\s*", " ")
                        + "' failed: " + why
                        + (sql.startsWith("create view ") ? " (change or drop the view, or make it a"
                                + " model that ref('" + m.name() + "')s);" : " (run as a role that may, or"
                                + " change or drop the view first);")
                        + " nothing was changed: the old " + m.table() + " and its views are as they were");
            }
        }
        if (model) {
            Sql.update(c, RELEASE);
            droppedHere.remove(r.view());   // kept: its model's build carries its grants over from it
        }
    }

    /** The oid of the relation named by the two parameters that follow. */
    private static final String OID = "(select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            + " where n.nspname = ? and c.relname = ?)";

    /**
     * The statements creating {@code views} (in creation order) again as they are now: definition (its {@code *}
     * expanded when it was created, so the view keeps its columns) and options, owner, column defaults, grants and
     * comments ({@link #carryOver}), INSTEAD OF triggers and rules.
     */
    private static List<Recreation> recreations(Connection c, List<TableName> views) throws SQLException {
        List<Recreation> out = new ArrayList<>();
        for (TableName v : views) {
            List<String> sql = new ArrayList<>();
            String[] view = rows(c, "select pg_get_viewdef(c.oid, true), pg_get_userbyid(c.relowner), current_user"
                    + " from pg_class c where c.oid = " + OID, v).get(0);
            StringBuilder options = new StringBuilder();
            for (String[] o : rows(c, "select option_name, option_value from pg_options_to_table((select reloptions"
                    + " from pg_class where oid = " + OID + "))", v)) {
                options.append(options.length() == 0 ? " with (" : ", ").append(Identifiers.quote(o[0])).append(" = ")
                        .append(Identifiers.literal(o[1]));
            }
            String definition = view[0].strip();
            definition = definition.endsWith(";") ? definition.substring(0, definition.length() - 1) : definition;
            sql.add("create view " + v.quoted() + (options.length() == 0 ? "" : options + ")") + " as\n" + definition);
            if (!view[1].equals(view[2])) {
                sql.add("alter view " + v.quoted() + " owner to " + Identifiers.quote(view[1]));
            }
            for (String[] d : rows(c, "select a.attname, pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d"
                    + " join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum where d.adrelid = " + OID
                    + " order by a.attnum", v)) {
                sql.add("alter view " + v.quoted() + " alter column " + Identifiers.quote(d[0]) + " set default " + d[1]);
            }
            sql.addAll(carryOver(c, describe(c, v), v));
            for (String[] t : rows(c, "select pg_get_triggerdef(t.oid, true) from pg_trigger t where t.tgrelid = " + OID
                    + " and not t.tgisinternal order by t.tgname", v)) {
                sql.add(t[0]);
            }
            for (String[] r : rows(c, "select pg_get_ruledef(w.oid, true) from pg_rewrite w where w.ev_class = " + OID
                    + " and w.rulename <> '_RETURN' order by w.rulename", v)) {
                String rule = r[0].strip();
                sql.add(rule.endsWith(";") ? rule.substring(0, rule.length() - 1) : rule);
            }
            out.add(new Recreation(v, List.copyOf(sql)));
        }
        return out;
    }

    /**
     * Refuses to keep views that something other than views, their own triggers, rules and column defaults depends
     * on (a function taking or returning the view's row type, a column of that type): dropping the views would drop
     * it too, and creating them again would not bring it back.
     *
     * @throws Failure naming the view and what depends on it
     */
    private static void refuseUnkeepable(Connection c, ModelSpec m, List<TableName> views) throws SQLException {
        for (TableName v : views) {
            List<String> others = dependingObjects(c, v, "'n', 'a'",
                    "'pg_rewrite'::regclass, 'pg_trigger'::regclass, 'pg_attrdef'::regclass");
            if (!others.isEmpty()) {
                throw new Failure(m.name() + " (" + m.source() + "): cannot replace " + m.table() + ": view " + v
                        + " depends on it and is not a model rebuilt after it in this run, and mds-transform would keep"
                        + " it by creating it again, but " + String.join(", ", others)
                        + " depend(s) on the view, which dropping it would drop too; drop them first or make the view a"
                        + " model that ref('" + m.name() + "')s");
            }
        }
    }

    /**
     * Refuses to replace a relation that something other than views, foreign keys and publications (carried over)
     * depends on, directly or through its row type: a function returning its rows, a column of another table holding
     * its rows, a table inheriting from it. Dropping the old relation would drop them too (with CASCADE silently, a column with its data), and creating
     * the new one would not bring them back.
     *
     * @throws Failure naming them
     */
    private static void refuseDroppedWithIt(Connection c, ModelSpec m, TableName relation) throws SQLException {
        // a publication's membership (its column list and row filter depend on columns) is carried over
        List<String> others = dependingObjects(c, relation, "'n'", "'pg_rewrite'::regclass, 'pg_constraint'::regclass,"
                + " 'pg_publication_rel'::regclass");
        if (!others.isEmpty()) {
            throw new Failure(m.name() + " (" + m.source() + "): cannot replace " + m.table() + ": "
                    + String.join(", ", others) + " depend(s) on it or on its row type, and dropping the old relation"
                    + " would drop them too (a column with its data); drop or change them first; nothing was changed");
        }
    }

    /**
     * The objects (as {@code pg_describe_object} names them) depending on {@code relation} or on its row type through
     * dependencies of the kinds {@code deptypes} (a {@code pg_depend.deptype} list), except those of the catalogs
     * {@code exceptCatalogs} (a regclass list).
     */
    private static List<String> dependingObjects(Connection c, TableName relation, String deptypes, String exceptCatalogs)
            throws SQLException {
        return rows(c, "select pg_describe_object(d.classid, d.objid, d.objsubid) from pg_depend d"
                + " where d.deptype in (" + deptypes + ") and ((d.refclassid = 'pg_class'::regclass and d.refobjid = " + OID
                + ") or (d.refclassid = 'pg_type'::regclass and d.refobjid = (select reltype from pg_class where oid = "
                + OID + "))) and d.classid not in (" + exceptCatalogs + ") order by 1", relation, relation)
                .stream().map(o -> o[0]).toList();
    }

    /** Runs one statement of the model's build; its failure becomes the model's error, with the line where known. */
    private static long update(Connection c, ModelSpec m, Plan.Exec e) {
        try {
            return Sql.update(c, e.sql());
        } catch (MdsException failed) {
            throw new Failure(describe(m, e, failed));
        }
    }

    /**
     * Where a message about {@code config(configKey=...)} points: the model's file (or {@code model x.y}) and the line
     * the key is written on, when the model sets it.
     */
    private static String at(ModelSpec m, String configKey) {
        Template.Setting setting = m.template() == null ? null : m.template().config().get(configKey);
        return setting == null ? m.source() : m.source() + " line " + setting.line();
    }

    private static String describe(ModelSpec m, Plan.Exec e, MdsException failed) {
        Throwable cause = failed.getCause() != null ? failed.getCause() : failed;
        String text = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        String where = m.source();
        Matcher p = POSITION.matcher(text);
        if (p.find() && e.rendered() != null) {
            // PostgreSQL counts characters (code points); Java counts UTF-16 units, two for an emoji
            int points = Integer.parseInt(p.group(1)) - 1;
            int chars = points <= e.sql().codePointCount(0, e.sql().length())
                    ? e.sql().offsetByCodePoints(0, points) : Integer.MAX_VALUE;
            int offset = chars == Integer.MAX_VALUE ? -1 : chars - e.body();
            if (offset >= 0 && offset <= e.rendered().sql().length()) {
                where = e.rendered().whereAt(offset, m.source());
            }
        }
        return m.name() + " (" + where + "): " + serverMessage(cause);
    }

    private static String serverMessage(Throwable e) {
        String text = e.getMessage() == null ? e.toString() : e.getMessage();
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("Position:") && !l.startsWith("in:")) {
                lines.add(l);
            }
        }
        return String.join("; ", lines);
    }

    /**
     * Checks the stage against the table by the model's on_schema_change (adding the stage's new columns to the
     * table under append_new_columns) and its unique_key, and returns the columns to write.
     */
    private List<String> checkStage(Connection c, ModelSpec m, Plan.CheckStage check) throws SQLException {
        List<String> stage = new ArrayList<>();
        List<String> stageTypes = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (String[] col : columnsAndTypes(c, "where c.relnamespace = pg_my_temp_schema() and c.relname = ?",
                check.stage(), null)) {
            stage.add(col[0]);
            stageTypes.add(col[1]);
            int i = check.targetColumns().indexOf(col[0]);
            // a varchar that only grew is widened below, whatever on_schema_change says (dbt's incremental
            // materialization runs expand_target_column_types before it looks for schema changes)
            if (i >= 0 && !check.targetTypes().get(i).equals(col[1])
                    && Plan.widerString(check.targetTypes().get(i), col[1]).isEmpty()) {
                changed.add(col[0] + " (" + check.targetTypes().get(i) + " in the table, " + col[1] + " in the new rows)");
            }
        }
        List<String> extra = stage.stream().filter(s -> !check.targetColumns().contains(s)).toList();
        List<String> missing = check.targetColumns().stream().filter(s -> !stage.contains(s)).toList();
        ModelSpec.OnSchemaChange policy = m.onSchemaChange();
        if (policy == ModelSpec.OnSchemaChange.FAIL && (!extra.isEmpty() || !missing.isEmpty() || !changed.isEmpty())) {
            List<String> what = new ArrayList<>();
            if (!extra.isEmpty()) {
                what.add("the new rows have column(s) " + extra + " that the table lacks");
            }
            if (!missing.isEmpty()) {
                what.add("the table has column(s) " + missing + " that the new rows lack");
            }
            if (!changed.isEmpty()) {
                what.add("column(s) changed type: " + String.join(", ", changed));
            }
            throw new Failure(m.name() + " (" + m.source() + "): " + String.join("; ", what) + " (on_schema_change=fail:"
                    + " change the model back, rebuild it with fullRefresh(true), or configure on_schema_change="
                    + "'append_new_columns' or 'ignore'); the table is unchanged");
        }
        widenStrings(c, m, Identifiers.quote("pg_temp", check.stage()), check.targetColumns(), check.targetTypes(), stage, stageTypes);
        List<String> newKeys = m.uniqueKey().stream().filter(extra::contains).toList();
        if (!newKeys.isEmpty() && policy != ModelSpec.OnSchemaChange.IGNORE && holdsRows(c, m.table())) {
            throw new Failure(m.name() + " (" + at(m, "unique_key") + "): unique_key column(s) " + newKeys + " are not in the"
                    + " table, which holds rows: none of them could match a new row, so each would stay beside its new"
                    + " version (rebuild the model with fullRefresh(true)); the table is unchanged");
        }
        List<String> written = new ArrayList<>(check.targetColumns());
        written.retainAll(stage);
        List<String> alters = new ArrayList<>();
        String table = "alter table " + m.table().quoted();
        if (policy == ModelSpec.OnSchemaChange.SYNC_ALL_COLUMNS) {
            for (String col : missing) {
                alters.add(table + " drop column " + Identifiers.quote(col));
            }
            for (String col : written) {
                String type = stageTypes.get(stage.indexOf(col));
                String tableType = check.targetTypes().get(check.targetColumns().indexOf(col));
                if (!tableType.equals(type) && Plan.widerString(tableType, type).isEmpty()) {
                    alters.add(table + " alter column " + Identifiers.quote(col) + " type " + type + " using "
                            + Identifiers.quote(col) + "::" + type);
                }
            }
        }
        if (policy == ModelSpec.OnSchemaChange.APPEND_NEW_COLUMNS || policy == ModelSpec.OnSchemaChange.SYNC_ALL_COLUMNS) {
            for (String col : extra) {
                alters.add(table + " add column " + Identifiers.quote(col) + " " + stageTypes.get(stage.indexOf(col)));
                written.add(col);
            }
        }
        for (String alter : alters) {
            update(c, m, new Plan.Exec(alter, -1, null, false));
        }
        if (written.isEmpty()) {
            throw new Failure(m.name() + " (" + m.source() + "): the new rows have no column of the table (new rows: "
                    + String.join(", ", stage) + "; table: " + String.join(", ", check.targetColumns())
                    + "); the table is unchanged");
        }
        if (m.uniqueKey().isEmpty()) {
            return written;
        }
        List<String> absent = m.uniqueKey().stream().filter(k -> !written.contains(k)).toList();
        if (!absent.isEmpty() && !keyExpressionsOnly(m, absent, "the table is unchanged")) {
            throw new Failure(m.name() + " (" + at(m, "unique_key") + "): unique_key column(s) " + absent
                    + " are not columns of both the model (" + String.join(", ", stage) + ") and the table ("
                    + String.join(", ", check.targetColumns()) + ")" + caseHint(absent, stage) + expressionHint(m, absent));
        }
        refuseDuplicateOrNullKeys(c, m, Identifiers.quote("pg_temp", check.stage()), written, m.strategy().configName(),
                "the table is unchanged");
        List<String> expressions = m.uniqueKey().stream().filter(k -> ModelSpec.isKeyExpression(k, written)).toList();
        List<String> added = extra.stream().filter(written::contains).toList();
        if (!expressions.isEmpty() && !added.isEmpty()) {
            // as for a key column added to a table that holds rows: a stored row whose key expression a new (NULL)
            // column makes NULL matches no new row, and would stay beside its new version
            String sql = "select count(*) from " + m.table().quoted() + " where "
                    + expressions.stream().map(k -> "(" + k + ") is null").collect(Collectors.joining(" or "));
            long start = System.nanoTime();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                Sql.logged(sql, start);
                rs.next();
                if (rs.getLong(1) > 0) {
                    throw new Failure(m.name() + " (" + at(m, "unique_key") + "): unique_key " + String.join(", ",
                            expressions) + " is NULL in " + rs.getLong(1) + " stored row(s) once column(s) " + added
                            + " are added to the table (NULL in its rows): none of them could match a new row, so each"
                            + " would stay beside its new version (rebuild the model with fullRefresh(true)); the table"
                            + " is unchanged");
                }
            }
        }
        return written;
    }

    /**
     * dbt's expand_target_column_types: widens each {@code character varying(n)} column of the model's table whose
     * new rows' ({@code stage}'s) values are a longer {@code varchar}, or {@code text} ({@link Plan#widerString}),
     * before they are written. PostgreSQL refuses to change the type of a column a view, rule, trigger, policy,
     * function or publication reads (dbt's alter_column_type would drop such a view with the column): such a column
     * keeps its type and its new values are written as before while they fit; one that does not is refused here,
     * naming the column, its longest new value and what reads it. So is a column of a table the run's role does not
     * own (a type change needs the ownership; writing rows does not).
     */
    private static void widenStrings(Connection c, ModelSpec m, String stage, List<String> tableColumns,
            List<String> tableTypes, List<String> columns, List<String> types) throws SQLException {
        List<String[]> wider = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            int t = tableColumns.indexOf(columns.get(i));
            if (t >= 0) {
                String column = columns.get(i);
                String type = types.get(i);
                Plan.widerString(tableTypes.get(t), type).ifPresent(to -> wider.add(new String[] {column, to,
                        tableTypes.get(t)}));
            }
        }
        if (wider.isEmpty()) {
            return;
        }
        // what ALTER COLUMN TYPE rebuilds itself (indexes, constraints, defaults, statistics) does not hold a column
        List<String[]> held = rows(c, "select distinct a.attname, pg_describe_object(d.classid, d.objid, d.objsubid)"
                + " from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid"
                + " where d.refclassid = 'pg_class'::regclass and d.refobjid = (select c.oid from pg_class c"
                + " join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ?)"
                + " and d.refobjsubid > 0 and d.classid not in ('pg_constraint'::regclass, 'pg_attrdef'::regclass,"
                + " 'pg_statistic_ext'::regclass) and not (d.classid = 'pg_class'::regclass and d.objsubid = 0) order by 2",
                m.table());
        // changing a column's type needs the table's ownership, which an incremental run or a snapshot's does not
        List<String[]> owner = rows(c, "select pg_has_role(c.relowner, 'USAGE')::text, pg_get_userbyid(c.relowner)"
                + " from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ?",
                m.table());
        boolean owns = owner.get(0)[0].equals("true");
        for (String[] w : wider) {
            List<String> readers = held.stream().filter(h -> h[0].equals(w[0])).map(h -> h[1]).toList();
            String why = !readers.isEmpty() ? String.join(", ", readers) + " reads it (drop that, alter the column's type,"
                    + " and create it again)" : "role " + Identifiers.quote(owner.get(0)[1]) + " owns the table (alter"
                    + " the column's type as that role, or run as it)";
            if (readers.isEmpty() && owns) {
                update(c, m, new Plan.Exec("alter table " + m.table().quoted() + " alter column " + Identifiers.quote(w[0])
                        + " type " + w[1], -1, null, false));
                continue;
            }
            List<String[]> longest = rows(c, "select max(char_length(" + Identifiers.quote(w[0]) + "))::text from "
                    + stage);
            String chars = longest.get(0)[0];
            int limit = Integer.parseInt(w[2].replaceAll("\\D", ""));
            if (chars != null && Integer.parseInt(chars) > limit) {
                throw new Failure(m.name() + " (" + m.source() + "): column " + w[0] + " is " + w[2] + " in the table and"
                        + " a new row's value has " + chars + " characters (the new rows' column is " + w[1] + "); it is"
                        + " not widened, as dbt would widen it, because " + why + "; the "
                        + (m.materialization() == Materialization.SNAPSHOT ? "snapshot" : "table")
                        + " is unchanged");
            }
            LOG.info("{}: column {} keeps its type {}, shorter than the new rows' {}: {}", m.name(), w[0], w[2], w[1], why);
        }
    }

    private static boolean holdsRows(Connection c, TableName table) throws SQLException {
        String sql = "select exists (select from " + table.quoted() + ")";
        long start = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            Sql.logged(sql, start);
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Checks a snapshot's staged query rows (see {@link Plan.CheckSnapshot}), whose columns' names and types are
     * {@code staged}.
     */
    private void checkSnapshot(Connection c, ModelSpec m, Plan.CheckSnapshot check, List<String[]> staged,
            String unchanged) throws SQLException {
        List<String> columns = staged.stream().map(col -> col[0]).toList();
        String where = m.name() + " (" + m.source() + "): ";
        List<String> reserved = columns.stream().filter(Plan.WriteSnapshot.META::contains).toList();
        if (!reserved.isEmpty()) {
            throw new Failure(where + "the query returns " + reserved + ", which the snapshot adds itself: rename or"
                    + " leave out these columns (a select * from another snapshot brings them along)");
        }
        ModelSpec.SnapshotConfig config = m.snapshot();
        List<String> named = new ArrayList<>(m.uniqueKey());
        if (config.updatedAt() != null) {
            named.add(config.updatedAt());
        }
        named.addAll(config.checkCols());
        List<String> absent = named.stream().filter(col -> !columns.contains(col)).distinct().toList();
        if (!absent.isEmpty()) {
            String first = absent.get(0);
            String key = m.uniqueKey().contains(first) ? "unique_key" : first.equals(config.updatedAt()) ? "updated_at"
                    : "check_cols";
            throw new Failure(m.name() + " (" + at(m, key) + "): the snapshot's config names " + absent
                    + ", which the query does not return"
                    + " (it returns " + String.join(", ", columns) + ")" + caseHint(absent, columns)
                    + expressionHint(m, absent.stream().filter(m.uniqueKey()::contains).toList()));
        }
        refuseDuplicateOrNullKeys(c, m, Identifiers.quote("pg_temp", check.stage()), columns, "a snapshot", unchanged);
        if (config.updatedAt() != null) {
            String sql = "select " + keyAsText(m, columns) + ", count(*) over () from " + Identifiers.quote("pg_temp", check.stage())
                    + " where " + Identifiers.quote(config.updatedAt()) + " is null limit 1";
            long start = System.nanoTime();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                Sql.logged(sql, start);
                if (rs.next()) {
                    throw new Failure(where + "updated_at " + config.updatedAt() + " is NULL for " + shownKey(m, rs)
                            + (rs.getLong(m.uniqueKey().size() + 1) > 1 ? " and " + (rs.getLong(m.uniqueKey().size() + 1) - 1)
                                    + " more row(s)" : "")
                            + ": a version needs a date to start from; coalesce it in the query; the snapshot is unchanged");
                }
            }
        }
    }

    /**
     * With dbt_valid_to_current and a {@code timestamptz} dbt_valid_to, refuses a run whose session evaluates the value
     * to another instant than the one stored (a date or zone-less value is read in the session's time zone, which
     * the JDBC driver takes from the JVM): a key's latest version whose dbt_valid_to is later than now but not the
     * value would count as ended, and the key get a second current version. Runs end versions at now() or at a
     * later version's updated_at, so only a current value, written in another time zone (or before the value was
     * changed), is a latest version's dbt_valid_to beyond now.
     *
     * @throws Failure naming the key, the stored and the evaluated value and the session's time zone
     */
    private static void refuseCurrentValueOfAnotherTimeZone(Connection c, ModelSpec m, Plan.WriteSnapshot w)
            throws SQLException {
        String value = m.snapshot().validToCurrent();
        if (value == null || w.existing().isEmpty() || !w.existing().get().typeOf(Plan.WriteSnapshot.VALID_TO)
                .orElse("").equals("timestamp with time zone")) {
            return;
        }
        String validTo = Identifiers.quote(Plan.WriteSnapshot.VALID_TO);
        String validFrom = Identifiers.quote(Plan.WriteSnapshot.VALID_FROM);
        StringBuilder sameKey = new StringBuilder();
        for (String k : m.uniqueKey()) {
            sameKey.append(" and n.").append(Identifiers.quote(k)).append(" = t.").append(Identifiers.quote(k));
        }
        // both shown in UTC, so that they compare at a glance
        // a snapshot's keys are columns
        String sql = "select " + keyAsText(m, m.uniqueKey()) + ", (" + validTo + " at time zone 'UTC')::text || '+00', ((" + value
                + ")::timestamptz at time zone 'UTC')::text || '+00',"
                + " current_setting('TimeZone') from " + w.target().quoted() + " t where " + validTo + " > now() and "
                + validTo + " <> (" + value + ") and not exists (select from " + w.target().quoted() + " n where n."
                + validFrom + " > t." + validFrom + sameKey + ") limit 1";
        long start = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            Sql.logged(sql, start);
            if (rs.next()) {
                int n = m.uniqueKey().size();
                throw new Failure(m.name() + " (" + m.source() + "): the version of " + shownKey(m, rs) + " has "
                        + Plan.WriteSnapshot.VALID_TO + " " + rs.getString(n + 1) + ", later than now but not"
                        + " dbt_valid_to_current (" + value + "), which is " + rs.getString(n + 2) + " in this session's"
                        + " time zone " + rs.getString(n + 3) + ": it was written in another time zone (or before the value"
                        + " changed), so this run would take it as ended and add a second current version; run in the time"
                        + " zone that wrote it (the JVM's -Duser.timezone), write the value with a zone (such as"
                        + " \"'9999-12-31 00:00+00'::timestamptz\"), or update those versions first; the snapshot is unchanged");
            }
        }
    }

    /**
     * Refuses rows of {@code rows} (a quoted relation: the staged new rows, or a first build's table) with a unique_key
     * value twice or NULL; {@code writer} names what could not match them.
     *
     * @throws Failure naming the key
     */
    private static void refuseDuplicateOrNullKeys(Connection c, ModelSpec m, String rows, List<String> columns,
            String writer, String unchanged) throws SQLException {
        String key = m.uniqueKey().stream().map(k -> ModelSpec.keySql(k, columns)).collect(Collectors.joining(", "));
        String sql = "select " + keyAsText(m, columns) + ", count(*) from " + rows
                + " group by " + key
                + " having count(*) > 1 limit 1";
        long start = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            Sql.logged(sql, start);
            if (rs.next()) {
                throw new Failure(m.name() + " (" + m.source() + "): duplicate unique_key in the new rows: " + shownKey(m, rs)
                        + " appears " + rs.getLong(m.uniqueKey().size() + 1) + " times; " + unchanged);
            }
        } catch (SQLException e) {
            List<String> expressions = m.uniqueKey().stream().filter(k -> ModelSpec.isKeyExpression(k, columns)).toList();
            if (expressions.isEmpty()) {
                throw e;
            }
            // the first statement evaluating it: an expression naming a column the rows lack, or that is not SQL
            throw new Failure(m.name() + " (" + at(m, "unique_key") + "): unique_key " + String.join(", ", expressions)
                    + " cannot be evaluated on the model's rows (" + String.join(", ", columns) + "): "
                    + serverMessage(e) + "; " + unchanged);
        }
        StringBuilder anyNull = new StringBuilder();
        for (String k : m.uniqueKey()) {
            anyNull.append(anyNull.length() == 0 ? "" : " or ").append(ModelSpec.keySql(k, columns)).append(" is null");
        }
        String nulls = "select count(*) from " + rows + " where " + anyNull;
        start = System.nanoTime();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(nulls)) {
            Sql.logged(nulls, start);
            rs.next();
            if (rs.getLong(1) > 0) {
                throw new Failure(m.name() + " (" + m.source() + "): unique_key " + String.join(", ", m.uniqueKey())
                        + " is NULL in " + rs.getLong(1) + " new row(s): " + writer
                        + " cannot match a NULL key, so each run would add such rows again; filter them out or coalesce the key; " + unchanged);
            }
        }
    }

    /**
     * What a swap carries over from a relation: its grants (per grantee and grant option: {@code t} for PUBLIC, the
     * role, {@code t} for grant option, the privileges), its columns' grants (the same after the column's name), its
     * comments (column name, or null for the relation's) and the publications that name it ({@code FOR TABLE}: the
     * publication, its row filter or null, its owner, {@code t} when the current role may alter it, {@code t} when it
     * has a column list; {@code publicationColumns}: the publication and a column of its list, in order), and a
     * table's replica identity ({@code pg_class.relreplident}: {@code d}efault, {@code f}ull, {@code n}othing or
     * {@code i}ndex; null for another kind of relation).
     */
    private record Described(List<String[]> grants, List<String[]> columnGrants, List<String[]> comments,
            List<String[]> publications, List<String[]> publicationColumns, String replicaIdentity) {
        /** The column list of {@code publication}, or empty when it publishes all columns. */
        List<String> columnsOf(String publication) {
            return publicationColumns.stream().filter(p -> p[0].equals(publication)).map(p -> p[1]).toList();
        }
    }

    /** The grants on {@code relation} and on its columns, its comment and its columns' comments. */
    private static Described describe(Connection c, TableName relation) throws SQLException {
        String oid = OID;
        // one grant per grantee and grant option, as \dp lists them
        String grants = "select a.grantee = 0, coalesce(r.rolname, ''), a.is_grantable,"
                + " string_agg(a.privilege_type, ', ' order by a.privilege_type)"
                + " from pg_class c cross join lateral aclexplode(c.relacl) a left join pg_roles r on r.oid = a.grantee"
                + " where c.oid = " + oid + " group by 1, 2, 3 order by 2, 3";
        String comments = "select a.attname, col_description(a.attrelid, a.attnum) from pg_attribute a"
                + " where a.attrelid = " + oid + " and a.attnum > 0 and not a.attisdropped"
                + " and col_description(a.attrelid, a.attnum) is not null"
                + " union all select null, obj_description(" + oid + ", 'pg_class')"
                + " where obj_description(" + oid + ", 'pg_class') is not null";
        String columnGrants = "select a.attname, x.grantee = 0, coalesce(r.rolname, ''), x.is_grantable,"
                + " string_agg(x.privilege_type, ', ' order by x.privilege_type)"
                + " from pg_attribute a cross join lateral aclexplode(a.attacl) x left join pg_roles r on r.oid = x.grantee"
                + " where a.attrelid = " + oid + " and a.attnum > 0 and not a.attisdropped"
                + " group by a.attnum, 1, 2, 3, 4 order by a.attnum, 3, 4";
        List<String[]> identity = rows(c, "select case when c.relkind in ('r', 'p') then c.relreplident::text end"
                + " from pg_class c where c.oid = " + oid, relation);
        return new Described(rows(c, grants, relation), rows(c, columnGrants, relation),
                rows(c, comments, relation, relation, relation), publications(c, relation),
                rows(c, PUBLICATION_COLUMNS, relation), identity.isEmpty() ? null : identity.get(0)[0]);
    }

    /** The publications naming {@code relation} in their tables, as {@link Described#publications} lists them. */
    private static List<String[]> publications(Connection c, TableName relation) throws SQLException {
        return rows(c, "select p.pubname, pg_get_expr(r.prqual, r.prrelid), pg_get_userbyid(p.pubowner),"
                + " pg_has_role(p.pubowner, 'USAGE'), r.prattrs is not null from pg_publication_rel r"
                + " join pg_publication p on p.oid = r.prpubid where r.prrelid = " + OID + " order by 1", relation);
    }

    /** The columns of the publications' column lists for the relation, in the list's order. */
    private static final String PUBLICATION_COLUMNS = "select p.pubname, a.attname from pg_publication_rel r"
            + " join pg_publication p on p.oid = r.prpubid cross join unnest(r.prattrs::int2[]) with ordinality k(attnum, i)"
            + " join pg_attribute a on a.attrelid = r.prrelid and a.attnum = k.attnum where r.prrelid = " + OID
            + " order by 1, k.i";

    /**
     * The statements adding {@code to} to the publications that named {@code from} ({@code FOR TABLE}), each with
     * the column list and row filter it had; a {@code FOR ALL TABLES} or {@code FOR TABLES IN SCHEMA} publication
     * takes the new relation by itself. The swap drops the old relation, and with it its memberships.
     */
    private static List<String> publish(Described from, TableName to) {
        List<String> out = new ArrayList<>();
        for (String[] p : from.publications()) {
            List<String> columns = from.columnsOf(p[0]);
            out.add("alter publication " + Identifiers.quote(p[0]) + " add table " + to.quoted()
                    + ("t".equals(p[4]) ? " (" + Identifiers.quoteAll(columns) + ")" : "")
                    + (p[1] == null ? "" : " where (" + p[1] + ")"));
        }
        return out;
    }

    /**
     * Adds the rebuilt {@code to} to the publications {@code from} was in, as it was in them.
     *
     * @throws Failure naming the publication when its column list names a column {@code to} lacks, or the server
     *     refuses the membership (a row filter reading such a column); the transaction, and so the swap, is undone
     */
    private static void publish(Connection c, ModelSpec m, Described from, TableName to) throws SQLException {
        if (from.publications().isEmpty()) {
            return;
        }
        List<String> columns = columnsAndTypes(c, "join pg_namespace n on n.oid = c.relnamespace where n.nspname = ?"
                + " and c.relname = ?", to.schema(), to.name()).stream().map(col -> col[0]).toList();
        String unchanged = "; nothing was changed: the old " + m.table() + ", its rows and its publications are as they were";
        for (String[] p : from.publications()) {
            for (String column : from.columnsOf(p[0])) {
                if (!columns.contains(column)) {
                    throw new Failure(m.name() + " (" + m.source() + "): cannot keep " + m.table() + " in publication "
                            + Identifiers.quote(p[0]) + ": its column list names column " + Identifiers.quote(column)
                            + ", which the new build does not have (it has " + String.join(", ", columns) + "); change"
                            + " the publication's column list first (alter publication ... set table ...) or keep the"
                            + " column in the model" + unchanged);
                }
            }
        }
        List<String> statements = publish(from, to);
        for (int i = 0; i < statements.size(); i++) {
            String sql = statements.get(i);
            try {
                Sql.update(c, sql);
            } catch (MdsException failed) {
                throw new Failure(m.name() + " (" + m.source() + "): cannot keep " + m.table() + " in publication "
                        + Identifiers.quote(from.publications().get(i)[0]) + ": '" + sql + "' failed: "
                        + serverMessage(failed.getCause() != null ? failed.getCause() : failed) + unchanged);
            }
        }
    }

    /**
     * Refuses, before anything is built, to rebuild a model whose relation is in a publication ({@code FOR TABLE})
     * the current role does not own: adding the new relation to it needs the publication's ownership, and without it
     * the swap would drop the table out of the publication, where a CDC reader stops seeing its changes.
     */
    private static void refuseForeignPublication(Connection c, ModelSpec m) throws SQLException {
        for (String[] p : publications(c, m.table())) {
            if (!"t".equals(p[3])) {
                throw new Failure(m.name() + " (" + m.source() + "): " + m.table() + " is in publication "
                        + Identifiers.quote(p[0]) + ", owned by role " + Identifiers.quote(p[2]) + ", and rebuilding it"
                        + " replaces the relation, which must then be added to the publication again: that needs the"
                        + " publication's ownership, and the current role is not a member of " + Identifiers.quote(p[2])
                        + " (make it the publication's owner, or run as its owner); the model is unchanged");
            }
        }
    }

    /**
     * The statements giving {@code to} the grants and comments {@code from} had (the grants and comments of the
     * columns {@code to} has too).
     */
    private static List<String> carryOver(Connection c, Described from, TableName to) throws SQLException {
        List<String> out = new ArrayList<>();
        for (String[] g : from.grants()) {
            String grantee = "t".equals(g[0]) ? "public" : Identifiers.quote(g[1]);
            out.add("grant " + g[3].toLowerCase(Locale.ROOT) + " on " + to.quoted() + " to " + grantee
                    + ("t".equals(g[2]) ? " with grant option" : ""));
        }
        List<String> columns = from.comments().isEmpty() && from.columnGrants().isEmpty() ? List.of()
                : columnsAndTypes(c, "join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ?",
                        to.schema(), to.name()).stream().map(col -> col[0]).toList();
        for (String[] g : from.columnGrants()) {
            if (columns.contains(g[0])) {
                String column = " (" + Identifiers.quote(g[0]) + ")";
                out.add("grant " + String.join(column + ", ", g[4].toLowerCase(Locale.ROOT).split(", ")) + column
                        + " on " + to.quoted() + " to " + ("t".equals(g[1]) ? "public" : Identifiers.quote(g[2]))
                        + ("t".equals(g[3]) ? " with grant option" : ""));
            }
        }
        if (("f".equals(from.replicaIdentity()) || "n".equals(from.replicaIdentity())) && !isView(c, to)) {
            // what a publication sends for updates and deletes; USING INDEX is left to the default (the index is not
            // carried over; the run warns)
            out.add("alter table " + to.quoted() + " replica identity " + ("f".equals(from.replicaIdentity()) ? "full" : "nothing"));
        }
        for (String[] d : from.comments()) {
            if (d[0] == null) {
                out.add("comment on " + (isView(c, to) ? "view " : "table ") + to.quoted() + " is " + Identifiers.literal(d[1]));
            } else if (columns.contains(d[0])) {
                out.add("comment on column " + to.quoted() + "." + Identifiers.quote(d[0]) + " is " + Identifiers.literal(d[1]));
            }
        }
        return out;
    }

    /**
     * The table privileges on {@code relation} that its owner or the current role granted to another role: privilege
     * (lower case), {@code t} for PUBLIC, the role.
     */
    private static List<String[]> currentGrants(Connection c, TableName relation) throws SQLException {
        return rows(c, "select lower(a.privilege_type), a.grantee = 0, coalesce(r.rolname, '')"
                + " from pg_class c cross join lateral aclexplode(c.relacl) a left join pg_roles r on r.oid = a.grantee"
                + " where c.oid = " + OID + " and a.grantor in (c.relowner, (select oid from pg_roles where rolname = current_user))"
                + " and a.grantee not in (c.relowner, (select oid from pg_roles where rolname = current_user))"
                + " order by 1, 3", relation);
    }

    /**
     * The statements making {@code current} (as {@link #currentGrants} reads them) the model's grants: a revoke per
     * privilege and role it does not list (its privileges first, in its order, then the others), then a grant per
     * privilege of the roles that lack it. dbt's {@code apply_grants}: the configured grants are all there is.
     */
    private static List<String> grantStatements(ModelSpec m, List<String[]> current) {
        String relation = m.table().quoted();
        List<String> revokes = new ArrayList<>();
        List<String> grants = new ArrayList<>();
        List<String> privileges = new ArrayList<>(m.grants().keySet());
        current.stream().map(g -> g[0]).filter(p -> !privileges.contains(p)).distinct().forEach(privileges::add);
        for (String privilege : privileges) {
            List<String> wanted = m.grants().getOrDefault(privilege, List.of());
            List<String> held = current.stream().filter(g -> g[0].equals(privilege))
                    .map(g -> "t".equals(g[1]) ? "public" : g[2]).toList();
            List<String> revoked = held.stream().filter(r -> wanted.stream().noneMatch(w -> sameRole(w, r))).toList();
            List<String> granted = wanted.stream().filter(w -> held.stream().noneMatch(r -> sameRole(w, r))).toList();
            if (!revoked.isEmpty()) {
                revokes.add("revoke " + privilege + " on " + relation + " from " + roles(revoked));
            }
            if (!granted.isEmpty()) {
                grants.add("grant " + privilege + " on " + relation + " to " + roles(granted));
            }
        }
        revokes.addAll(grants);
        return revokes;
    }

    /** Whether a configured role and a held one (PUBLIC as {@code public}) are the same: PUBLIC in any case. */
    private static boolean sameRole(String configured, String held) {
        return isPublic(configured) ? held.equals("public") : configured.equals(held);
    }

    private static boolean isPublic(String role) {
        return role.equalsIgnoreCase("public");
    }

    /** Roles as GRANT and REVOKE name them: PUBLIC unquoted, the others quoted. */
    private static String roles(List<String> roles) {
        return roles.stream().map(r -> isPublic(r) ? "public" : Identifiers.quote(r)).collect(java.util.stream.Collectors.joining(", "));
    }

    /** The rows of {@code sql}, whose parameters are the schema and name of each of {@code relations} in turn. */
    private static List<String[]> rows(Connection c, String sql, TableName... relations) throws SQLException {
        long start = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < relations.length; i++) {
                ps.setString(2 * i + 1, relations[i].schema());
                ps.setString(2 * i + 2, relations[i].name());
            }
            List<String[]> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    String[] row = new String[n];
                    for (int i = 0; i < n; i++) {
                        row[i] = rs.getString(i + 1);
                    }
                    out.add(row);
                }
            }
            Sql.logged(sql, start);
            return out;
        }
    }

    private static boolean isView(Connection c, TableName t) throws SQLException {
        return existing(c, t).map(Plan.Existing::isView).orElse(false);
    }

    /**
     * The unique_key's columns (of {@code columns}, or expressions) as text, for {@link #shownKey}:
     * {@code "a"::text, "b"::text}.
     */
    private static String keyAsText(ModelSpec m, List<String> columns) {
        StringBuilder select = new StringBuilder();
        for (String k : m.uniqueKey()) {
            select.append(select.length() == 0 ? "" : ", ").append(ModelSpec.keySql(k, columns)).append("::text");
        }
        return select.toString();
    }

    /** {@code a=1, b=x}: the unique_key's values in the first columns of the current row of {@code rs}. */
    private static String shownKey(ModelSpec m, ResultSet rs) throws SQLException {
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < m.uniqueKey().size(); i++) {
            shown.append(i == 0 ? "" : ", ").append(m.uniqueKey().get(i)).append('=').append(rs.getString(i + 1));
        }
        return shown.toString();
    }

    private static List<String> columns(Connection c, String sql, String a, String b) throws SQLException {
        long start = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, a);
            if (b != null) {
                ps.setString(2, b);
            }
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            Sql.logged(sql, start);
            return out;
        }
    }

    /** Name and type ({@code format_type}) of each column of the relation {@code where} selects, in order. */
    private static List<String[]> columnsAndTypes(Connection c, String where, String a, String b) throws SQLException {
        String sql = "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
                + " join pg_class c on c.oid = a.attrelid " + where + " and a.attnum > 0 and not a.attisdropped"
                + " order by a.attnum";
        long start = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, a);
            if (b != null) {
                ps.setString(2, b);
            }
            List<String[]> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
            Sql.logged(sql, start);
            return out;
        }
    }

    /**
     * The name {@code rename} gives its index: the planned one, unless another relation of the schema has it (with
     * {@code beforeSwap}, for {@code sql()}, the old table's indexes do not count: the swap drops them first).
     */
    private static String freeIndexName(Connection c, Plan.RenameIndex rename, boolean beforeSwap) throws SQLException {
        String sql = "select exists (select from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                + " where n.nspname = ? and c.relname = ?"
                + (beforeSwap ? " and c.oid not in (select i.indexrelid from pg_index i where i.indrelid = ?::regclass)" : "")
                + ")";
        String name = rename.name();
        int n = 0;
        while (taken(c, sql, rename, name, beforeSwap)) {
            // the numbered names skip the table's other planned ones, which its other indexes take
            do {
                n++;
                name = rename.candidate(n);
            } while (rename.planned().contains(name));
        }
        return name;
    }

    private static boolean taken(Connection c, String sql, Plan.RenameIndex rename, String name, boolean beforeSwap)
            throws SQLException {
        long start = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, rename.table().schema());
            ps.setString(2, name);
            if (beforeSwap) {
                ps.setString(3, rename.table().quoted());
            }
            try (ResultSet rs = ps.executeQuery()) {
                Sql.logged(sql, start);
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static Optional<Plan.Existing> existing(Connection c, TableName t) throws SQLException {
        String sql = "select c.relkind::text from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                + " where n.nspname = ? and c.relname = ?";
        List<String> kind = columns(c, sql, t.schema(), t.name());
        if (kind.isEmpty()) {
            return Optional.empty();
        }
        char k = kind.get(0).charAt(0);
        if (k != 'r' && k != 'p' && k != 'v') {
            throw new Failure(t + " exists but is neither a table nor a view (relkind " + k
                    + "); mds-transform replaces only tables and views");
        }
        List<String> columns = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (String[] col : columnsAndTypes(c, "join pg_namespace n on n.oid = c.relnamespace where n.nspname = ?"
                + " and c.relname = ?", t.schema(), t.name())) {
            columns.add(col[0]);
            types.add(col[1]);
        }
        return Optional.of(new Plan.Existing(k, columns, types));
    }

    /**
     * A relation that depends on one a model replaces: a view over it (directly or through other views), or a table
     * whose foreign key (or rule) refers to it; {@code kind} is its {@code relkind}, {@code reads} the other
     * dependents that its rules (a view's definition among them) read.
     */
    private record Dependent(TableName name, char kind, List<TableName> reads) {
    }

    /**
     * The views that depend on {@code t}, directly or through other views, and the tables whose foreign keys refer
     * to it (which a {@code drop ... cascade} would silently strip of their constraint), in name order.
     */
    private static List<Dependent> dependents(Connection c, TableName t) throws SQLException {
        String sql = "with recursive target as (select c.oid from pg_class c"
                + " join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ?),"
                + " deps(oid) as ("
                + " select r.ev_class from pg_depend d join pg_rewrite r on r.oid = d.objid"
                + " where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass"
                + " and d.refobjid = (select oid from target) and r.ev_class <> d.refobjid"
                + " union"
                + " select r.ev_class from deps join pg_depend d on d.refobjid = deps.oid"
                + " join pg_rewrite r on r.oid = d.objid"
                + " where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass"
                + " and r.ev_class <> deps.oid),"
                + " found(oid) as (select oid from deps union select conrelid from pg_constraint"
                + " where contype = 'f' and confrelid = (select oid from target) and conrelid <> confrelid)"
                + " select n.nspname, c.relname, c.relkind::text, rn.nspname, rc.relname from found"
                + " join pg_class c on c.oid = found.oid join pg_namespace n on n.oid = c.relnamespace"
                + " left join lateral (select distinct d.refobjid from pg_rewrite w join pg_depend d"
                + " on d.classid = 'pg_rewrite'::regclass and d.objid = w.oid and d.refclassid = 'pg_class'::regclass"
                + " where w.ev_class = c.oid and d.refobjid <> c.oid and d.refobjid in (select oid from found)) x on true"
                + " left join pg_class rc on rc.oid = x.refobjid left join pg_namespace rn on rn.oid = rc.relnamespace"
                + " order by 1, 2, 4, 5";
        Map<TableName, Dependent> out = new LinkedHashMap<>();
        for (String[] row : rows(c, sql, t)) {
            Dependent d = out.computeIfAbsent(TableName.of(row[0], row[1]),
                    name -> new Dependent(name, row[2].charAt(0), new ArrayList<>()));
            if (row[3] != null) {
                d.reads().add(TableName.of(row[3], row[4]));
            }
        }
        return out.values().stream().map(d -> new Dependent(d.name(), d.kind(), List.copyOf(d.reads()))).toList();
    }
}
