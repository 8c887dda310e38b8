package dev.mds.testing;

import static dev.mds.testing.MdsAssertions.assertThatChanges;
import static dev.mds.testing.MdsAssertions.assertThatQuery;
import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Sql;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Range and multirange values compare as PostgreSQL's = compares them: a numeric bound by value, not by its scale. */
@MdsPostgres
class RangeComparisonTest {
    @Test
    void aNumericRangeOrMultirangeComparesItsBoundsByValueNotScale(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table prices (id int primary key, band numrange, bands nummultirange)");
            Sql.execute(c, "insert into prices values (1, '[1.50,2)', '{[1.50,2.0), [3.000,10]}'), (2, '(,0.10]', '{}'),"
                    + " (3, 'empty', '{(-2.50,Infinity)}')");
        }
        assertThatQuery(ds, "select band = '[1.5,2)', bands = '{[1.5,2),[3,10]}' from prices where id = 1")
                .containsExactly(row(true, true));   // what PostgreSQL says
        assertThatTable(ds, "public.prices").containsExactlyInAnyOrder(row(1, "[1.5,2)", "{[1.5,2),[3,10]}"),
                row(2, "(,0.1]", "{}"), row(3, "empty", "{(-2.5,Infinity)}"));
        assertThatTable(ds, "public.prices").columns("band").contains(row("[1.500,2.00)"));
        assertThatQuery(ds, "select band from prices order by id").containsExactly(row("[1.5,2)"), row("(,0.1]"), row("empty"));
        assertThatTable(ds, "public.prices").column("band").containsOnly("[1.5,2)", "(,0.1]", "empty");
        // another value still differs, and 15 is not 1.5
        assertThatThrownBy(() -> assertThatTable(ds, "public.prices").columns("band").contains(row("[1.5,2]")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("[1.5,2]");
        assertThatThrownBy(() -> assertThatTable(ds, "public.prices").columns("band").contains(row("[15,20)")))
                .isInstanceOf(AssertionError.class);
        TableChanges changes = TableChanges.of(ds, "public.prices");
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "update prices set band = '[1.5000,2.0)', bands = '{[1.5,2),[3,10.0]}' where id = 1");
        }
        assertThatChanges(changes.end()).hasNumberOfChanges(0);
    }

    @Test
    void otherRangeTypesAndMultirangesCompareAsPostgresqlDoes(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection()) {
            Sql.execute(c, "create table spans (i int4range, b int8range, d daterange, ts tsrange, tz tstzrange,"
                    + " im int4multirange, dm datemultirange)");
            Sql.execute(c, "insert into spans values ('[1,3]', '(0,10)', '[2024-01-01,2024-01-31]',"
                    + " '[2024-01-01 10:00:00.500,2024-01-02)', '[2024-01-01 00:00+02,2024-01-02 00:00+02)',"
                    + " '{[1,2],[3,4]}', '{[2024-01-01,2024-01-02]}')");
        }
        assertThatTable(ds, "public.spans").containsExactlyInAnyOrder(row("[1,4)", "[1,9]", "[2024-01-01,2024-02-01)",
                "[\"2024-01-01 10:00:00.5\",2024-01-02)", "[2023-12-31 22:00:00+00,2024-01-01 22:00:00+00)",
                "{[1,5)}", "{[2024-01-01,2024-01-02]}"));
    }
}
