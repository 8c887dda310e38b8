package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@MdsPostgres
class TableAssertTest {
    @BeforeAll
    static void users(DataSource ds) {
        TableFixture.on(ds, "product.users").columns("user_id int primary key", "name varchar", "score numeric(5,2)",
                "joined date", "seen_at timestamptz").rows(
                row(1, "John Doe", new BigDecimal("1.50"), LocalDate.of(2023, 1, 1), OffsetDateTime.parse("2023-01-01T10:00:00Z")),
                row(2, "Jane Doe", null, LocalDate.of(2023, 2, 1), null),
                row(3, "Jonathan Foo", new BigDecimal("3"), null, null));
    }

    @Test
    void passesOnMatchingContentsComparingByMeaning(DataSource ds) {
        assertThatTable(ds, "product.users").exists().hasRowCount(3);
        assertThatTable(ds, "product.users").columns("user_id", "name")
                .containsExactlyInAnyOrder(row(3L, "Jonathan Foo"), row(1, "John Doe"), row(2, "Jane Doe"));
        // 1.5 equals numeric 1.50; an OffsetDateTime in another zone equals the same instant
        assertThatTable(ds, "product.users").columns("score", "seen_at")
                .contains(row(1.5, OffsetDateTime.parse("2023-01-01T11:00:00+01:00")));
        assertThatTable(ds, "product.users").column("name").containsOnly("John Doe", "Jane Doe", "Jonathan Foo")
                .hasNoNulls().hasNoDuplicates();
        assertThatTable(ds, "product.missing").doesNotExist();
    }

    @Test
    void failureShowsMissingAndUnexpectedRows(DataSource ds) {
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").columns("user_id", "name")
                .containsExactlyInAnyOrder(row(1, "John Doe"), row(2, "Jane Doe"), row(4, "Nobody")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Missing (expected, not found) 1:").hasMessageContaining("(4, 'Nobody')")
                .hasMessageContaining("Unexpected (found, not expected) 1:").hasMessageContaining("(3, 'Jonathan Foo')");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").hasRowCount(4))
                .hasMessageContaining("to have 4 rows but it has 3");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").isEmpty())
                .hasMessageContaining("to be empty but it has 3 rows").hasMessageContaining("John Doe");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").column("score").hasNoNulls())
                .hasMessageContaining("product.users.score should have no NULLs but has 1");
        assertThatThrownBy(() -> assertThatTable(ds, "product.users").column("name").containsOnly("John Doe", "Jane Doe"))
                .hasMessageContaining("unexpected values [Jonathan Foo]");
        assertThatThrownBy(() -> assertThatTable(ds, "product.nope").hasRowCount(0))
                .hasMessageContaining("cannot read table product.nope");
    }

    @Test
    void duplicatesAreCounted(DataSource ds) {
        TableFixture.on(ds, "t.dups").columns("v int").rows(row(1), row(1), row(2));
        assertThatTable(ds, "t.dups").containsExactlyInAnyOrder(row(1), row(1), row(2));
        assertThatThrownBy(() -> assertThatTable(ds, "t.dups").containsExactlyInAnyOrder(row(1), row(2)))
                .hasMessageContaining("Unexpected (found, not expected) 1:");
        assertThatThrownBy(() -> assertThatTable(ds, "t.dups").column("v").hasNoDuplicates()).hasMessageContaining("repeats [1]");
        assertThat(assertThatTable(ds, "t.dups").column("v").values()).hasSize(3);
    }
}
