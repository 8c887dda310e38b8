package dev.mds.load;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.mds.core.FieldType;
import dev.mds.core.ProgressListener;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestDatabase;
import dev.mds.testing.TestSql;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** {@code loadAll} in OVERWRITE against a DEFERRABLE INITIALLY DEFERRED constraint, checked when the stream ends. */
@MdsPostgres
class OverwriteAllDeferredTest {
    static final Schema ORDERS = Schema.builder().required("order_id", FieldType.LONG)
            .required("customer_id", FieldType.LONG).build();

    static RecordBatch orders(long... idAndCustomer) {
        List<Record> records = new java.util.ArrayList<>();
        for (int i = 0; i < idAndCustomer.length; i += 2) {
            records.add(Record.of(idAndCustomer[i], idAndCustomer[i + 1]));
        }
        return RecordBatch.of(ORDERS, records);
    }

    /**
     * The commit's refusal names the key (PostgreSQL's DETAIL) even on a pool whose pgjdbc leaves the DETAIL out of
     * its messages ({@code logServerErrorDetail=false}); before, the message named the constraint only.
     */
    @Test
    void anOrphanOfADeferredForeignKeyInBatch2Of3NamesTheTableAndKeyAndCommitsNothing(TestDatabase db) {
        try (HikariDataSource ds = db.newDataSource(2, Map.of("logServerErrorDetail", "false"))) {
            orphanInBatch2Of3(ds);
        }
        orphanInBatch2Of3(db.dataSource());
    }

    private static void orphanInBatch2Of3(DataSource ds) {
        TestSql.sql(ds, "drop table if exists raw.orders", "drop table if exists raw.customers");
        TestSql.sql(ds, "create schema if not exists raw",
                "create table raw.customers (id bigint primary key)",
                "insert into raw.customers values (1), (2), (3), (4)",
                "create table raw.orders (order_id bigint primary key, customer_id bigint not null"
                        + " constraint orders_customer_fk references raw.customers deferrable initially deferred)",
                "insert into raw.orders values (100, 1), (101, 2)");
        MergeLoader loader = MergeLoader.into(ds, "raw.orders").mode(SyncMode.OVERWRITE).key("order_id").build();
        assertThatThrownBy(() -> loader.loadAll(Stream.of(orders(1, 1, 2, 2), orders(3, 3, 4, 5, 5, 4), orders(6, 1)),
                1, ProgressListener.NONE))
                .isInstanceOfSatisfying(PartialLoadException.class, e -> {
                    assertThat(e.committedBatches()).isZero();
                    assertThat(e.committedRows()).isZero();
                    assertThat(e.getCause()).isInstanceOfSatisfying(RefusedRowsException.class,
                            r -> assertThat(r.constraint()).hasValue("orders_customer_fk"));
                })
                .hasMessageContaining("raw.orders")
                .hasMessageContaining("orders_customer_fk")
                .hasMessageContaining("Key (customer_id)=(5) is not present in table \"customers\"")
                .hasMessageContaining("nothing committed: the table is as it was");
        assertThatTable(ds, "raw.orders").columns("order_id", "customer_id")
                .containsExactlyInAnyOrder(row(100L, 1L), row(101L, 2L));
    }
}
