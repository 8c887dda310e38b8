package dev.mds.vault;

import static dev.mds.testing.Row.row;
import static dev.mds.vault.VaultFixtures.day;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.mds.core.MdsException;
import dev.mds.testing.FaultInjection;
import dev.mds.testing.FaultSweep;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.Row;
import dev.mds.testing.TableFixture;
import dev.mds.testing.TestDatabase;
import dev.mds.testing.TestSql;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The session of a vault's DDL, load or ghost record insert dies at every statement it sends in turn
 * ({@link FaultSweep}): the call throws naming its structure or stage, the database holds exactly what it held before
 * (no half-created table or stage, no row of the load), and a re-run gives exactly what an uninterrupted run gives. A
 * call that does not throw has done all of its work.
 */
@MdsPostgres
class FaultInjectionVaultTest {
    /** The structures swept; a PIT is built over the hub and the satellite, loaded first. */
    enum Kind { HUB, LINK, SATELLITE, EFFECTIVITY_SATELLITE, MULTI_ACTIVE_SATELLITE, TRANSACTIONAL_LINK, PIT }

    enum Target { EMPTY, WITH_ROWS }

    static final Row[] FIRST = {row("c1", "p1", "a@x", day(1)), row("c2", "p1", "b@x", day(1)), row("c1", "p2", "a@x", day(1))};
    static final Row[] SECOND = {row("c1", "p1", "a2@x", day(2)), row("c3", "p3", "c@x", day(2)), row("c2", "p1", "b@x", day(2))};

    static Stage stage(Stage.Materialization m) {
        return Stage.of("raw.sales").into("stg.sales").loadDate("ld").recordSource("crm").materialized(m)
                .hashKey("customer_hk", "customer").hashKey("product_hk", "product").hashKey("sale_hk", "customer", "product")
                .hashDiff("customer_hashdiff", "email").hashDiff("sale_hashdiff", "product", "email");
    }

    static Structure structure(DataSource ds, Kind kind) {
        Vault vault = Vault.on(ds);
        Stage stage = stage(Stage.Materialization.VIEW);
        return switch (kind) {
            case HUB -> vault.hub("dds.hub_customer").hashKey("customer_hk").businessKey("customer").from(stage);
            case LINK -> vault.link("dds.link_sale").hashKey("sale_hk").refs("customer_hk", "product_hk").from(stage);
            case SATELLITE -> vault.satellite("dds.sat_customer").parent("customer_hk").hashDiff("customer_hashdiff")
                    .payload("email").from(stage);
            case EFFECTIVITY_SATELLITE -> vault.effectivitySatellite("dds.eff_sale").link("sale_hk").drivingKey("customer_hk")
                    .effectiveFrom("ld").from(stage);
            case MULTI_ACTIVE_SATELLITE -> vault.multiActiveSatellite("dds.ma_sat_customer").parent("customer_hk")
                    .childKeys("product").hashDiff("sale_hashdiff").payload("email").from(stage);
            case TRANSACTIONAL_LINK -> vault.transactionalLink("dds.t_link_sale").hashKey("sale_hk")
                    .refs("customer_hk", "product_hk").payload("email").effectiveFrom("ld").from(stage);
            case PIT -> vault.pit("dds.pit_customer").hub("dds.hub_customer", "customer_hk").satellites("dds.sat_customer")
                    .asOf(List.of(day(1), day(2), day(3)));
        };
    }

    static String name(Kind kind) {
        return switch (kind) {
            case HUB -> "dds.hub_customer";
            case LINK -> "dds.link_sale";
            case SATELLITE -> "dds.sat_customer";
            case EFFECTIVITY_SATELLITE -> "dds.eff_sale";
            case MULTI_ACTIVE_SATELLITE -> "dds.ma_sat_customer";
            case TRANSACTIONAL_LINK -> "dds.t_link_sale";
            case PIT -> "dds.pit_customer";
        };
    }

    /** The error names the structure, once: not "pit dds.pit_customer: load failed: dds.pit_customer: ...". */
    static void namesItsStructureOnce(Throwable e, Kind kind) {
        assertThat(e).hasMessageContaining(name(kind));
        assertThat(e.getMessage()).doesNotContain("load failed: " + name(kind));
    }

    static void raw(DataSource ds, Row... rows) {
        TestSql.sql(ds, "drop schema if exists raw cascade", "drop schema if exists stg cascade",
                "drop schema if exists dds cascade");
        TableFixture.on(ds, "raw.sales").columns("customer text", "product text", "email text", "ld timestamptz").rows(rows);
    }

    @ParameterizedTest
    @EnumSource(Stage.Materialization.class)
    void createStageIsAllOrNothingWhereverItsSessionDies(Stage.Materialization m, DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> raw(d, FIRST))
                .operation(d -> Vault.on(d).createStage(stage(m)))
                .failure(e -> assertThat(e).hasMessageContaining("stg.sales"))
                .run();
        assertThat(points).isGreaterThan(2);
    }

    /**
     * Every kind but two whose DDL is made as another's is (from one stage's columns, run by {@code Vault#run}): a
     * transactional link's as a link's, an effectivity satellite's as a satellite's. Left out to keep the sweep short.
     */
    @ParameterizedTest
    @EnumSource(value = Kind.class, mode = EnumSource.Mode.EXCLUDE, names = {"TRANSACTIONAL_LINK", "EFFECTIVITY_SATELLITE"})
    void createTableIsAllOrNothingWhereverItsSessionDies(Kind kind, DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> {
                    raw(d, FIRST);
                    Vault.on(d).createStage(stage(Stage.Materialization.VIEW));
                    readBy(d, kind);
                })
                .operation(d -> structure(d, kind).createTable())
                .failure(e -> assertThat(e).hasMessageContaining(name(kind)))
                .run();
        assertThat(points).isGreaterThan(2);
    }

    /** What {@code kind} is built from besides the stage, loaded: for a PIT, the hub and the satellite. */
    static void readBy(DataSource ds, Kind kind) {
        if (kind == Kind.PIT) {
            for (Kind k : List.of(Kind.HUB, Kind.SATELLITE)) {
                structure(ds, k).createTable();
                structure(ds, k).load();
            }
        }
    }

    static void loadInto(DataSource ds, Kind kind, Target target) throws Exception {
        raw(ds, FIRST);
        Vault.on(ds).createStage(stage(Stage.Materialization.VIEW));
        readBy(ds, kind);
        Structure s = structure(ds, kind);
        s.createTable();
        if (target == Target.WITH_ROWS) {
            assertThat(s.load().rowsInserted()).isPositive();
            VaultFixtures.batch(ds, "raw.sales", SECOND);
            readBy(ds, kind);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aFirstLoadIsAllOrNothingWhereverItsSessionDies(Kind kind, DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> loadInto(d, kind, Target.EMPTY))
                .operation(d -> structure(d, kind).load())
                .failure(e -> namesItsStructureOnce(e, kind))
                .run();
        assertThat(points).isGreaterThan(1);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aLoadIntoATableWithRowsIsAllOrNothingWhereverItsSessionDies(Kind kind, DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> loadInto(d, kind, Target.WITH_ROWS))
                .operation(d -> structure(d, kind).load())
                .failure(e -> namesItsStructureOnce(e, kind))
                .run();
        assertThat(points).isGreaterThan(1);
    }

    /** Inserts the ghost record of a satellite or multi-active satellite. */
    static LoadResult insertGhostRecord(DataSource ds, Kind kind) {
        return switch (kind) {
            case SATELLITE -> ((Satellite) structure(ds, kind)).insertGhostRecord();
            case MULTI_ACTIVE_SATELLITE -> ((MultiActiveSatellite) structure(ds, kind)).insertGhostRecord();
            default -> throw new IllegalArgumentException(kind + " has no ghost record");
        };
    }

    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"SATELLITE", "MULTI_ACTIVE_SATELLITE"})
    void insertingAGhostRecordIsAllOrNothingAndNamesItsStructureWhereverItsSessionDies(Kind kind, DataSource ds) throws Exception {
        int points = FaultSweep.on(ds)
                .setUp(d -> loadInto(d, kind, Target.EMPTY))
                .operation(d -> insertGhostRecord(d, kind))
                .failure(e -> assertThat(e).hasMessageContaining(name(kind)))
                .run();
        assertThat(points).isGreaterThan(1);
    }

    /**
     * A first load of 1,200 keys, enough for the load to refresh the table's statistics ({@code Vault#analyzeIfGrown}),
     * after its commit: a kill at that refresh, too, leaves the state before or after the load, never a failure over
     * committed rows. A hub stands for the links, transactional links and multi-active satellites, which load through
     * the same code ({@code Vault#load}); an effectivity satellite has its own.
     */
    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"HUB", "EFFECTIVITY_SATELLITE"})
    void aLoadThatRefreshesItsTablesStatisticsIsAllOrNothingWhereverItsSessionDies(Kind kind, DataSource ds) throws Exception {
        FaultSweep.Work setUp = d -> {
            loadInto(d, kind, Target.EMPTY);
            TestSql.sql(d, "insert into raw.sales select 'c' || i, 'p' || i % 7, 'e' || i, timestamptz '2024-01-03'"
                    + " from generate_series(1, 1200) as i");
        };
        setUp.run(ds);
        FaultInjection counted = FaultInjection.on(ds);
        structure(counted.dataSource(), kind).load();
        assertThat(counted.statements()).as("the load refreshes the statistics").anyMatch(s -> s.startsWith("ANALYZE"));

        int points = FaultSweep.on(ds)
                .setUp(setUp)
                .operation(d -> structure(d, kind).load())
                .failure(e -> namesItsStructureOnce(e, kind))
                .run();
        assertThat(points).isGreaterThan(1);
    }

    /**
     * On sessions whose default isolation is REPEATABLE READ a load runs READ COMMITTED and puts the default back
     * after it: a session killed in the load (or just after its COMMIT) still reports its own error, naming the hub,
     * not the failure to put the isolation back on the dead connection, and a load that committed does not fail.
     */
    @Test
    void aLoadOnSessionsThatDefaultToRepeatableReadReportsItsOwnDeadSession(TestDatabase db) throws Exception {
        try (HikariDataSource rr = db.newDataSource(2, Map.of("options", "-c default_transaction_isolation=repeatable\\ read"))) {
            int points = FaultSweep.on(rr)
                    .setUp(d -> loadInto(d, Kind.HUB, Target.WITH_ROWS))
                    .operation(d -> structure(d, Kind.HUB).load())
                    .moments(FaultInjection.Moment.BEFORE, FaultInjection.Moment.AFTER, FaultInjection.Moment.LOST_REPLY)
                    .failure(e -> assertThat(e).hasMessageContaining(name(Kind.HUB)).hasMessageContaining("terminating connection"))
                    .run();
            assertThat(points).isGreaterThan(1);
        }
    }

    /**
     * A pool that times out when the load, planned on one connection, asks for the next one to run on: the error
     * Hikari gives then has no SQLSTATE, and the load reports it naming the hub (it threw a NullPointerException while
     * looking for a NOT NULL violation among the causes).
     */
    @Test
    void aLoadWhosePoolTimesOutNamesTheHubAndThePoolsError(DataSource ds) throws Exception {
        loadInto(ds, Kind.HUB, Target.EMPTY);
        AtomicInteger connections = new AtomicInteger();
        DataSource timingOut = (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && connections.incrementAndGet() > 1) {
                        throw new SQLTransientConnectionException("pool - Connection is not available, request timed out after 250ms.");
                    }
                    try {
                        return method.invoke(ds, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        assertThatThrownBy(() -> structure(timingOut, Kind.HUB).load())
                .isExactlyInstanceOf(MdsException.class)
                .hasMessageStartingWith("hub dds.hub_customer: load failed: cannot get a connection: pool - Connection is not available");
        assertThat(TestSql.strings(ds, "select count(*)::text from dds.hub_customer")).containsExactly("0");
    }
}
