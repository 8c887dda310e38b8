package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** seedsFrom(dir): CSV files loaded into tables with COPY, types inferred as dbt does, replaced on every run. */
@MdsPostgres
class SeedsTest {

    private static Path write(Path dir, String relative, String text) throws Exception {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    /** {@code column type} of each column, in order, as format_type prints it. */
    private static List<String> types(DataSource ds, String schema, String table) {
        return TestSql.strings(ds, "select a.attname || ' ' || format_type(a.atttypid, a.atttypmod) from pg_attribute a"
                + " where a.attrelid = '" + schema + "." + table + "'::regclass and a.attnum > 0 and not a.attisdropped"
                + " order by a.attnum");
    }

    private static String oid(DataSource ds, String relation) {
        return TestSql.strings(ds, "select '" + relation + "'::regclass::oid").get(0);
    }

    @Test
    void csvBecomesATableWithTypesInferredAsDbtDoesLoadedBeforeTheModelsThatRefIt(DataSource ds, @TempDir Path dir)
            throws Exception {
        write(dir, "seeds/ref/countries.csv", "id,code,population,share,founded,updated,active,note,nothing,zone_time\n"
                + "1,FR,68000000,0.5,1958-10-4,2024-01-01 10:00:00,true,\"a, \"\"quoted\"\"\nnote\",,2024-01-01T10:00:00Z\n"
                + "2,DE,3000000000,1e2,1949-05-23,2024-01-02T11:30,False,null,,2024-01-01T10:00:00+02:00\n"
                + "\n"
                + "3,,,,,,TRUE,NULL,,\n");
        write(dir, "models/gold/big.sql", "{{ config(materialized='table') }}\n"
                + "select code, population from {{ ref('countries') }} where population > 1000000");
        TransformProject project = TransformProject.builder(ds).seedsFrom(dir.resolve("seeds"))
                .modelsFrom(dir.resolve("models")).build();
        assertThat(project.models()).containsExactly("ref.countries", "gold.big");
        assertThat(project.sql()).contains("create table \"ref\".\"countries__mds_tmp\" (\"id\" integer, \"code\" text,"
                        + " \"population\" bigint, \"share\" double precision, \"founded\" date, \"updated\" timestamp, \"active\" boolean,"
                        + " \"note\" text, \"nothing\" integer, \"zone_time\" timestamptz)",
                "copy \"ref\".\"countries__mds_tmp\" (\"id\", \"code\", \"population\", \"share\", \"founded\", \"updated\","
                        + " \"active\", \"note\", \"nothing\", \"zone_time\") from stdin with (format csv)");

        RunResults results = project.run().assertSucceeded();
        assertThat(results.models()).extracting(ModelResult::name).containsExactly("ref.countries", "gold.big");
        assertThat(results.model("ref.countries").materialization()).isEqualTo(Materialization.SEED);
        assertThat(results.model("ref.countries").rows()).hasValue(3);
        assertThat(types(ds, "ref", "countries")).containsExactly("id integer", "code text", "population bigint",
                "share double precision", "founded date", "updated timestamp without time zone", "active boolean", "note text",
                "nothing integer", "zone_time timestamp with time zone");
        assertThat(TestSql.strings(ds, "select concat_ws('|', id, code, population, share, founded, updated, active,"
                + " coalesce(note, 'NULL'), coalesce(nothing::text, 'NULL'), (zone_time at time zone 'UTC')) from ref.countries order by id"))
                .containsExactly("1|FR|68000000|0.5|1958-10-04|2024-01-01 10:00:00|t|a, \"quoted\"\nnote|NULL|2024-01-01 10:00:00",
                        "2|DE|3000000000|100|1949-05-23|2024-01-02 11:30:00|f|NULL|NULL|2024-01-01 08:00:00",
                        "3|t|NULL|NULL");
        assertThatTable(ds, "gold.big").columns("code", "population").containsExactlyInAnyOrder(row("FR", 68000000L),
                row("DE", 3000000000L));
    }

    @Test
    void unchangedColumnsTruncateAndCopySoViewsOnTheSeedStayAndChangedColumnsSwapInANewTable(DataSource ds,
            @TempDir Path dir) throws Exception {
        Path csv = write(dir, "lookup/status.csv", "code,label\n1,open\n2,closed\n");
        TransformProject project = TransformProject.builder(ds).seedsFrom(dir)
                .model("rpt.status", "select label from {{ ref('lookup.status') }}").build();
        project.run().assertSucceeded();
        TestSql.sql(ds, "create view public.user_view as select * from lookup.status;"
                + " comment on table lookup.status is 'kept'");
        String before = oid(ds, "lookup.status");

        Files.writeString(csv, "code,label\n1,open\n2,closed\n3,on hold\n");
        assertThat(project.sql()).contains("truncate table \"lookup\".\"status\"",
                "copy \"lookup\".\"status\" (\"code\", \"label\") from stdin with (format csv)");
        assertThat(TransformProject.builder(ds).seedsFrom(dir).fullRefresh(true).build().sql())
                .contains("create table \"lookup\".\"status__mds_tmp\" (\"code\" integer, \"label\" text)")
                .noneMatch(s -> s.startsWith("truncate"));
        RunResults second = project.run().assertSucceeded();
        assertThat(second.model("lookup.status").rows()).hasValue(3);
        assertThat(oid(ds, "lookup.status")).isEqualTo(before);
        assertThatTable(ds, "public.user_view").hasRowCount(3);

        // a new column: the table is replaced; the view that no model rebuilds is kept, with the columns it had
        Files.writeString(csv, "code,label,rank\n1,open,1\n2,closed,2\n");
        RunResults third = project.run().assertSucceeded();
        assertThat(third.model("lookup.status").keptViews()).containsExactly(dev.mds.core.TableName.parse("public.user_view"));
        assertThat(Db.columns(ds, "public", "user_view")).containsExactly("code", "label");
        assertThatTable(ds, "public.user_view").hasRowCount(2);
        assertThat(third.model("lookup.status").rows()).hasValue(2);
        assertThat(oid(ds, "lookup.status")).isNotEqualTo(before);
        assertThat(types(ds, "lookup", "status")).containsExactly("code integer", "label text", "rank integer");
        assertThat(TestSql.strings(ds, "select obj_description('lookup.status'::regclass, 'pg_class')")).containsExactly("kept");
        assertThatTable(ds, "rpt.status").hasRowCount(2);
    }

    @Test
    void seedColumnTypesOverrideTheInferenceAndUnparsableValuesNameFileLineAndColumn(DataSource ds, @TempDir Path dir)
            throws Exception {
        Path csv = write(dir, "raw/zips.csv", "zip,city,code\n007,\"Multi\nLine\",ab\n010,Oslo,cd\n");
        TransformProject.Builder builder = TransformProject.builder(ds).seedsFrom(dir)
                .seedColumnTypes("raw.zips", Map.of("zip", "text", "code", "varchar(2)"));
        TransformProject project = builder.build();
        project.run().assertSucceeded();
        assertThat(types(ds, "raw", "zips")).containsExactly("zip text", "city text", "code character varying(2)");
        assertThatTable(ds, "raw.zips").column("zip").containsOnly("007", "010");
        // same types again: varchar(2) is character varying(2), so the rows are replaced in place
        assertThat(project.sql()).contains("truncate table \"raw\".\"zips\"");
        assertThat(TransformProject.builder(ds).seedsFrom(dir).seedColumnTypes("raw.zips",
                Map.of("zip", "TEXT", "code", "character  varying ( 2 )")).build().sql())
                .contains("truncate table \"raw\".\"zips\"");

        Files.writeString(csv, "zip,city,code\n011,\"Two\nLines\",ef\n012,Bergen,xyz\n");
        RunResults failed = project.run();
        assertThat(failed.model("raw.zips").status()).isEqualTo(ModelStatus.ERROR);
        assertThat(failed.model("raw.zips").error().orElseThrow()).isEqualTo("raw.zips: " + csv + " line 4, column"
                + " 'code': value too long for type character varying(2) (the column's type, varchar(2), is"
                + " set with seedColumnTypes: change it there, or fix the value); the seed's table is unchanged");
        assertThatTable(ds, "raw.zips").column("zip").containsOnly("007", "010");

        Files.writeString(csv, "zip,city,code\n1,a,b\n");
        RunResults wrongType = TransformProject.builder(ds).seedsFrom(dir)
                .seedColumnTypes("raw.zips", Map.of("city", "integer")).build().run();
        assertThat(wrongType.model("raw.zips").error().orElseThrow()).isEqualTo("raw.zips: " + csv + " line 2, column"
                + " 'city': invalid input syntax for type integer: \"a\" (the column's type, integer, is set with"
                + " seedColumnTypes: change it there, or fix the value); the seed's table is unchanged");
        assertThatTable(ds, "raw.zips").column("zip").containsOnly("007", "010");
    }

    @Test
    void raggedRowOrBytesThatAreNotUtf8FailTheSeedNamingFileAndLineAndLeaveItsTableAndSkipItsModels(DataSource ds,
            @TempDir Path dir) throws Exception {
        Path csv = write(dir, "raw/items.csv", "id,name\n1,a\n2,b\n");
        TransformProject project = TransformProject.builder(ds).seedsFrom(dir)
                .model("gold.items", "{{ config(materialized='table') }}\nselect * from {{ ref('raw.items') }}").build();
        project.run().assertSucceeded();

        Files.writeString(csv, "id,name\n1,a\n\n2,\"b\nc\"\n3,c,extra\n4,d\n");
        RunResults ragged = project.run();
        assertThat(ragged.model("raw.items").error()).hasValue("raw.items: " + csv + " line 6: the row has 3 field(s),"
                + " the header 2 (a ragged row: every row of a seed has a value, perhaps empty, for every column); the"
                + " seed's table is unchanged");
        assertThat(ragged.model("gold.items").status()).isEqualTo(ModelStatus.SKIPPED);
        assertThatTable(ds, "raw.items").column("id").containsOnly(1, 2);
        assertThatThrownBy(project::sql).isInstanceOf(BadInputException.class).hasMessageContaining(csv + " line 6:");

        byte[] bytes = "id,name\n1,a\n2,X\n3,c\n".getBytes(StandardCharsets.US_ASCII);
        bytes[bytes.length - 6] = (byte) 0xE9;   // the X on line 3, in Latin-1
        Files.write(csv, bytes);
        RunResults latin1 = project.run();
        assertThat(latin1.model("raw.items").error()).hasValue("raw.items: " + csv + " line 3: the bytes are not UTF-8"
                + " (seeds are read as UTF-8: convert the file)");
        assertThatTable(ds, "raw.items").column("id").containsOnly(1, 2);
    }

    @Test
    void malformedQuotingFailsTheSeedAsBadInputNamingFileLineAndReasonAndLeavesItsTable(DataSource ds, @TempDir Path dir)
            throws Exception {
        Path csv = write(dir, "seeds/raw/notes.csv", "id,note\n1,a\n");
        TransformProject project = TransformProject.builder(ds).seedsFrom(dir.resolve("seeds")).build();
        project.run().assertSucceeded();

        Files.writeString(csv, "id,note\n1,a\n2,\"it's \"quoted\" badly\"\n3,c\n");
        RunResults stray = project.run();
        assertThat(stray.model("raw.notes").error().orElseThrow()).startsWith("raw.notes: " + csv + " line 3: the CSV is"
                + " malformed (a quoted field must be closed right before a ',' or the line's end; a quote inside it is"
                + " written twice): ").contains("; the seed's table is unchanged");
        assertThatTable(ds, "raw.notes").column("id").containsOnly(1);
        assertThatThrownBy(project::sql).isInstanceOf(BadInputException.class).hasMessageContaining(csv + " line 3:");

        Files.writeString(csv, "id,note\n1,a\n2,b\n3,\"never closed\n4,d\n");
        assertThat(project.run().model("raw.notes").error().orElseThrow()).startsWith("raw.notes: " + csv + " line 4:"
                + " the CSV is malformed");
        assertThatTable(ds, "raw.notes").column("id").containsOnly(1);

        Path header = write(dir, "bad/raw/header.csv", "id,\"note\" x\n1,a\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(dir.resolve("bad")).build())
                .isInstanceOf(BadInputException.class).hasMessageStartingWith(header + " line 1: the CSV is malformed");
    }

    @Test
    void leadingZerosAnIntegerColumnDropsAreLoadedAsDbtDoesButWarnedWithFileLineAndColumn(DataSource ds, @TempDir Path dir)
            throws Exception {
        Path csv = write(dir, "raw/places.csv", "id,zip,city,share,k\n1,10001,NYC,0.5,1\n2,02134,Boston,1,2.0\n3,-007,Nowhere,-00.50,01e1\n");
        String inferred = stderrOf(() -> TransformProject.builder(ds).seedsFrom(dir).build().run().assertSucceeded());
        assertThatTable(ds, "raw.places").column("zip").containsOnly(10001, 2134, -7);   // integer, as dbt infers it
        assertThat(inferred).contains("WARN dev.mds.transform.internal.Seeds - " + csv + " line 3, column 'zip': '02134'"
                + " loses its leading zeros (the column is inferred integer, as dbt infers it; it loads as 2134): set the"
                + " column's type with seedColumnTypes(\"raw.places\", Map.of(\"zip\", \"text\")) to keep them");
        assertThat(inferred).contains(csv + " line 4, column 'share': '-00.50' loses its leading zeros (the column is"
                + " inferred double precision, as dbt infers it; it loads as -0.5)");
        assertThat(inferred).contains(csv + " line 4, column 'k': '01e1' loses its leading zeros (the column is inferred"
                + " integer, as dbt infers it; it loads as 10)");
        assertThatTable(ds, "raw.places").column("k").containsOnly(1, 2, 10);
        assertThat(inferred).doesNotContain("column 'id'");

        String typed = stderrOf(() -> TransformProject.builder(ds).seedsFrom(dir)
                .seedColumnTypes("raw.places", Map.of("zip", "text", "share", "text", "k", "text")).build().run().assertSucceeded());
        assertThatTable(ds, "raw.places").column("zip").containsOnly("10001", "02134", "-007");
        assertThat(typed).doesNotContain("leading zeros");
    }

    @Test
    void numbersAreIntegerWhenEveryValueIsWholeElseDoublePrecisionAsDbtsAgateInfersThem(DataSource ds, @TempDir Path dir)
            throws Exception {
        // dbt's agate reads each number as a Decimal; dbt-postgres makes the column integer when no value, normalized,
        // has decimal places (1.0, 2.00, 1e3 are whole), else float8 (convert_number_type over agate.MaxPrecision)
        write(dir, "seeds/raw/amounts.csv", "id,qty,price,big\n1,1.0,1.50,1e3\n2,2.00,2,2E1\n3,,0.1,\n");
        TransformProject project = TransformProject.builder(ds).seedsFrom(dir.resolve("seeds"))
                .model("mart.halves", "{{ config(materialized='table') }}\nselect id, qty / 2 as half, price::text as price,"
                        + " big from {{ ref('amounts') }}").build();
        assertThat(project.sql()).contains("create table \"raw\".\"amounts__mds_tmp\" (\"id\" integer, \"qty\" integer,"
                + " \"price\" double precision, \"big\" integer)");
        project.run().assertSucceeded();
        assertThat(types(ds, "raw", "amounts")).containsExactly("id integer", "qty integer", "price double precision",
                "big integer");
        // as in dbt: qty / 2 divides integers, and price prints as a float8 does
        assertThat(TestSql.strings(ds, "select concat_ws('|', id, half, price, big) from mart.halves order by id"))
                .containsExactly("1|0|1.5|1000", "2|1|2|20", "3|0.1");
    }

    @Test
    void lineBreaksInsideQuotedFieldsLoadAsLineFeedsAsDbtReadsTheFile(DataSource ds, @TempDir Path dir) throws Exception {
        // dbt opens a seed with Python's universal newlines: CRLF and a lone CR read as LF, inside quotes too
        Path csv = write(dir, "raw/notes.csv", "id,note\r\n1,\"two\r\nlines\"\r\n2,\"old\rmac\"\r\n3,\"lf\nonly\"\r\n4,x,y\r\n");
        RunResults results = TransformProject.builder(ds).seedsFrom(dir).build().run();
        // the ragged row is still placed at its line, counting the quoted line breaks
        assertThat(results.model("raw.notes").error().orElseThrow()).startsWith("raw.notes: " + csv + " line 8: the row"
                + " has 3 field(s)");
        Files.writeString(csv, "id,note\r\n1,\"two\r\nlines\"\r\n2,\"old\rmac\"\r\n3,\"lf\nonly\"\r\n");
        TransformProject.builder(ds).seedsFrom(dir).build().run().assertSucceeded();
        assertThat(TestSql.strings(ds, "select replace(replace(note, chr(13), '<CR>'), chr(10), '<LF>') from raw.notes"
                + " order by id")).containsExactly("two<LF>lines", "old<LF>mac", "lf<LF>only");
    }

    /** What {@code action} writes to System.err (where slf4j-simple logs). */
    private static String stderrOf(Runnable action) {
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }

    @Test
    void headerNamesAreTakenExactlyWithAByteOrderMarkDropped(DataSource ds, @TempDir Path dir) throws Exception {
        write(dir, "Raw/My Seed.csv", "\uFEFFId,\"Odd \"\"Name\"\"\",select\n1,\"x,y\",z\n");
        TransformProject project = TransformProject.builder(ds).seedsFrom(dir)
                .model("gold.odd", "select \"Odd \"\"Name\"\"\" as odd from {{ ref('Raw.My Seed') }}").build();
        project.run().assertSucceeded();
        assertThat(Db.columns(ds, "Raw", "My Seed")).containsExactly("Id", "Odd \"Name\"", "select");
        assertThatTable(ds, "gold.odd").column("odd").containsOnly("x,y");

        // SQL reads Raw.My Seed only quoted (TableName.parse refuses it); selections take the file's exact name too
        RunResults selected = project.run(Select.models("Raw.My Seed"));
        assertThat(selected.models()).extracting(ModelResult::name).containsExactly("\"Raw\".\"My Seed\"");
        assertThat(selected.model("Raw.My Seed").status()).isEqualTo(ModelStatus.SUCCESS);
        // a selector string separates criteria by spaces: there the name is written quoted
        assertThat(project.run(Select.parse("\"Raw\".\"My Seed\"+")).models()).hasSize(2);
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(dir)
                .model("gold.odd", "select 1 from {{ ref('Raw.No Seed') }}").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("ref('Raw.No Seed'): cannot read table name")
                .hasMessageContaining("write \"No Seed\"");
    }

    @Test
    void badHeadersTypesAndNamesAreRefusedAtBuild(DataSource ds, @TempDir Path dir) throws Exception {
        Path dup = write(dir, "a/raw/dup.csv", "id,name,id\n1,a,2\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(dir.resolve("a")).build())
                .isInstanceOf(BadInputException.class).hasMessage(dup + " line 1: the header names column 'id' twice");
        Path blank = write(dir, "b/raw/blank.csv", "id,,name\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(dir.resolve("b")).build())
                .isInstanceOf(BadInputException.class).hasMessage(blank + " line 1: column 2 of the header has no name");
        Path empty = write(dir, "c/raw/empty.csv", "");
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(dir.resolve("c")).build())
                .isInstanceOf(BadInputException.class).hasMessageStartingWith(empty + ": the seed has no header row");

        Path ok = write(dir, "d/raw/ok.csv", "id,name\n1,a\n");
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(dir.resolve("d"))
                .seedColumnTypes("raw.ok", Map.of("nme", "text")).build())
                .isInstanceOf(BadInputException.class)
                .hasMessage(ok + " line 1: seedColumnTypes names column(s) [nme], which the header lacks (it names id, name)");
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(dir.resolve("d"))
                .seedColumnTypes("raw.okay", Map.of("id", "text")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("seedColumnTypes names raw.okay, which is no seed (seeds: [raw.ok])");
        for (String notAType : List.of("int; drop table x", "integer primary key", "text collate \"C\"",
                "integer default 1", "numeric(12, 2", "text) --")) {
            assertThatThrownBy(() -> TransformProject.builder(ds).seedColumnTypes("raw.ok", Map.of("id", notAType)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a type name");
        }
        TransformProject.builder(ds).seedColumnTypes("raw.ok", Map.of("a", "numeric( 12 , 2 )", "b",
                "timestamp(3) with time zone", "c", "double precision[]", "d", "pg_catalog.int8", "e", "character varying(3)"));
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(dir.resolve("d"))
                .model("raw.ok", "select 1 as id").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("raw.ok is defined twice");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("x.y", "{{ config(materialized='seed') }}\nselect 1").build())
                .isInstanceOf(BadInputException.class).hasMessageContaining("materialized=seed is not supported");
        assertThatThrownBy(() -> TransformProject.builder(ds).seedsFrom(ok)).isInstanceOf(IllegalArgumentException.class);
    }
}
