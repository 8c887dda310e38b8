package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class MissingTableColumnsTest {
    /**
     * readSchema(connection, table, columns) of a table that does not exist said 'table public.missing has no column
     * 'id'', as if the table were there without it: a misspelt table name sent the reader looking for a column.
     */
    @Test
    void theNamedColumnsOfAMissingTableAreRefusedSayingTheTableDoesNotExist(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); var st = c.createStatement()) {
            assertThatThrownBy(() -> PostgresDialect.INSTANCE.readSchema(c, TableName.of("public", "missing"), List.of("id")))
                    .isInstanceOf(MdsException.class).hasMessageContaining("public.missing")
                    .hasMessageContaining("does not exist");
            st.execute("create table present (id int)");
            assertThatThrownBy(() -> PostgresDialect.INSTANCE.readSchema(c, TableName.of("public", "present"), List.of("idx")))
                    .isInstanceOf(MdsException.class).hasMessageContaining("has no column 'idx'");
        }
    }
}
