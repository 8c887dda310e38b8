package dev.mds.connector.postgres;

import static dev.mds.connector.postgres.Cdc.count;
import static dev.mds.testing.TestSql.sql;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.mds.connector.postgres.SetupReport.Item;
import dev.mds.connector.postgres.SetupReport.Severity;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class CdcSetupTest {

    @Test
    void checkReportsEveryMissingItemOnABadlyConfiguredServer() {
        try (EmbeddedPostgresServer bad = EmbeddedPostgresServer.builder().setting("wal_level", "replica")
                .setting("max_replication_slots", "1").setting("max_wal_senders", "0").setting("fsync", "off").start()) {
            TestDatabase db = bad.createDatabase("badsetup");
            DataSource ds = db.dataSource();
            sql(ds, "create role cdc_bad login password 'x'",
                    "create table t_ok (id int primary key, v text)", "create table t_nopk (id int, v text)",
                    "create table t_nothing (id int primary key)", "alter table t_nothing replica identity nothing",
                    "create publication pub for table t_ok",
                    "select pg_create_physical_replication_slot('old_slot', true)",
                    "create table filler as select g, md5(g::text) from generate_series(1, 20000) g");
            SetupReport report = CdcSetup.check(ds, CdcSetup.spec().user("cdc_bad").publication("pub").slot("mds_slot")
                    .tables("public.t_ok", "public.t_nopk", "public.t_nothing", "public.ghost").walWarningBytes(1000).build());
            System.out.println(report);
            assertThat(report.ok()).isFalse();
            List<String> errors = report.items(Severity.ERROR).stream().map(Item::toString).toList();
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("wal_level is 'replica'")
                    .contains("ALTER SYSTEM SET wal_level = logical").contains("restart needed"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("max_replication_slots is 1")
                    .contains("ALTER SYSTEM SET max_replication_slots"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("max_wal_senders is 0")
                    .contains("ALTER SYSTEM SET max_wal_senders"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("role cdc_bad lacks the REPLICATION attribute")
                    .contains("ALTER ROLE \"cdc_bad\" WITH REPLICATION;"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("lacks SELECT on public.t_ok")
                    .contains("GRANT SELECT ON \"public\".\"t_ok\" TO \"cdc_bad\";"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("public.ghost does not exist"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("public.t_nopk has no primary key"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("t_nopk has REPLICA IDENTITY DEFAULT and no primary key")
                    .contains("REPLICA IDENTITY FULL"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("REPLICA IDENTITY NOTHING"));
            assertThat(errors).anySatisfy(e -> assertThat(e).contains("publication pub does not cover public.t_nopk")
                    .contains("ALTER PUBLICATION \"pub\" ADD TABLE \"public\".\"t_nopk\";"));
            assertThat(report.items(Severity.WARNING)).anySatisfy(w -> assertThat(w.toString())
                    .contains("old_slot, is inactive and retains").contains("pg_drop_replication_slot('old_slot')"));
            assertThat(report.items(Severity.NOTE)).anySatisfy(n -> assertThat(n.toString())
                    .contains("public.t_ok has REPLICA IDENTITY DEFAULT: deletes carry only the primary key"));
            assertThat(report.items(Severity.NOTE)).anySatisfy(n -> assertThat(n.toString())
                    .contains("slot mds_slot does not exist").contains("pg_create_logical_replication_slot('mds_slot', 'pgoutput')"));
            sql(ds, "select pg_drop_replication_slot('old_slot')");
            db.close();
        }
    }

    @Test
    void aPublicationMissingOperationsOrFilteringRowsOrColumnsIsAnError(DataSource ds) {
        sql(ds, "create schema pubs", "create table pubs.t (id int primary key, v text)",
                "create table pubs.filtered (id int primary key, v text)",
                "create table pubs.narrow (id int primary key, v text, secret text)",
                "create publication pub_inserts for table pubs.t with (publish = 'insert, update')",
                "create publication pub_partial for table pubs.t, pubs.filtered where (id > 10), pubs.narrow (id, v)",
                "create publication pub_all for all tables with (publish = 'insert, update, delete')");
        try {
            SetupReport inserts = CdcSetup.check(ds, CdcSetup.spec().publication("pub_inserts").tables("pubs.t").build());
            assertThat(inserts.ok()).isFalse();
            assertThat(inserts.items(Severity.ERROR)).singleElement().satisfies(e -> assertThat(e.toString())
                    .contains("publication pub_inserts does not publish deletes, truncates: those changes")
                    .contains("ALTER PUBLICATION \"pub_inserts\" SET (publish = 'insert, update, delete, truncate');"));

            SetupReport all = CdcSetup.check(ds, CdcSetup.spec().publication("pub_all").tables("pubs.t").build());
            assertThat(all.items(Severity.ERROR)).singleElement().satisfies(e -> assertThat(e.toString())
                    .contains("publication pub_all does not publish truncates"));

            SetupReport partial = CdcSetup.check(ds, CdcSetup.spec().publication("pub_partial")
                    .tables("pubs.t", "pubs.filtered", "pubs.narrow").build());
            assertThat(partial.ok()).isFalse();
            assertThat(partial.items(Severity.ERROR)).extracting(Item::toString).satisfiesExactlyInAnyOrder(
                    e -> assertThat(e).contains("publication pub_partial publishes pubs.filtered with a row filter:")
                            .contains("ALTER PUBLICATION \"pub_partial\" DROP TABLE \"pubs\".\"filtered\";"
                                    + " ALTER PUBLICATION \"pub_partial\" ADD TABLE \"pubs\".\"filtered\";"),
                    e -> assertThat(e).contains("publication pub_partial publishes pubs.narrow with a column list:"));
        } finally {
            sql(ds, "drop publication pub_inserts, pub_partial, pub_all");
        }
    }

    /**
     * Debezium sends NULL for an unchanged out-of-line boolean[], smallint[]... (its placeholder string does not fit
     * the array), so an update of another column used to wipe the array in the target without a word: the check warns
     * about such columns unless the table's REPLICA IDENTITY is FULL (the old row then carries them). Not about
     * numeric[], bit string, timestamp or interval arrays, whose placeholder mds's own converter sends.
     */
    @Test
    void arraysWhoseUnchangedToastValueArrivesAsNullAreWarnedAboutUnlessIdentityIsFull(DataSource ds) {
        sql(ds, "create schema arrs", "create table arrs.t (id int primary key, nums numeric(10,2)[], flags boolean[],"
                + " words text[], ints int[], small smallint[], fixed int2[], masks varbit[], bits bit(2)[], stamps timestamp[],"
                + " took interval[])",
                "alter table arrs.t alter column fixed set storage plain",
                "create table arrs.full_ri (id int primary key, nums numeric[])",
                "alter table arrs.full_ri replica identity full", "create table arrs.plain (id int primary key, v text)");
        SetupReport report = CdcSetup.check(ds, CdcSetup.spec().tables("arrs.t", "arrs.full_ri", "arrs.plain").build());
        assertThat(report.ok()).as(report.toString()).isTrue();
        assertThat(report.items(Severity.WARNING)).singleElement().satisfies(w -> assertThat(w.toString())
                .contains("table arrs.t has REPLICA IDENTITY DEFAULT and array columns Debezium has no unchanged-TOAST"
                        + " placeholder for (flags (boolean[]), small (smallint[])):")
                .contains("delivers NULL, and the target loses the value")
                .contains("ALTER TABLE \"arrs\".\"t\" REPLICA IDENTITY FULL;"));
    }

    /**
     * Debezium's snapshot moves a timetz to UTC ('10:11:12+02' arrives as '08:11:12Z'), a value PostgreSQL does not
     * call equal to the source's: the check warns, naming the table and the columns (a timetz[] is carried exactly).
     */
    @Test
    void timetzColumnsAreWarnedAbout(DataSource ds) {
        sql(ds, "create schema tz", "create domain tz.clock as timetz",
                "create table tz.t (id int primary key, opens timetz, closes tz.clock, slots timetz[], at time)");
        SetupReport report = CdcSetup.check(ds, CdcSetup.spec().tables("tz.t").build());
        assertThat(report.ok()).as(report.toString()).isTrue();
        assertThat(report.items(Severity.WARNING)).singleElement().satisfies(w -> assertThat(w.toString())
                .contains("table tz.t has time with time zone columns (opens, closes): Debezium's snapshot moves each"
                        + " value to UTC"));
    }

    /**
     * Debezium 3.2's pgoutput decoder garbles non-ASCII names, and the source refuses a table whose schema, table or
     * primary key column has one: the check says so first. Other non-ASCII columns are fine (the source decodes them).
     */
    @Test
    void nonAsciiSchemaTableAndKeyColumnNamesAreErrors(DataSource ds) {
        sql(ds, "create schema \"Schlüssel\"", "create table \"Schlüssel\".t (id int primary key)",
                "create schema na", "create table na.\"größe\" (id int primary key)",
                "create table na.k (\"schlüssel\" int primary key, \"größe\" int)",
                "create table na.ok (id int primary key, \"größe\" int)");
        SetupReport report = CdcSetup.check(ds, CdcSetup.spec()
                .tables("\"Schlüssel\".t", "na.\"größe\"", "na.k", "na.ok").build());

        assertThat(report.items(Severity.ERROR)).extracting(Object::toString)
                .anySatisfy(e -> assertThat(e).contains("table \"Schlüssel\".t has a non-ASCII schema or table name"))
                .anySatisfy(e -> assertThat(e).contains("table na.\"größe\" has a non-ASCII schema or table name"))
                .anySatisfy(e -> assertThat(e).contains("table na.k has primary key column(s) with a non-ASCII name"
                        + " (\"schlüssel\")"))
                .noneSatisfy(e -> assertThat(e).contains("na.ok"))
                .allSatisfy(e -> assertThat(e).doesNotContain("größe),"));
    }

    @Test
    void applyPreparesTheDatabaseIdempotentlyAndTheCheckThenPasses(DataSource ds) {
        sql(ds, "create schema product", "create table product.users (user_id serial, name varchar)",
                "create table product.subscriptions (id serial primary key, user_id int, paid boolean)");
        CdcSetup.Spec spec = CdcSetup.spec().user("cdc_apply").password("s3cret'pw").publication("mds_apply")
                .slot("mds_apply").tables("product.users", "product.subscriptions")
                .keyColumns(List.of(dev.mds.core.TableName.parse("product.users"))).build();
        try {
            SetupReport before = CdcSetup.check(ds, spec);
            assertThat(before.ok()).isFalse();
            assertThat(before.toString()).contains("role cdc_apply does not exist");

            List<String> ran = CdcSetup.apply(ds, spec);
            assertThat(ran).containsExactly(
                    "create role \"cdc_apply\" with login replication password '********'",
                    "grant usage on schema \"product\" to \"cdc_apply\"",
                    "alter default privileges in schema \"product\" grant select on tables to \"cdc_apply\"",
                    "grant select on \"product\".\"users\" to \"cdc_apply\"",
                    "grant select on \"product\".\"subscriptions\" to \"cdc_apply\"",
                    "alter table \"product\".\"users\" replica identity full",
                    "create publication \"mds_apply\" for table \"product\".\"users\", \"product\".\"subscriptions\"",
                    "select pg_create_logical_replication_slot('mds_apply', 'pgoutput')");
            SetupReport after = CdcSetup.check(ds, spec);
            assertThat(after.ok()).as(after.toString()).isTrue();
            assertThat(after.items(Severity.WARNING)).isEmpty();
            assertThat(CdcSetup.apply(ds, spec)).as("a second apply has nothing to do").isEmpty();
            assertThat(count(ds, "select count(*) from pg_roles where rolname = 'cdc_apply' and rolreplication")).isEqualTo(1);
            // the source runs the check as the CDC role: no catalog query may need more than that role has (a name
            // cast to regclass in the publication check failed with 'permission denied for schema pg_toast')
            try (HikariDataSource asCdc = new HikariDataSource()) {
                asCdc.setJdbcUrl(((HikariDataSource) ds).getJdbcUrl());
                asCdc.setUsername("cdc_apply");
                asCdc.setPassword("s3cret'pw");
                SetupReport own = CdcSetup.check(asCdc, spec);
                assertThat(own.ok()).as(own.toString()).isTrue();
            }
        } finally {
            sql(ds, "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = 'mds_apply'",
                    "drop publication if exists mds_apply", "drop owned by cdc_apply", "drop role if exists cdc_apply");
        }
    }

    /**
     * A partitioned table's replica identity is not its partitions': apply set FULL on a keyless partitioned table
     * only, its partitions kept DEFAULT without a primary key, and once the publication existed every UPDATE on the
     * source failed ('cannot update table "ev_eu" because it does not have a replica identity and publishes
     * updates'), while the check said ready. The check reports each such partition; apply sets FULL on each.
     */
    @Test
    void aKeylessPartitionedTableGetsFullReplicaIdentityOnEveryPartition(DataSource ds) {
        sql(ds, "create schema part", "create table part.ev (id int, region text, v text) partition by list (region)",
                "create table part.ev_eu partition of part.ev for values in ('eu')",
                "create table part.ev_us partition of part.ev for values in ('us') partition by list (v)",
                "create table part.ev_us_x partition of part.ev_us default", "insert into part.ev values (1, 'eu', 'a'), (2, 'us', 'b')");
        CdcSetup.Spec spec = CdcSetup.spec().tables("part.ev").publication("mds_part")
                .keyColumns(List.of(dev.mds.core.TableName.parse("part.ev"))).build();
        try {
            assertThat(CdcSetup.check(ds, spec).items(Severity.ERROR)).extracting(Item::fix).contains(
                    "ALTER TABLE \"part\".\"ev_eu\" REPLICA IDENTITY FULL;", "ALTER TABLE \"part\".\"ev_us_x\" REPLICA IDENTITY FULL;");
            assertThat(CdcSetup.apply(ds, spec)).containsExactly("alter table \"part\".\"ev\" replica identity full",
                    "alter table \"part\".\"ev_eu\" replica identity full", "alter table \"part\".\"ev_us\" replica identity full",
                    "alter table \"part\".\"ev_us_x\" replica identity full",
                    "create publication \"mds_part\" for table \"part\".\"ev\" with (publish_via_partition_root = true)");
            sql(ds, "update part.ev set v = 'c' where id = 1", "delete from part.ev where id = 2");
            SetupReport after = CdcSetup.check(ds, spec);
            assertThat(after.ok()).as(after.toString()).isTrue();
            assertThat(CdcSetup.apply(ds, spec)).as("a second apply has nothing to do").isEmpty();
        } finally {
            sql(ds, "drop publication if exists mds_part");
        }
    }
}
