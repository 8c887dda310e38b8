package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A {@code @Nested} class works in its enclosing class's database, as a nested class shares its enclosing class's
 * instance, {@code @BeforeAll} fixtures and {@code @BeforeEach} methods; one with an {@code @MdsPostgres} of its own gets a
 * database of its own. Before, every nested class got a database of its own: in a nested test, the enclosing
 * instance's constructor-injected {@code DataSource} was the enclosing class's database, the test's own parameter
 * (and that of the enclosing {@code @BeforeEach}) the nested class's, and the enclosing {@code @BeforeAll}'s tables were
 * missing.
 */
@MdsPostgres
class NestedClassDatabaseTest {
    private final DataSource ds;
    private final TestDatabase db;
    private DataSource each;

    NestedClassDatabaseTest(DataSource ds, TestDatabase db) {
        this.ds = ds;
        this.db = db;
    }

    @BeforeAll
    static void fixture(DataSource ds) {
        TableFixture.on(ds, "nested.users").columns("id int").rows(MdsAssertions.row(1));
    }

    @BeforeEach
    void each(DataSource each) {
        this.each = each;
    }

    @Nested
    class ANestedClass {
        @Test
        void seesTheEnclosingClassesDatabase(DataSource param, TestDatabase paramDb) {
            assertThat(param).isSameAs(ds).isSameAs(paramDb.dataSource()).isSameAs(each);
            assertThat(paramDb).isSameAs(db);
            MdsAssertions.assertThatTable(param, "nested.users").hasRowCount(1);
        }

        @Nested
        class NestedAgain {
            @Test
            void seesItToo(DataSource param) {
                assertThat(param).isSameAs(ds).isSameAs(each);
                MdsAssertions.assertThatTable(param, "nested.users").hasRowCount(1);
            }
        }
    }

    @Nested
    @MdsPostgres(role = MdsPostgres.Role.OWNER)
    class ANestedClassWithAnMdsPostgresOfItsOwn {
        @Test
        void getsADatabaseOfItsOwn(TestDatabase own) {
            // (the enclosing instance's ds, given to its constructor, is the enclosing class's database)
            assertThat(own).isNotSameAs(db);
            assertThat(each).isSameAs(own.dataSource());
            assertThat(own.name()).contains("anestedclasswithanmdspostgresofitsown");
            assertThat(own.ownedByLoginRole()).isTrue();
            assertThat(TestSql.strings(own.dataSource(), "select count(*) from pg_tables where schemaname = 'nested'"))
                    .isEqualTo(List.of("0"));
        }
    }
}
