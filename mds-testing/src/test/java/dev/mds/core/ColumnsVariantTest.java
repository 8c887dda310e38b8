package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class ColumnsVariantTest {
    /**
     * readSchema(connection, table, columns) reads the named columns and promises that the table's other columns may
     * have types mds cannot map. A domain over such a type (interval, timetz) in another column failed it all the
     * same, once one named column was a domain: the domains' base types were all mapped at once.
     */
    @Test
    void anotherColumnsDomainOverATypeMdsCannotMapDoesNotFailTheNamedColumns(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("create domain money12 as numeric(12,2)");
            st.execute("create domain wait_time as interval");
            st.execute("create domain local_hour as timetz");
            st.execute("create table shifts (pay money12, waited wait_time, starts local_hour, id int)");
            assertThat(PostgresDialect.INSTANCE.readSchema(c, TableName.of("public", "shifts"), List.of("pay", "id")).fields())
                    .containsExactly(Field.of("pay", FieldType.decimal(12, 2)), Field.of("id", FieldType.INT));
            // the whole table still cannot be read, saying which type of which domain
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> PostgresDialect.INSTANCE.readSchema(c,
                    TableName.of("public", "shifts"))).isInstanceOf(MdsException.class)
                    .hasMessageContaining("'interval'").hasMessageContaining("domain wait_time");
        }
    }
}
