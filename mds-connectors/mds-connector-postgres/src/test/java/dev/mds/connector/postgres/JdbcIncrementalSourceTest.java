package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.count;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.JdbcStateStore;
import dev.mds.core.MdsException;
import dev.mds.core.StateStore;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import dev.mds.testing.MdsPostgres;
import org.junit.jupiter.api.Test;

@MdsPostgres
class JdbcIncrementalSourceTest {
    private static final String COLUMNS = "id, updated_at, amount, tags";

    @Test
    void readsInBatchesStoresTheCursorWithEachLoadAndRereadsTiesAtTheLastCursor(DataSource ds) {
        sql(ds, "create schema shop", "create table shop.orders (id int primary key, updated_at timestamptz not null,"
                + " amount numeric(10,2), tags text[])",
                // 25 rows, five per timestamp, so ties straddle the batch boundaries
                "insert into shop.orders select g, timestamptz '2024-01-01 00:00:00+00' + ((g - 1) / 5) * interval '1 hour',"
                        + " g * 1.5, array['t' || g] from generate_series(1, 25) g");
        StateStore state = JdbcStateStore.create(ds);
        MergeLoader loader = MergeLoader.into(ds, "raw.orders").mode(SyncMode.MERGE).key("id").build();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "shop.orders").cursor("updated_at").key("id")
                .batchRows(7).offsets(state).build();
        List<Integer> batchSizes = new ArrayList<>();
        long read = source.run(ds, (batch, c) -> {
            batchSizes.add(batch.size());
            loader.load(batch, c);
        });
        assertThat(read).isEqualTo(25);
        assertThat(batchSizes).containsExactly(7, 7, 7, 4);
        assertThat(Cdc.difference(ds, "shop.orders", "raw.orders", COLUMNS)).isZero();
        assertSameInstant(ds, source.storedCursor(), "2024-01-01 04:00:00+00");

        // a late row sharing the last cursor value, with a smaller key, and a newer row
        sql(ds, "insert into shop.orders values (0, '2024-01-01 04:00:00+00', 0.5, null), (26, '2024-01-02 00:00:00+00', 1, '{}')");
        long second = source.run(ds, (batch, c) -> loader.load(batch, c));
        assertThat(second).as("the five rows at the last cursor again, the late tie and the newer row").isEqualTo(7);
        assertThat(Cdc.difference(ds, "shop.orders", "raw.orders", COLUMNS)).isZero();
        assertSameInstant(ds, source.storedCursor(), "2024-01-02 00:00:00+00");
    }

    /**
     * The inclusive cursor reads the rows at the stored cursor again in every run, which an APPEND load held twice
     * (after any run, and after a run that failed mid-way, whose next run resumes at the cursor of the last batch
     * committed). {@code restart(AFTER_LAST_ROW)} stores the last row's key with its cursor and resumes strictly after
     * it: every row once, ties split across runs and batches included; a tie committed later with a smaller key is not
     * read (as any row committed late).
     */
    @Test
    void appendRestartingAfterTheLastRowLoadsEachRowOnceAcrossFailedAndLaterRuns(DataSource ds) {
        sql(ds, "create schema s20", "create table s20.t (id int primary key, ts timestamp not null, v text)",
                "insert into s20.t select g, timestamp '2024-01-01' + (g / 3) * interval '1 day', 'v' || g"
                        + " from generate_series(1, 20) g");
        StateStore state = JdbcStateStore.create(ds);
        for (JdbcIncrementalSource.Restart restart : JdbcIncrementalSource.Restart.values()) {
            String target = "raw20." + restart.name().toLowerCase();
            MergeLoader loader = MergeLoader.into(ds, target).mode(SyncMode.APPEND).build();
            JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s20.t").cursor("ts").key("id").batchRows(4)
                    .offsets(state).stateKey("s20:" + restart).restart(restart).build();
            int[] calls = {0};
            assertThatThrownBy(() -> source.run(ds, (batch, c) -> {
                loader.load(batch, c);
                if (++calls[0] == 2) {
                    throw new IllegalStateException("warehouse full");
                }
            })).hasMessageContaining("warehouse full");
            source.run(ds, (batch, c) -> loader.load(batch, c));
            sql(ds, "insert into s20.t values (21, '2024-01-08', 'v21'), (0, '2024-01-07', 'late tie')");
            source.run(ds, (batch, c) -> loader.load(batch, c));
            long rows = count(ds, "select count(*) from " + target);
            long distinct = count(ds, "select count(distinct id) from " + target);
            if (restart == JdbcIncrementalSource.Restart.AT_LAST_CURSOR) {
                assertThat(rows).as("rows read again at the stored cursor, appended twice").isGreaterThan(distinct);
            } else {
                assertThat(rows).isEqualTo(distinct).isEqualTo(21);
                assertThat(count(ds, "select count(*) from " + target + " where id = 0")).isZero();
                assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isZero();
            }
            sql(ds, "delete from s20.t where id in (0, 21)");
        }
    }

    /**
     * Two runs of one source at once (a scheduler starting the next run before the last one ended): both read from the
     * position stored when they started, so with an APPEND load each committed the same rows, and the target held them
     * twice, although {@code AFTER_LAST_ROW} promises each row once. A batch now commits only while the stored position is
     * still the one its run last saw; the run that finds it moved by another fails, its batch rolled back.
     */
    @Test
    void aRunOverlappingAnotherOfTheSameSourceFailsRatherThanLoadTheirRowsTwice(DataSource ds) {
        sql(ds, "create schema s22", "create table s22.t (id int primary key, ts int not null)",
                "insert into s22.t select g, g / 2 from generate_series(1, 7) g", "create table s22.landed (id int)");
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s22.t").cursor("ts").key("id").batchRows(3)
                .restart(JdbcIncrementalSource.Restart.AFTER_LAST_ROW).offsets(JdbcStateStore.create(ds)).build();
        JdbcIncrementalSource.Handler land = (batch, c) -> {
            try (java.sql.PreparedStatement ps = c.prepareStatement("insert into s22.landed values (?)")) {
                for (dev.mds.core.Record r : batch.records()) {
                    ps.setInt(1, (Integer) r.get(0));
                    ps.executeUpdate();
                }
            }
        };
        for (int overlapAt : new int[] {1, 2}) {
            sql(ds, "truncate s22.landed");
            JdbcStateStore.create(ds).delete(source.stateKey());
            int[] batches = {0};
            // the second run starts and ends while the first one's batch is loaded but not yet committed
            assertThatThrownBy(() -> source.run(ds, (batch, c) -> {
                land.handle(batch, c);
                if (++batches[0] == overlapAt) {
                    assertThat(source.run(ds, land)).isEqualTo(overlapAt == 1 ? 7 : 4);
                }
            })).isInstanceOf(MdsException.class).hasMessageContaining("s22.t")
                    .hasMessageContaining("another run");
            assertThat(count(ds, "select count(*) from s22.landed")).as("overlap at batch %d", overlapAt).isEqualTo(7);
            assertThat(count(ds, "select count(distinct id) from s22.landed")).isEqualTo(7);
            assertThat(source.run(ds, land)).isZero();
        }
    }

    /** {@code batchRows(Integer.MAX_VALUE)}, all rows in one batch: the query's {@code limit} was one more, overflowing to a negative. */
    @Test
    void aBatchOfAsManyRowsAsAnIntHoldsReadsTheTableInOneBatch(DataSource ds) {
        sql(ds, "create schema s23", "create table s23.t (id int primary key, ts int not null)",
                "insert into s23.t select g, g from generate_series(1, 5) g");
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s23.t").cursor("ts").key("id")
                .batchRows(Integer.MAX_VALUE).offsets(JdbcStateStore.create(ds)).build();
        List<Integer> sizes = new ArrayList<>();
        assertThat(source.run(ds, (batch, c) -> sizes.add(batch.size()))).isEqualTo(5);
        assertThat(sizes).containsExactly(5);
        assertThat(source.sql()).endsWith(" limit 2147483648");
    }

    /**
     * The page after a row whose key may hold NULL (any column of a view, a key column without NOT NULL) is selected by
     * a condition spelt out column by column, {@code c > ? or (c = ? and ...)}, which no index bounds: every page
     * scanned the index from the table's first row and dropped the rows before the page (a first run over n rows read
     * about n²/2 / batchRows of them). The condition now also says {@code c >= ?}, which bounds the index scan: a page
     * reads the rows of its cursor value before it, no more.
     */
    @Test
    void thePageAfterANullableKeyIsBoundedByTheCursorIndex(DataSource ds) {
        sql(ds, "create schema s24", "create table s24.t (id int, ts int not null, unique (id))",
                "insert into s24.t select g, g / 3, from generate_series(1, 3000) g".replace(", from", " from"),
                "create index on s24.t (ts, id)", "analyze s24.t", "create view s24.v as select id, ts from s24.t");
        for (String relation : new String[] {"s24.t", "s24.v"}) {
            List<String[]> queries = new ArrayList<>();
            JdbcIncrementalSource source = JdbcIncrementalSource.builder(recording(ds, queries), relation).cursor("ts")
                    .key("id").batchRows(100).offsets(JdbcStateStore.create(ds)).stateKey("s24:" + relation).build();
            assertThat(source.run(ds, (batch, c) -> { })).isEqualTo(3000);
            List<String[]> pages = queries.stream().filter(q -> q[0].startsWith("select * from") && q.length > 1).toList();
            assertThat(pages).as("pages after the first of %s", relation).hasSize(29);
            for (String[] page : pages) {
                String query = page[0];
                for (int i = 1; i < page.length; i++) {
                    query = query.replaceFirst("\\?", java.util.regex.Matcher.quoteReplacement(
                            dev.mds.core.Identifiers.literal(page[i])));
                }
                String plan = String.join("\n", dev.mds.testing.TestSql.strings(ds,
                        "explain (analyze, costs off, timing off, summary off) " + query));
                java.util.regex.Matcher removed = java.util.regex.Pattern.compile("Rows Removed by Filter: (\\d+)").matcher(plan);
                long dropped = removed.find() ? Long.parseLong(removed.group(1)) : 0;
                assertThat(dropped).as("rows scanned and dropped by %s:%n%s", query, plan).isLessThanOrEqualTo(3);
            }
        }
    }

    /** {@code ds}, whose statements' SQL and string parameters are added to {@code queries} as they run. */
    private static DataSource recording(DataSource ds, List<String[]> queries) {
        return (DataSource) java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object out = invoke(ds, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return out;
                    }
                    java.sql.Connection c = (java.sql.Connection) out;
                    return java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                            new Class<?>[] {java.sql.Connection.class}, (cp, cm, ca) -> {
                                Object r = invoke(c, cm, ca);
                                if (!cm.getName().equals("prepareStatement")) {
                                    return r;
                                }
                                java.sql.PreparedStatement ps = (java.sql.PreparedStatement) r;
                                List<String> call = new ArrayList<>(List.of((String) ca[0]));
                                return java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                                        new Class<?>[] {java.sql.PreparedStatement.class}, (sp, sm, sa) -> {
                                            if (sm.getName().equals("setString")) {
                                                call.add((String) sa[1]);
                                            } else if (sm.getName().equals("executeQuery")) {
                                                queries.add(call.toArray(new String[0]));
                                            }
                                            return invoke(ps, sm, sa);
                                        });
                            });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * A timestamptz cursor and key are stored as text with their offset, so a run whose source session has another
     * TimeZone (Asia/Kathmandu, +05:45, then America/St_Johns, -03:30 or -02:30) resumes at the same instant: with the
     * inclusive cursor, the rows at the stored instant again; after the last row, nothing again.
     */
    @Test
    void aTimestamptzCursorResumesAtTheSameInstantUnderAnotherSessionTimeZone(dev.mds.testing.TestDatabase db)
            throws Exception {
        DataSource ds = db.dataSource();
        sql(ds, "create schema s25", "create table s25.t (at timestamptz not null, k timestamptz not null, primary key (k))",
                "insert into s25.t select timestamptz '2024-03-10 06:00Z' + (g / 3) * interval '1 hour 7.5 seconds',"
                        + " timestamptz '2024-01-01Z' + g * interval '1 microsecond' from generate_series(1, 10) g");
        for (JdbcIncrementalSource.Restart restart : JdbcIncrementalSource.Restart.values()) {
            List<Long> reads = new ArrayList<>();
            for (String zone : new String[] {"Asia/Kathmandu", "America/St_Johns", "UTC"}) {
                try (com.zaxxer.hikari.HikariDataSource zoned = db.newDataSource(1)) {
                    sql(zoned, "set timezone = '" + zone + "'");
                    JdbcIncrementalSource source = JdbcIncrementalSource.builder(zoned, "s25.t").cursor("at").key("k")
                            .batchRows(4).restart(restart).stateKey("s25:" + restart).offsets(JdbcStateStore.create(ds))
                            .build();
                    reads.add(source.run(ds, (batch, c) -> { }));
                    assertSameInstant(ds, source.storedCursor(), "2024-03-10 09:00:22.5+00");
                }
            }
            assertThat(reads).as("%s: the whole table, then each run the rows at the last cursor", restart)
                    .containsExactly(10L, restart == JdbcIncrementalSource.Restart.AT_LAST_CURSOR ? 2L : 0L,
                            restart == JdbcIncrementalSource.Restart.AT_LAST_CURSOR ? 2L : 0L);
        }
    }

    /**
     * What the README's limit says: a row committed late by a long transaction with a cursor older than the one stored
     * meanwhile is never read (as Airbyte documents for its cursor-based reads); CDC reads it. So is a row committed
     * during a run behind the page the run has reached.
     */
    @Test
    void aRowCommittedLateWithAnOlderCursorThanTheStoredOneIsNotRead(DataSource ds) throws Exception {
        sql(ds, "create schema s26", "create table s26.t (id int primary key, at int not null)",
                "insert into s26.t values (1, 1), (2, 2)");
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s26.t").cursor("at").key("id")
                .offsets(JdbcStateStore.create(ds)).build();
        List<Object> ids = new ArrayList<>();
        try (java.sql.Connection late = ds.getConnection()) {
            late.setAutoCommit(false);
            try (java.sql.Statement st = late.createStatement()) {
                st.execute("insert into s26.t values (3, 3)");   // its cursor taken, the commit comes later
            }
            sql(ds, "insert into s26.t values (4, 4)");
            source.run(ds, (batch, c) -> batch.records().forEach(r -> ids.add(r.get(0))));
            late.commit();
        }
        source.run(ds, (batch, c) -> batch.records().forEach(r -> ids.add(r.get(0))));
        assertThat(ids).as("the first run, then the second from the stored cursor 4").containsExactly(1, 2, 4, 4);
        assertThat(source.storedCursor()).hasValue("4");

        // the same within a run: a row committed between two pages, at the cursor the first page ended on but with a
        // smaller key, is behind the run's next page, and the runs after it start at a later cursor
        sql(ds, "create table s26.u (id int primary key, at int not null)",
                "insert into s26.u values (10, 1), (11, 1), (12, 2), (13, 3)");
        JdbcIncrementalSource paged = JdbcIncrementalSource.builder(ds, "s26.u").cursor("at").key("id").batchRows(2)
                .offsets(JdbcStateStore.create(ds)).build();
        List<Object> read = new ArrayList<>();
        paged.run(ds, (batch, c) -> {
            batch.records().forEach(r -> read.add(r.get(0)));
            if (read.size() == 2) {
                sql(ds, "insert into s26.u values (5, 1)");
            }
        });
        paged.run(ds, (batch, c) -> batch.records().forEach(r -> read.add(r.get(0))));
        assertThat(read).as("row 5 is read by neither run").containsExactly(10, 11, 12, 13, 13);
    }

    /** A cursor or key column dropped or renamed, or the table renamed, between runs: the error names table and column. */
    @Test
    void aColumnOrTableGoneBetweenRunsIsNamed(DataSource ds) {
        sql(ds, "create schema s27", "create table s27.t (id int primary key, at int not null, v text)",
                "insert into s27.t values (1, 1, 'a')");
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s27.t").cursor("at").key("id")
                .offsets(JdbcStateStore.create(ds)).build();
        assertThat(source.run(ds, (batch, c) -> { })).isEqualTo(1);
        sql(ds, "alter table s27.t rename column at to changed_at");
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> { })).isInstanceOf(MdsException.class)
                .hasMessage("table s27.t has no column 'at' (columns: [id, changed_at, v])");
        sql(ds, "alter table s27.t rename column changed_at to at", "alter table s27.t drop column id cascade");
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> { })).isInstanceOf(MdsException.class)
                .hasMessage("table s27.t has no column 'id' (columns: [at, v])");
        sql(ds, "alter table s27.t rename to t2");
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> { })).isInstanceOf(MdsException.class)
                .hasMessage("table s27.t does not exist (or has no columns)");
        assertThat(source.storedCursor()).hasValue("1");
    }

    /**
     * pgjdbc server-prepares a statement from its fifth run on a connection on (its prepareThreshold; a pool's
     * connection counts the runs before too) and then takes its results in binary, where {@code getString} gives a
     * bytea as a Java array's {@code toString()} ({@code [B@1b6d3586}) and a timetz moved to UTC. From the sixth page
     * on, a bytea key or cursor was compared as that text, so rows were skipped (9 of 20 here) or read again, and a
     * timetz value lost its offset. The source's statements now stay unprepared: every page is read as the first.
     */
    @Test
    void pagesAfterTheDriversFifthRunOfAStatementReadByteaAndTimetzAsTheFirstPages(DataSource ds) {
        sql(ds, "create schema s28", "create table s28.t (k bytea primary key, at bytea not null, ts int not null, tz timetz)",
                "insert into s28.t select decode(lpad(to_hex(g), 4, '0'), 'hex'), decode(lpad(to_hex(g / 3), 2, '0'), 'hex'),"
                        + " g / 3, time with time zone '10:00+02' + g * interval '1 minute' from generate_series(1, 20) g");
        for (String cursor : new String[] {"ts", "at"}) {
            for (JdbcIncrementalSource.Restart restart : JdbcIncrementalSource.Restart.values()) {
                JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s28.t").cursor(cursor).key("k")
                        .batchRows(1).restart(restart).stateKey("s28:" + cursor + ":" + restart)
                        .offsets(JdbcStateStore.create(ds)).build();
                List<String> keys = new ArrayList<>();
                List<Object> zones = new ArrayList<>();
                long read = source.run(ds, (batch, c) -> batch.records().forEach(r -> {
                    keys.add(java.util.HexFormat.of().formatHex((byte[]) r.get(0)));
                    zones.add(r.get(3));
                }));
                assertThat(keys).as("cursor %s, %s", cursor, restart).doesNotHaveDuplicates().hasSize(20);
                assertThat(read).isEqualTo(20);
                assertThat(zones).as("timetz values").allSatisfy(z -> assertThat((String) z).endsWith(":00+02"));
                assertThat(source.storedCursor()).hasValue(cursor.equals("ts") ? "6" : "\\x06");
                assertThat(source.run(ds, (batch, c) -> { }))
                        .isEqualTo(restart == JdbcIncrementalSource.Restart.AT_LAST_CURSOR ? 3 : 0);
            }
        }
    }

    /**
     * pgjdbc reads money as a double from its text, which PostgreSQL groups by thousands ({@code $1,000.00}): every value
     * of 1,000 or more failed the whole read ("Bad value for type double : 1,000.00", Airbyte's issue 7870), and the rest
     * came as doubles (not exact from 10^13 on). Money is now read exactly as a decimal, as CDC carries it, and works as a
     * cursor.
     */
    @Test
    void moneyIsReadExactlyAsADecimalWhateverItsSize(DataSource ds) {
        sql(ds, "create schema s29", "create table s29.t (id int primary key, m money not null, ms money[])",
                "insert into s29.t values (1, 999.99, null), (2, 1000, '{1000.5,NULL,-2}'), (3, -1000.5, null),"
                        + " (4, 1234567.89, null), (5, '92233720368547758.07', null), (6, '-92233720368547758.08', null)");
        for (String cursor : new String[] {"id", "m"}) {
            JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s29.t").cursor(cursor).key("id").batchRows(2)
                    .stateKey("s29:" + cursor).offsets(JdbcStateStore.create(ds)).build();
            java.util.Map<Object, Object> values = new java.util.TreeMap<>();
            List<Object> arrays = new ArrayList<>();
            assertThat(source.run(ds, (batch, c) -> batch.records().forEach(r -> {
                values.put(r.get(0), r.get(1));
                if (r.get(2) != null) {
                    arrays.add(r.get(2));
                }
            }))).isEqualTo(6);
            assertThat(values.values()).as("cursor %s", cursor).containsExactly(new java.math.BigDecimal("999.99"),
                    new java.math.BigDecimal("1000.00"), new java.math.BigDecimal("-1000.50"),
                    new java.math.BigDecimal("1234567.89"), new java.math.BigDecimal("92233720368547758.07"),
                    new java.math.BigDecimal("-92233720368547758.08"));
            assertThat(arrays).containsExactly(java.util.Arrays.asList(new java.math.BigDecimal("1000.50"), null,
                    new java.math.BigDecimal("-2.00")));
            assertThat(source.storedCursor()).hasValue(cursor.equals("id") ? "6" : "92233720368547758.07");
            assertThat(source.run(ds, (batch, c) -> { })).as("the rows at the stored cursor again").isEqualTo(1);
        }
    }

    /**
     * A source pool whose connections start with auto-commit off (a common Hikari setting for an application's pool):
     * the run's pages all ran in one source transaction, left open while each batch loaded, holding its lock on the
     * table (an {@code ALTER TABLE} of the application waited for the whole run, and every query behind it) and idle in
     * transaction (which {@code idle_in_transaction_session_timeout} ends). Each page now commits on its own.
     */
    @Test
    void aSourcePoolWithoutAutoCommitHoldsNoTransactionWhileABatchLoads(DataSource ds) {
        sql(ds, "create schema s30", "create table s30.t (id int primary key, ts int not null)",
                "insert into s30.t select g, g from generate_series(1, 4) g");
        DataSource noAutoCommit = (DataSource) java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object out = invoke(ds, method, args);
                    if (method.getName().equals("getConnection")) {
                        ((java.sql.Connection) out).setAutoCommit(false);
                    }
                    return out;
                });
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(noAutoCommit, "s30.t").cursor("ts").key("id")
                .batchRows(2).offsets(JdbcStateStore.create(ds)).build();
        List<String> locks = new ArrayList<>();
        assertThat(source.run(ds, (batch, c) -> {
            // what an application's ALTER TABLE would need, tried while the batch loads
            try (java.sql.Connection app = ds.getConnection(); java.sql.Statement st = app.createStatement()) {
                app.setAutoCommit(false);
                st.execute("set local lock_timeout = '1ms'");
                try {
                    st.execute("lock table s30.t in access exclusive mode");
                    locks.add("taken");
                } catch (java.sql.SQLException e) {
                    locks.add(e.getMessage());
                }
                app.rollback();
            }
        })).isEqualTo(4);
        assertThat(locks).containsExactly("taken", "taken");
    }

    /**
     * A page ending inside a group of rows equal in cursor and key is read again up to the group's end; when another
     * session deleted the whole group in between, that second read found no row and the run failed with a
     * NullPointerException. The page is now read again from where it started.
     */
    @Test
    void aGroupDeletedBetweenAPageAndItsRereadIsPassedOver(DataSource ds) {
        sql(ds, "create schema s31", "create table s31.t (k int, ts int not null, v int)",
                "insert into s31.t values (1, 1, 1), (1, 1, 2), (1, 1, 3), (2, 2, 4), (3, 3, 5)");
        // another session deletes the group (1, 1) just before the source reads it again
        DataSource deleting = (DataSource) java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object out = invoke(ds, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return out;
                    }
                    java.sql.Connection c = (java.sql.Connection) out;
                    return java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                            new Class<?>[] {java.sql.Connection.class}, (cp, cm, ca) -> {
                                if (cm.getName().equals("prepareStatement") && ((String) ca[0]).contains("not coalesce(")) {
                                    sql(ds, "delete from s31.t where k = 1");
                                }
                                return invoke(c, cm, ca);
                            });
                });
        List<Object> values = new ArrayList<>();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(deleting, "s31.t").cursor("ts").key("k").batchRows(1)
                .offsets(JdbcStateStore.create(ds)).build();
        assertThat(source.run(ds, (batch, c) -> batch.records().forEach(r -> values.add(r.get(2))))).isEqualTo(2);
        assertThat(values).containsExactly(4, 5);
        assertThat(source.storedCursor()).hasValue("3");
    }

    @Test
    void aFailingBatchRollsBackAloneAndTheNextRunResumesAfterTheCommittedOnes(DataSource ds) {
        sql(ds, "create schema s2", "create table s2.events (seq bigint primary key, payload text)",
                "insert into s2.events select g, 'p' || g from generate_series(1, 30) g");
        StateStore state = JdbcStateStore.create(ds);
        MergeLoader loader = MergeLoader.into(ds, "raw2.events").mode(SyncMode.MERGE).key("seq").build();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s2.events").cursor("seq").key("seq")
                .batchRows(10).offsets(state).build();
        int[] calls = {0};
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> {
            loader.load(batch, c);
            if (++calls[0] == 2) {
                throw new IllegalStateException("warehouse full");
            }
        })).hasMessageContaining("warehouse full");
        assertThat(count(ds, "select count(*) from raw2.events")).isEqualTo(10);
        assertThat(source.storedCursor()).contains("10");
        assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(21);
        assertThat(Cdc.difference(ds, "s2.events", "raw2.events", "seq, payload")).isZero();
    }

    /**
     * A batch whose warehouse session dies fails with the server's reason, not with the closed connection that the
     * rollback then meets; its cursor is not stored, so the next run reads the batch again.
     */
    @Test
    void aBatchWhoseWarehouseSessionDiesFailsWithTheServersReason(DataSource ds) {
        sql(ds, "create schema s9", "create table s9.events (seq bigint primary key, payload text)",
                "insert into s9.events select g, 'p' || g from generate_series(1, 5) g");
        StateStore state = JdbcStateStore.create(ds);
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s9.events").cursor("seq").key("seq")
                .offsets(state).build();
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> {
            try (java.sql.Statement st = c.createStatement()) {
                st.execute("select pg_terminate_backend(pg_backend_pid())");
            }
        })).isInstanceOf(MdsException.class)
                .hasMessageContaining("terminating connection")
                .hasMessageNotContaining("is closed")
                .hasMessageNotContaining("has been closed");
        assertThat(source.storedCursor()).isEmpty();
    }

    /**
     * Array elements are read as their element type's values from their own text: java.sql.Array gave time[] without
     * its fraction of a second and timestamps parsed in the JVM's zone; a value of two dimensions, which mds has no
     * type for, is refused naming the row and column instead of being stored as a Java array's toString.
     */
    @Test
    void arrayElementsKeepTheirExactValuesAndATwoDimensionalValueIsRefusedWithItsRow(DataSource ds) {
        sql(ds, "create schema s5", "create table s5.arr (id int primary key, ts timestamptz not null, times time[],"
                + " stamps timestamptz[], locals timestamp[], days date[], words text[])",
                "insert into s5.arr values (1, '2024-01-01Z', '{12:34:56.789012,00:00:00.000001}',"
                        + " '{\"2024-10-27 00:30:00.123456+00\",\"2024-10-27 01:30:00.5+00\"}',"
                        + " '{\"2024-03-31 02:30:00.25\"}', '{2024-02-29,0044-03-15 BC}', '{a,NULL,\"b,c\"}')");
        StateStore state = JdbcStateStore.create(ds);
        MergeLoader loader = MergeLoader.into(ds, "raw5.arr").mode(SyncMode.MERGE).key("id").build();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s5.arr").cursor("ts").key("id")
                .offsets(state).build();
        assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(1);
        assertThat(Cdc.difference(ds, "s5.arr", "raw5.arr", "id, ts, times, stamps, locals, days, words")).isZero();

        sql(ds, "insert into s5.arr (id, ts, words) values (2, '2024-01-02Z', '{{a,b},{c,d}}')");
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> loader.load(batch, c)))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("s5.arr row id=2, column words")
                .hasMessageContaining("more than one dimension");
        assertThat(count(ds, "select count(*) from raw5.arr")).isEqualTo(1);
    }

    /**
     * mds-core maps {@code timetz} to time, and reading such a value as a LocalTime failed with the driver's "Cannot
     * convert the column of type TIMETZ" naming neither table nor column: a timetz (and its array) is carried as its
     * text, offset included. A numeric NaN (a BigDecimal has none) and a column of a type mds has no value for are
     * refused naming the table, the row and the column; nothing of the refused page is loaded. (Date and timestamp
     * infinities are carried: {@link #infinitiesAreCarriedAsValuesAndAsTheCursor}.)
     */
    @Test
    void aTimetzIsCarriedAsItsTextAndValuesMdsCannotCarryAreRefusedWithTableRowAndColumn(DataSource ds) {
        sql(ds, "create schema s6", "create table s6.t (id int primary key, ts timestamptz not null, at timetz,"
                + " ats timetz[], amount numeric)",
                "insert into s6.t values (1, '2024-01-01Z', '10:11:12.5+02', '{10:11:12+02,23:00:00-05:30,NULL}', 1.5)");
        StateStore state = JdbcStateStore.create(ds);
        MergeLoader loader = MergeLoader.into(ds, "raw6.t").mode(SyncMode.MERGE).key("id").build();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s6.t").cursor("ts").key("id")
                .offsets(state).build();
        assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(1);
        assertThat(Cdc.text(ds, "select at || ' ' || ats::text from raw6.t"))
                .isEqualTo("10:11:12.5+02 {10:11:12+02,23:00:00-05:30,NULL}");

        sql(ds, "insert into s6.t values (2, '2024-01-02Z', null, null, 'NaN')");
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> loader.load(batch, c)))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("s6.t row id=2, column amount: numeric 'NaN'");
        assertThat(count(ds, "select count(*) from raw6.t")).isEqualTo(1);

        sql(ds, "insert into s6.t values (3, '2024-01-03Z', null, null, '-Infinity')");
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> loader.load(batch, c)))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("s6.t row id=2, column amount: numeric 'NaN'");
        sql(ds, "delete from s6.t where id = 2");
        assertThatThrownBy(() -> source.run(ds, (batch, c) -> loader.load(batch, c)))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("s6.t row id=3, column amount: numeric '-Infinity'");

        sql(ds, "create table s6.iv (id int primary key, ts timestamptz not null, took interval)",
                "insert into s6.iv values (1, '2024-01-01Z', '1 mon')");
        assertThatThrownBy(() -> JdbcIncrementalSource.builder(ds, "s6.iv").cursor("ts").key("id").offsets(state).build()
                .run(ds, (batch, c) -> { }))
                .isInstanceOf(MdsException.class)
                .hasMessageContaining("s6.iv column took: mds has no logical type for database type 'interval'");
    }

    /**
     * The page condition compares the last key in the column's own type: a parameter cast to bare {@code character}
     * was cut to one character ('AB' became 'A'), so the same page came back forever.
     */
    /**
     * PostgreSQL's infinity and -infinity in date, timestamp and timestamptz columns (and a date[]) are read as the
     * driver's MAX and MIN and land in the target as infinity; they were refused ("which mds cannot carry"). A cursor
     * column holding infinity works: -infinity rows come first, infinity rows last. The stored cursor is the last
     * finite one, never infinity (from which no later finite row would ever be read): each later run reads the rows
     * at infinity again, as the inclusive cursor re-reads the rows at its value, and every new finite row.
     */
    @Test
    void infinitiesAreCarriedAsValuesAndAsTheCursor(DataSource ds) {
        sql(ds, "create schema s19", "create table s19.scd (id int primary key, valid_to timestamp not null, due date,"
                + " seen timestamptz, dues date[])",
                "insert into s19.scd values (1, '-infinity', 'infinity', '-infinity', '{infinity,-infinity,NULL}'),"
                        + " (2, '2024-01-01', '-infinity', 'infinity', null), (3, 'infinity', '2024-01-01', null, null),"
                        + " (4, 'infinity', 'infinity', 'infinity', '{2024-01-01}')");
        StateStore state = JdbcStateStore.create(ds);
        MergeLoader loader = MergeLoader.into(ds, "raw19.scd").mode(SyncMode.MERGE).key("id").build();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s19.scd").cursor("valid_to").key("id")
                .batchRows(2).offsets(state).build();
        List<Object> cursors = new ArrayList<>();
        assertThat(source.run(ds, (batch, c) -> {
            batch.records().forEach(r -> cursors.add(r.get(batch.schema().indexOf("valid_to"))));
            loader.load(batch, c);
        })).isEqualTo(4);
        assertThat(cursors).containsExactly(java.time.LocalDateTime.MIN, java.time.LocalDateTime.of(2024, 1, 1, 0, 0),
                java.time.LocalDateTime.MAX, java.time.LocalDateTime.MAX);
        assertThat(Cdc.difference(ds, "s19.scd", "raw19.scd", "id, valid_to, due, seen, dues")).isZero();
        assertThat(count(ds, "select count(*) from raw19.scd where valid_to = 'infinity' and due = 'infinity'"
                + " and seen = 'infinity' and dues[1] = '2024-01-01'")).isEqualTo(1);
        assertThat(source.storedCursor()).hasValue("2024-01-01 00:00:00");

        // a row closed at infinity, and a new row with a finite cursor: both are read, with the rows from the stored
        // cursor on (2, and 3 and 4 at infinity) again
        sql(ds, "insert into s19.scd values (5, 'infinity', null, null, null), (6, '2025-01-01', null, null, null)");
        List<Object> ids = new ArrayList<>();
        assertThat(source.run(ds, (batch, c) -> {
            batch.records().forEach(r -> ids.add(r.get(batch.schema().indexOf("id"))));
            loader.load(batch, c);
        })).isEqualTo(5);
        assertThat(ids).containsExactly(2, 6, 3, 4, 5);
        assertThat(Cdc.text(ds, "select string_agg(id::text, ',' order by id) from raw19.scd")).isEqualTo("1,2,3,4,5,6");
        assertThat(Cdc.difference(ds, "s19.scd", "raw19.scd", "id, valid_to, due, seen, dues")).isZero();
        assertThat(source.storedCursor()).hasValue("2025-01-01 00:00:00");

        // only rows at infinity: the first run stores no cursor, so each run reads them all again
        sql(ds, "create table s19.inf (id int primary key, at date not null)", "insert into s19.inf values (1, 'infinity')");
        JdbcIncrementalSource onlyInfinite = JdbcIncrementalSource.builder(ds, "s19.inf").cursor("at").key("id")
                .offsets(state).build();
        MergeLoader infLoader = MergeLoader.into(ds, "raw19.inf").mode(SyncMode.MERGE).key("id").build();
        assertThat(onlyInfinite.run(ds, (batch, c) -> infLoader.load(batch, c))).isEqualTo(1);
        assertThat(onlyInfinite.storedCursor()).isEmpty();
        sql(ds, "insert into s19.inf values (2, '2020-01-01')");
        assertThat(onlyInfinite.run(ds, (batch, c) -> infLoader.load(batch, c))).isEqualTo(2);
        assertThat(onlyInfinite.storedCursor()).hasValue("2020-01-01");
    }

    /**
     * A double precision cursor holding NaN, which PostgreSQL sorts after every number, infinity included: the stored
     * cursor was NaN, from which no later finite row is ever read (only NaN is {@code >= 'NaN'}), so every row added
     * later was silently lost. NaN is never stored, as infinity is not: the last finite cursor is.
     */
    @Test
    void aNanCursorIsNeverStoredSoLaterRowsAreStillRead(DataSource ds) {
        sql(ds, "create schema s21", "create table s21.t (id int primary key, at double precision not null)",
                "insert into s21.t values (1, 1.5), (2, 'Infinity'), (3, 'NaN')");
        MergeLoader loader = MergeLoader.into(ds, "raw21.t").mode(SyncMode.MERGE).key("id").build();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s21.t").cursor("at").key("id").batchRows(2)
                .offsets(JdbcStateStore.create(ds)).build();
        assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).isEqualTo(3);
        assertThat(source.storedCursor()).hasValue("1.5");
        sql(ds, "insert into s21.t values (4, 2.5)");
        assertThat(source.run(ds, (batch, c) -> loader.load(batch, c))).as("1.5, 2.5, Infinity and NaN").isEqualTo(4);
        assertThat(Cdc.text(ds, "select string_agg(id::text, ',' order by id) from raw21.t")).isEqualTo("1,2,3,4");
        assertThat(source.storedCursor()).hasValue("2.5");
    }

    @Test
    void keysOfCharNumericAndVarcharTypesPageThroughTiesExactlyOnce(DataSource ds) {
        sql(ds, "create schema s4", "create table s4.codes (code char(2) primary key, ts timestamp not null)",
                "insert into s4.codes values ('AA', '2024-01-01'), ('AB', '2024-01-01'), ('AC', '2024-01-01')",
                "create table s4.mixed (c char(3), n numeric(5,2), v varchar(4), ts timestamp(0) not null,"
                        + " primary key (c, n, v))",
                "insert into s4.mixed values ('x', 1.5, 'a', '2024-01-01'), ('x', 1.5, 'ab', '2024-01-01'),"
                        + " ('x', 1.51, 'a', '2024-01-01'), ('x', 2, 'a', '2024-01-01'),"
                        + " ('xy', 0, 'a', '2024-01-01'), ('xyz', 0, 'a', '2024-01-01')");
        StateStore state = JdbcStateStore.create(ds);
        List<Object> codes = new ArrayList<>();
        long read = JdbcIncrementalSource.builder(ds, "s4.codes").cursor("ts").key("code").batchRows(2).offsets(state)
                .build().run(ds, (batch, c) -> {
                    batch.records().forEach(r -> codes.add(r.get(0)));
                    assertThat(codes).as("rows read so far").hasSizeLessThanOrEqualTo(3);
                });
        assertThat(codes).containsExactly("AA", "AB", "AC");
        assertThat(read).isEqualTo(3);
        List<String> keys = new ArrayList<>();
        long mixed = JdbcIncrementalSource.builder(ds, "s4.mixed").cursor("ts").key("c", "n", "v").batchRows(2)
                .offsets(state).build().run(ds, (batch, c) -> {
                    batch.records().forEach(r -> keys.add(r.get(0) + "|" + r.get(1) + "|" + r.get(2)));
                    assertThat(keys).as("rows read so far").hasSizeLessThanOrEqualTo(6);
                });
        assertThat(mixed).isEqualTo(6);
        assertThat(keys).containsExactly("x  |1.50|a", "x  |1.50|ab", "x  |1.51|a", "x  |2.00|a", "xy |0.00|a",
                "xyz|0.00|a");
    }

    /**
     * A composite unique key may hold NULL in a column (a unique constraint allows it). The page condition
     * {@code (ts, a, b) > (?, NULL, 1)} is NULL, not true, for the next row (ts, NULL, 2), so every later row sharing
     * the cursor value and the NULL was silently skipped.
     */
    @Test
    void aCompositeKeyHoldingNullPagesThroughTiesExactlyOnce(DataSource ds) {
        sql(ds, "create schema s7", "create table s7.t (a int, b text, ts date not null, unique (a, b))",
                "insert into s7.t values (1, 'x', '2024-01-01'), (null, 'x', '2024-01-01'), (null, 'y', '2024-01-01'),"
                        + " (1, null, '2024-01-01'), (2, null, '2024-01-01'), (null, null, '2024-01-01'),"
                        + " (3, 'z', '2024-01-02')");
        List<String> keys = new ArrayList<>();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "s7.t").cursor("ts").key("a", "b").batchRows(1)
                .offsets(JdbcStateStore.create(ds)).build();
        long read = source.run(ds, (batch, c) -> {
            batch.records().forEach(r -> keys.add(r.get(0) + "|" + r.get(1)));
            assertThat(keys).as("rows read so far").hasSizeLessThanOrEqualTo(7);
        });
        assertThat(keys).containsExactly("1|x", "1|null", "2|null", "null|x", "null|y", "null|null", "3|z");
        assertThat(read).isEqualTo(7);
    }

    /**
     * Rows equal in cursor and key: a unique key holding NULL twice (a unique constraint allows it), a key that is not
     * unique, a key equal under a case-insensitive collation. A page ending inside such a group continued strictly
     * after its last {@code (cursor, key)}, so the rest of the group was silently lost (Airbyte's cursor-tie problem):
     * a page now takes the whole group, however many rows it holds.
     */
    @Test
    void rowsEqualInCursorAndKeyAreReadOnceEachWhereverAPageEnds(DataSource ds) {
        sql(ds, "create schema s8", "create table s8.nulls (a int, ts date not null, v int, unique (a))",
                "insert into s8.nulls values (1, '2024-01-01', 1), (null, '2024-01-01', 2), (null, '2024-01-01', 3),"
                        + " (null, '2024-01-01', 4), (2, '2024-01-02', 5)",
                "create table s8.dups (customer int not null, ts timestamp not null, v int)",
                "insert into s8.dups select g % 3, timestamp '2024-01-01' + (g % 2) * interval '1 day', g"
                        + " from generate_series(1, 20) g",
                "create collation s8.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                "create table s8.ci (k text collate s8.ci not null, ts int not null, v int)",
                "insert into s8.ci values ('a', 1, 1), ('A', 1, 2), ('b', 1, 3), ('B', 1, 4), ('c', 2, 5)");
        StateStore state = JdbcStateStore.create(ds);
        for (String[] t : new String[][] {{"s8.nulls", "a", "5"}, {"s8.dups", "customer", "20"}, {"s8.ci", "k", "5"}}) {
            for (int rows : new int[] {1, 2, 3, 7}) {
                List<Object> values = new ArrayList<>();
                long read = JdbcIncrementalSource.builder(ds, t[0]).cursor("ts").key(t[1]).batchRows(rows).offsets(state)
                        .stateKey(t[0] + ":" + rows).build()
                        .run(ds, (batch, c) -> batch.records().forEach(r -> values.add(r.get(2))));
                assertThat(values).as("%s in pages of %d", t[0], rows).doesNotHaveDuplicates()
                        .hasSize(Integer.parseInt(t[2]));
                assertThat(read).isEqualTo(Long.parseLong(t[2]));
            }
        }
    }

    @Test
    void hostileTableAndColumnNamesAreReadExactly(DataSource ds) {
        sql(ds, "create schema \"we\"\"ird.s\"", "create table \"we\"\"ird.s\".\"T a;\" (\"ID\" int primary key, id text,"
                + " \"Upd\"\"At\" text collate \"C\" not null, \"select\" int)",
                "insert into \"we\"\"ird.s\".\"T a;\" values (1, 'x', 'b', 1), (2, 'y', 'B', 2), (3, 'z', 'a', 3), (4, 'w', 'b', 4)");
        List<Object> ids = new ArrayList<>();
        JdbcIncrementalSource source = JdbcIncrementalSource.builder(ds, "\"we\"\"ird.s\".\"T a;\"").cursor("Upd\"At")
                .key("ID").batchRows(1).offsets(JdbcStateStore.create(ds)).build();
        assertThat(source.run(ds, (batch, c) -> batch.records().forEach(r -> ids.add(r.get(0))))).isEqualTo(4);
        assertThat(ids).as("in the column's collation C: B < a < b").containsExactly(2, 3, 1, 4);
        assertThat(source.storedCursor()).contains("b");
    }

    @Test
    void missingSettingsAndUnknownColumnsAreClearErrors(DataSource ds) {
        sql(ds, "create schema s3", "create table s3.t (id int primary key, v text)");
        assertThatThrownBy(() -> JdbcIncrementalSource.builder(ds, "s3.t").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cursor(column)").hasMessageContaining("key(columns...)")
                .hasMessageContaining("offsets(stateStore)");
        JdbcIncrementalSource bad = JdbcIncrementalSource.builder(ds, "s3.t").cursor("updated_at").key("id")
                .offsets(JdbcStateStore.create(ds)).build();
        assertThatThrownBy(() -> bad.run(ds, (batch, c) -> { })).isInstanceOf(MdsException.class)
                .hasMessageContaining("s3.t has no column 'updated_at'").hasMessageContaining("[id, v]");
        JdbcIncrementalSource missing = JdbcIncrementalSource.builder(ds, "s3.nope").cursor("id").key("id")
                .offsets(JdbcStateStore.create(ds)).build();
        assertThatThrownBy(() -> missing.run(ds, (batch, c) -> { })).isInstanceOf(MdsException.class)
                .hasMessage("table s3.nope does not exist (or has no columns)");
    }

    /** The stored cursor of a timestamptz is its text in the session's TimeZone: compared as an instant. */
    private static void assertSameInstant(DataSource ds, java.util.Optional<String> cursor, String expected) {
        assertThat(cursor).isPresent();
        assertThat(Cdc.text(ds, "select (" + dev.mds.core.Identifiers.literal(cursor.orElseThrow()) + "::timestamptz = "
                + dev.mds.core.Identifiers.literal(expected) + "::timestamptz)::text")).as("cursor %s is %s", cursor, expected)
                .isEqualTo("true");
    }
}
