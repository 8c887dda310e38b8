package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThat;
import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.core.Sql;
import java.math.BigDecimal;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class TableChangesTest {
    private static void sql(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, sql);
        }
    }

    @Test
    void findsCreationsModificationsAndDeletionsByPrimaryKey(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.orders").columns("id int primary key", "status text", "total numeric", "note text").rows(
                row(1, "new", new BigDecimal("1.5"), null), row(2, "new", 2, "gift"), row(3, "paid", 3, null));
        TableChanges changes = TableChanges.of(ds, "c.orders");
        // 1: status and note change (note from NULL); 2: deleted; 3: total rewritten with another scale, no change; 4: new
        sql(ds, "update c.orders set status = 'paid', note = 'late' where id = 1;"
                + " update c.orders set total = 3.000 where id = 3; delete from c.orders where id = 2;"
                + " insert into c.orders values (4, 'new', 1.50, null)");
        assertThat(changes.end()).hasNumberOfChanges(3).hasCreations(1).hasModifications(1).hasDeletions(1)
                .containsCreations(row(4, "new", 1.5, null))
                .containsDeletions(row(2, "new", new BigDecimal("2.00"), "gift"))
                .hasModification(row(1), "status", "new", "paid")
                .hasModification(row(1L), "note", null, "late")
                .hasModifiedColumns(row(1), "note", "status");
        assertThat(changes.changes()).extracting(TableChanges.Change::kind).containsExactly(
                TableChanges.Kind.CREATION, TableChanges.Kind.MODIFICATION, TableChanges.Kind.DELETION);
    }

    @Test
    void failureListsTheChangesFound(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.accounts").columns("id int primary key", "owner text", "balance numeric(8,2)").rows(
                row(1, "ann", 10), row(2, "bob", 20));
        TableChanges changes = TableChanges.of(ds, "c.accounts");
        sql(ds, "update c.accounts set balance = 12.5, owner = null where id = 1; insert into c.accounts values (3, 'cy', 0)");
        changes.end();
        String found = "Changes found (2):" + System.lineSeparator()
                + "  creation c.accounts key (3): (3, 'cy', 0.00)" + System.lineSeparator()
                + "  modification c.accounts key (1): owner 'ann' → null, balance 10.00 → 12.50";
        assertThatThrownBy(() -> assertThatChanges(changes).hasNumberOfChanges(1))
                .isInstanceOf(AssertionError.class)
                .hasMessage("Expected 1 changes in [c.accounts] but found 2." + System.lineSeparator() + found);
        assertThatThrownBy(() -> assertThatChanges(changes).hasDeletions(1))
                .hasMessage("Expected 1 deletion in [c.accounts] but found 0." + System.lineSeparator() + found);
        assertThatThrownBy(() -> assertThatChanges(changes).isUnchanged())
                .hasMessage("Expected no change in [c.accounts] but found 2." + System.lineSeparator() + found);
        assertThatThrownBy(() -> assertThatChanges(changes).containsCreations(row(3, "cy", 1)))
                .hasMessage("Expected creations in [c.accounts] to include" + System.lineSeparator() + "  (3, 'cy', 1)"
                        + System.lineSeparator() + "but no creation matches." + System.lineSeparator()
                        + "Nearest found rows:" + System.lineSeparator() + "  (3, 'cy', 1) has the key (id) of found"
                        + " (3, 'cy', 0.00), which differs in column balance: expected 1 (Integer), found 0.00 (BigDecimal)"
                        + System.lineSeparator() + found);
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "balance", 10, 12))
                .hasMessage("Expected c.accounts key (1) to change balance 10 → 12, but it changed it 10.00 → 12.50."
                        + System.lineSeparator() + found);
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "id", 1, 2))
                .hasMessageStartingWith("Expected c.accounts key (1) to change id 1 → 2, but it kept 1.");
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(2), "owner", "bob", "ann"))
                .hasMessageStartingWith("Expected a modification of the row of key (2) in [c.accounts], but there is none.");
        assertThatThrownBy(() -> assertThatChanges(changes).hasModifiedColumns(row(1), "balance"))
                .hasMessageStartingWith("Expected c.accounts key (1) to change columns [balance], but it changed [owner, balance].");
    }

    @Test
    void hasModificationFailsForAColumnTheModificationKept(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.prices").columns("id int primary key", "price numeric", "note text").rows(row(1, 10, null));
        TableChanges changes = TableChanges.of(ds, "c.prices");
        sql(ds, "update c.prices set note = 'checked' where id = 1");
        changes.end();
        // price kept 10: a test expecting it to go from 10 to an expected price that is (wrongly) 10 again must fail
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "price", 10, 10))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("Expected c.prices key (1) to change price 10 → 10, but it kept 10.");
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "price", 10, new java.math.BigDecimal("10.0")))
                .hasMessageStartingWith("Expected c.prices key (1) to change price 10 → 10.0, but it kept 10.");
        assertThatChanges(changes).hasModification(row(1), "note", null, "checked");
    }

    @Test
    void hasModifiedColumnsFailsWhenAColumnNamedTwiceHidesAChangedOne(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.items").columns("id int primary key", "s text", "x int").rows(row(1, "a", 1));
        TableChanges changes = TableChanges.of(ds, "c.items");
        sql(ds, "update c.items set s = 'b', x = 2 where id = 1");
        changes.end();
        assertThatThrownBy(() -> assertThatChanges(changes).hasModifiedColumns(row(1), "s", "s"))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("Expected c.items key (1) to change columns [s, s], but it changed [s, x].");
        assertThatChanges(changes).hasModifiedColumns(row(1), "x", "s");
    }

    @Test
    void matchesRowsByACompositeKeyInTheKeysOrder(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.lines").columns("order_id int", "line int", "sku text", "qty int").rows(
                row(1, 1, "a", 1), row(1, 2, "b", 1), row(2, 1, "a", 5));
        sql(ds, "alter table c.lines add primary key (line, order_id)");
        TableChanges changes = TableChanges.of(ds, "c.lines");
        sql(ds, "update c.lines set qty = 2 where order_id = 1 and line = 2; delete from c.lines where order_id = 2");
        assertThat(changes.end()).hasNumberOfChanges(2).hasModification(row(2, 1), "qty", 1, 2)
                .containsDeletions(row(2, 1, "a", 5));
        assertThatThrownBy(() -> assertThatChanges(changes).isUnchanged())
                .hasMessageContaining("modification c.lines key (2, 1): qty 1 → 2")
                .hasMessageContaining("deletion c.lines key (1, 2): (2, 1, 'a', 5)");
    }

    @Test
    void aTableWithoutAPrimaryKeyHasADeletionAndACreationForAChangedRow(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.log").columns("msg text", "n int").rows(row("a", 1), row("a", 1), row("b", null));
        TableChanges changes = TableChanges.of(ds, "c.log");
        sql(ds, "update c.log set n = 2 where msg = 'b'; delete from c.log where ctid = (select min(ctid) from c.log where msg = 'a')");
        assertThat(changes.end()).hasNumberOfChanges(3).hasModifications(0).hasCreations(1).hasDeletions(2)
                .containsCreations(row("b", 2)).containsDeletions(row("b", null), row("a", 1));
        assertThatThrownBy(() -> assertThatChanges(changes).hasModifications(1))
                .hasMessageContaining("creation c.log (no primary key): ('b', 2)")
                .hasMessageContaining("deletion c.log (no primary key): ('b', null)")
                .hasMessageContaining("deletion c.log (no primary key): ('a', 1)");
    }

    @Test
    void tracksSeveralTablesAndNarrowsToOne(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.a").columns("id int primary key", "v text").rows(row(1, "x"));
        TableFixture.on(ds, "c.b").columns("id int primary key", "v text").rows(row(1, "x"));
        TableChanges changes = TableChanges.of(ds, "c.a", "c.b");
        sql(ds, "update c.b set v = 'y'");
        assertThat(changes.end()).hasNumberOfChanges(1).hasModification(row(1), "v", "x", "y");
        assertThat(changes).onTable("c.a").isUnchanged();
        assertThat(changes).onTable("c.b").hasModifications(1);
        assertThatThrownBy(() -> assertThat(changes).onTable("c.a").hasModifications(1))
                .hasMessage("Expected 1 modification in [c.a] but found 0." + System.lineSeparator() + "No change found.");
        assertThatThrownBy(() -> assertThat(changes).onTable("c.c")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("changes of [c.a, c.b] do not track c.c");
        assertThat(TableChanges.of(ds, "c.a", "c.b").end()).isUnchanged();
    }

    @Test
    void aKeyModifiedInTwoTablesMustBeNarrowedToOne(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.m1").columns("id int primary key", "v text", "w text").rows(row(1, "x", "p"));
        TableFixture.on(ds, "c.m2").columns("id int primary key", "v text", "w text").rows(row(1, "x", "p"));
        TableChanges changes = TableChanges.of(ds, "c.m1", "c.m2");
        sql(ds, "update c.m1 set v = 'y'; update c.m2 set v = 'y', w = 'q'");
        changes.end();
        // meant for c.m2, which changed v and w: c.m1's modification of key (1) must not answer for it
        assertThatThrownBy(() -> assertThatChanges(changes).hasModifiedColumns(row(1), "v"))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("Rows of key (1) were modified in 2 tables, [c.m1, c.m2]: name one with onTable(...) first.");
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "v", "x", "y"))
                .hasMessageStartingWith("Rows of key (1) were modified in 2 tables");
        assertThatChanges(changes).onTable("c.m1").hasModifiedColumns(row(1), "v");
        assertThatChanges(changes).onTable("c.m2").hasModifiedColumns(row(1), "v", "w").hasModification(row(1), "w", "p", "q");
    }

    @Test
    void aModificationsKeyIsReadAsItsColumnsTypesAsTheOtherComparisonsReadValues(DataSource ds) throws Exception {
        sql(ds, "create extension if not exists citext");
        TableFixture.on(ds, "c.hosts").columns("ip inet primary key", "name text").rows(row("10.0.0.1", "a"));
        TableFixture.on(ds, "c.users").columns("email citext", "n int", "v text").rows(row("Ann@Example.com", 1, "x"));
        sql(ds, "alter table c.users add primary key (email, n)");
        TableFixture.on(ds, "c.texts").columns("k text primary key", "v text").rows(row("10.0.0.1/32", "p"));
        TableChanges changes = TableChanges.of(ds, "c.hosts", "c.users", "c.texts");
        sql(ds, "update c.hosts set name = 'b'; update c.users set v = 'y'; update c.texts set v = 'q'");
        changes.end();
        // the inet key 10.0.0.1 given as 10.0.0.1/32, the citext key in another case: found as containsDeletions finds rows
        assertThatChanges(changes).onTable("c.hosts").hasModification(row("10.0.0.1/32"), "name", "a", "b")
                .hasModifiedColumns(row("10.0.0.1/32"), "name");
        assertThatChanges(changes).onTable("c.users").hasModification(row("ann@example.COM", 1), "v", "x", "y")
                .hasModifiedColumns(row("ANN@EXAMPLE.COM", 1L), "v");
        // each table reads the key as its own columns: 10.0.0.1/32 is c.hosts' inet key and c.texts' text one
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row("10.0.0.1/32"), "v", "p", "q"))
                .hasMessageStartingWith("Rows of key ('10.0.0.1/32') were modified in 2 tables, [c.hosts, c.texts]");
        assertThatChanges(changes).hasModification(row("10.0.0.1"), "name", "a", "b");   // no text key 10.0.0.1
        assertThatThrownBy(() -> assertThatChanges(changes).onTable("c.hosts").hasModification(row("10.0.0.2/32"), "name", "a", "b"))
                .hasMessageStartingWith("Expected a modification of the row of key ('10.0.0.2/32') in [c.hosts], but there is none.");
    }

    @Test
    void aModificationLookedUpByAKeyOfAnotherLengthOrInATableWithoutAPrimaryKeySaysWhyThereIsNone(DataSource ds)
            throws Exception {
        TableFixture.on(ds, "c.pairs").columns("a int", "b int", "v text").rows(row(1, 2, "x"));
        sql(ds, "alter table c.pairs add primary key (b, a)");
        TableFixture.on(ds, "c.notes").columns("n int", "v text").rows(row(1, "x"));
        TableChanges changes = TableChanges.of(ds, "c.pairs", "c.notes");
        sql(ds, "update c.pairs set v = 'y'; update c.notes set v = 'y'");
        changes.end();
        String nl = System.lineSeparator();
        assertThatThrownBy(() -> assertThatChanges(changes).onTable("c.pairs").hasModification(row(2), "v", "x", "y"))
                .hasMessage("Expected a modification of the row of key (2) in [c.pairs], but there is none: the primary key"
                        + " of c.pairs is (b, a), 2 columns." + nl + "Changes found (1):" + nl
                        + "  modification c.pairs key (2, 1): v 'x' → 'y'");
        assertThatThrownBy(() -> assertThatChanges(changes).onTable("c.notes").hasModifiedColumns(row(1), "v"))
                .hasMessageStartingWith("Expected a modification of the row of key (1) in [c.notes], but there is none:"
                        + " c.notes has no primary key, so a changed row there is a deletion and a creation.");
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "v", "x", "y"))
                .hasMessageStartingWith("Expected a modification of the row of key (1) in [c.pairs, c.notes], but there is"
                        + " none: the primary key of c.pairs is (b, a), 2 columns; c.notes has no primary key, so a changed"
                        + " row there is a deletion and a creation.");
        // a key of the right length that no modified row has is told as before
        assertThatThrownBy(() -> assertThatChanges(changes).onTable("c.pairs").hasModification(row(2, 2), "v", "x", "y"))
                .hasMessageStartingWith("Expected a modification of the row of key (2, 2) in [c.pairs], but there is none."
                        + nl);
        assertThatChanges(changes).onTable("c.pairs").hasModification(row(2, 1), "v", "x", "y");
    }

    @Test
    void aCreationOrDeletionNotMatchedIsShownBesideTheNearestOneWithTheColumnsThatDifferAsTheTableAssertionsShowIt(
            DataSource ds) throws Exception {
        TableFixture.on(ds, "c.events").columns("id int primary key", "at timestamptz", "kind text")
                .rows(row(1, java.time.Instant.parse("2024-01-01T10:00:00Z"), "old"));
        TableChanges changes = TableChanges.of(ds, "c.events");
        sql(ds, "set timezone = 'UTC'; insert into c.events values (2, '2024-06-01 12:00:00+00', 'new');"
                + " delete from c.events where id = 1");
        changes.end();
        String nl = System.lineSeparator();
        // a LocalDateTime for a timestamptz is told what to expect, as assertThatTable tells it
        assertThatThrownBy(() -> assertThatChanges(changes).containsCreations(
                row(2, java.time.LocalDateTime.parse("2024-06-01T12:00:00"), "new")))
                .hasMessageContaining("but no creation matches." + nl + "Nearest found rows:" + nl
                        + "  (2, 2024-06-01T12:00, 'new') has the key (id) of found (2, 2024-06-01T12:00Z, 'new'), which differs"
                        + " in column at: expected 2024-06-01T12:00 (LocalDateTime), found 2024-06-01T12:00Z (OffsetDateTime)"
                        + " (a timestamptz holds an instant: expect an OffsetDateTime, an Instant or a ZonedDateTime)" + nl
                        + "Changes found (2):");
        assertThatThrownBy(() -> assertThatChanges(changes).containsDeletions(
                row(1, java.time.Instant.parse("2024-01-01T10:00:00Z"), "OLD")))
                .hasMessageContaining("but no deletion matches." + nl + "Nearest found rows:" + nl
                        + "  (1, 2024-01-01T10:00:00Z, 'OLD') has the key (id) of found (1, 2024-01-01T10:00Z, 'old'), which"
                        + " differs in column kind: expected 'OLD' (String), found 'old' (String)" + nl);
    }

    @Test
    void aModificationsValuesShownAlikeButDifferentAreToldApartByTheirTypes(DataSource ds) throws Exception {
        TableFixture.on(ds, "c.docs").columns("id int primary key", "v jsonb", "at timestamptz")
                .rows(row(1, "1", java.time.Instant.parse("2024-01-01T10:00:00Z")));
        TableChanges changes = TableChanges.of(ds, "c.docs");
        sql(ds, "update c.docs set v = '2', at = '2024-06-01 12:00:00+00'");
        changes.end();
        // a jsonb 1 is no Integer 1: before, the failure read 'change v 1 → 2, but it changed it 1 → 2.'
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "v", 1, 2))
                .hasMessageStartingWith("Expected c.docs key (1) to change v 1 → 2, but it changed it 1 → 2 (before: expected 1"
                        + " (Integer), found 1 (Jsonb); after: expected 2 (Integer), found 2 (Jsonb)).");
        assertThatChanges(changes).hasModification(row(1), "v", "1", "2");
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "at",
                java.time.Instant.parse("2024-01-01T10:00:00Z"), java.time.LocalDateTime.parse("2024-06-01T12:00:00")))
                .hasMessageStartingWith("Expected c.docs key (1) to change at 2024-01-01T10:00:00Z → 2024-06-01T12:00, but it"
                        + " changed it 2024-01-01T10:00Z → 2024-06-01T12:00Z (after: expected 2024-06-01T12:00 (LocalDateTime),"
                        + " found 2024-06-01T12:00Z (OffsetDateTime) (a timestamptz holds an instant: expect an OffsetDateTime,"
                        + " an Instant or a ZonedDateTime)).");
        // values that are shown differently show how they differ, as before
        assertThatThrownBy(() -> assertThatChanges(changes).hasModification(row(1), "v", "1", "3"))
                .hasMessageStartingWith("Expected c.docs key (1) to change v 1 → 3, but it changed it 1 → 2." + System.lineSeparator());
    }

    @Test
    void refusesToAssertBeforeTheEndAndAMissingTable(DataSource ds) {
        TableFixture.on(ds, "c.e").columns("id int primary key").rows();
        TableChanges changes = TableChanges.of(ds, "c.e");
        assertThatThrownBy(() -> assertThat(changes)).isInstanceOf(IllegalStateException.class)
                .hasMessage("changes of [c.e] not ended: call end() after the code under test");
        changes.end();
        assertThatThrownBy(changes::end).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> TableChanges.of(ds, "c.e", "c.nope")).isInstanceOf(MdsException.class)
                .hasMessageContaining("cannot read table c.nope for its changes: ")
                .hasMessageContaining("relation \"c.nope\" does not exist");
    }
}
