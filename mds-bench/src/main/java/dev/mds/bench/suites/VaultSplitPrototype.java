package dev.mds.bench.suites;

import dev.mds.vault.Hub;
import dev.mds.vault.Satellite;
import dev.mds.vault.Stage;
import dev.mds.vault.Vault;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;

/**
 * NOT mds's design: a measurement for a design decision. The first hub + satellite load split by business key
 * into halves loaded at once on two connections, each half in its own transaction (so a failure of one half leaves
 * the other committed: not atomic, against DESIGN.md principle 3). Each half runs the SQL mds generates for its own
 * stage, over a view of the raw rows whose key falls in it, without mds's per-table lock (which would make the two
 * halves take turns). Rows of one key fall in one half, so the satellite's change detection sees all of them. It
 * handles only a first load into empty tables ({@code proto2.hub_customer}, {@code proto2.sat_customer}).
 */
final class VaultSplitPrototype {
    private static final int HALVES = 2;
    private final DataSource ds;
    private final Vault vault;
    private final List<Stage> stages = new ArrayList<>();
    private final List<Hub> hubs = new ArrayList<>();
    private final List<Satellite> sats = new ArrayList<>();

    VaultSplitPrototype(DataSource ds, Vault vault, String[] payload) throws SQLException {
        this.ds = ds;
        this.vault = vault;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists proto2");
            for (int h = 0; h < HALVES; h++) {
                st.execute("create or replace view proto2.customers_" + h + " as select * from raw.customers"
                        + " where (hashtext(customer_id::text) & " + (HALVES - 1) + ") = " + h);
            }
        }
        for (int h = 0; h < HALVES; h++) {
            Stage stage = Stage.of("proto2.customers_" + h).into("proto2.stg_customers_" + h).loadDate("load_ts")
                    .recordSource("crm").hashKey("customer_hk", "customer_id").hashDiff("customer_hashdiff", payload);
            stages.add(stage);
            hubs.add(vault.hub("proto2.hub_customer").hashKey("customer_hk").businessKey("customer_id").from(stage));
            sats.add(vault.satellite("proto2.sat_customer").parent("customer_hk").hashDiff("customer_hashdiff")
                    .payload(payload).from(stage));
        }
    }

    /** Creates empty {@code proto2.hub_customer} and {@code proto2.sat_customer} as mds creates them. */
    void reset() throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("drop table if exists proto2.hub_customer, proto2.sat_customer");
        }
        vault.createStage(stages.get(0));
        hubs.get(0).createTable();
        sats.get(0).createTable();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("checkpoint");
        }
    }

    /** The first load: both halves at once; returns {hub rows, satellite rows}. */
    long[] firstLoad() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(HALVES);
        try {
            List<Future<long[]>> halves = new ArrayList<>();
            for (int h = 0; h < HALVES; h++) {
                int half = h;
                halves.add(pool.submit(() -> loadHalf(half)));
            }
            long[] total = new long[2];
            for (Future<long[]> f : halves) {
                long[] n = f.get();
                total[0] += n[0];
                total[1] += n[1];
            }
            return total;
        } finally {
            pool.shutdown();
        }
    }

    /**
     * One half in one transaction: its stage, mds's hub statements, and mds's satellite insert for an empty
     * satellite (the last statement of {@link Satellite#sql()}), each without the table lock.
     */
    private long[] loadHalf(int half) throws Exception {
        vault.createStage(stages.get(half));
        List<String> hub = hubs.get(half).sql();   // before taking this half's connection: sql() reads the catalog
        List<String> sat = sats.get(half).sql();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            long[] n = new long[2];
            try (Statement st = c.createStatement()) {
                for (String sql : hub) {
                    if (!sql.startsWith("SELECT pg_advisory_xact_lock")) {
                        n[0] += Math.max(0, st.executeUpdate(sql));
                    }
                }
                n[1] = st.executeUpdate(sat.get(sat.size() - 1));
            }
            c.commit();
            return n;
        }
    }
}
