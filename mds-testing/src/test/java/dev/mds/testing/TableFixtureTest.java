package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.MdsException;
import dev.mds.core.TableName;
import java.time.LocalDate;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class TableFixtureTest {
    @Test
    void createsTheProductSchemaFromTheSeedCsv(DataSource ds) {
        TableName users = TableFixture.on(ds, "product.users").columns("user_id int", "name varchar")
                .csv(SeedData.file("000-saas-product/users.csv"));
        assertThat(users).isEqualTo(TableName.of("product", "users"));
        assertThatTable(ds, users).containsExactlyInAnyOrder(row(1, "John Doe"), row(2, "Jane Doe"), row(3, "Jonathan Foo"));

        TableFixture.on(ds, "product.subscriptions")
                .columns("id int", "start_date date", "end_date date", "user_id int", "subscription varchar", "paid boolean")
                .csv(SeedData.file("000-saas-product/subscriptions.csv"));
        assertThatTable(ds, "product.subscriptions").hasRowCount(15);
        assertThatTable(ds, "product.subscriptions").columns("user_id", "start_date", "subscription", "paid")
                .contains(row(2, LocalDate.of(2023, 5, 1), "enterprise", false), row(3, LocalDate.of(2023, 1, 1), "medium", true));
    }

    @Test
    void withoutColumnsTheHeaderGivesTextColumns(DataSource ds) {
        TableFixture.on(ds, "raw.transactions").csv(SeedData.file("002-forex-transactions/customer_transactions.csv"));
        assertThatTable(ds, "raw.transactions").hasRowCount(100);
        // the file holds UTF-8 city names
        assertThat(assertThatTable(ds, "raw.transactions").column("customer_city").values()).contains("Zürich", "Bogotá");
    }

    @Test
    void recreatesTheTableOnEachCall(DataSource ds) {
        TableFixture.on(ds, "t.again").columns("v int").rows(row(1), row(2));
        TableFixture.on(ds, "t.again").columns("v int").rows(row(3));
        assertThatTable(ds, "t.again").containsExactlyInAnyOrder(row(3));
    }

    @Test
    void aRowWithFewerOrMoreValuesThanTheFirstIsRefusedNotFilledFromTheRowBefore(DataSource ds) {
        // before, the short row was inserted as (2, 'x'): the batch kept the row before's value of b
        assertThatThrownBy(() -> TableFixture.on(ds, "t.uneven").columns("a int", "b text").rows(row(1, "x"), row(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fixture t.uneven: row 2 (2) has 1 values, row 1 (1, 'x') has 2");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.uneven").columns("a int", "b text").rows(row(1), row(2, "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 2 (2, 'x') has 2 values");
        TableFixture.on(ds, "t.uneven").columns("a int", "b text").rows(row(1, "x"), row(2, null));
        assertThatTable(ds, "t.uneven").containsExactlyInAnyOrder(row(1, "x"), row(2, null));
    }

    @Test
    void badFixturesFailClearly(DataSource ds) {
        assertThatThrownBy(() -> TableFixture.on(ds, "t.x").rows(row(1))).hasMessageContaining("call columns(...)");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.x").columns("v int").rows(row("not a number")))
                .isInstanceOf(MdsException.class).hasMessageContaining("fixture t.x");
        assertThatThrownBy(() -> TableFixture.on(ds, "t.x").csvResource("/nope.csv")).hasMessageContaining("/nope.csv");
    }
}
