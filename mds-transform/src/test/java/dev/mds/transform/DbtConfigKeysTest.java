package dev.mds.transform;

import static dev.mds.testing.MdsAssertions.assertThatTable;
import static dev.mds.testing.MdsAssertions.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.TestSql;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** dbt config keys that dbt projects commonly set: the descriptive ones accepted, the others with dbt's meaning. */
@MdsPostgres
class DbtConfigKeysTest {

    @Test
    void descriptiveKeysAreAcceptedWithNumbersAndBooleansAsDbtWritesThem(DataSource ds) {
        String model = """
                {{ config(
                    materialized='table',
                    tags=['finance', 'nightly'],
                    meta={'owner': 'finance', 'contains_pii': true, 'sla_hours': 4, 'score': -0.5, 'levels': [1, 2]},
                    docs={'show': false, 'node_color': 'gold'},
                    persist_docs={'relation': true, 'columns': true},
                    contract={'enforced': false},
                    access='public',
                    group='finance'
                ) }}
                select 1 as id""";
        TransformProject project = TransformProject.builder(ds).model("dk.t", model).build();

        project.run().assertSucceeded();

        assertThatTable(ds, "dk.t").containsExactlyInAnyOrder(row(1));
        assertThat(project.run(Select.parse("config.access:public")).models()).hasSize(1);
    }

    @Test
    void anEnforcedContractOrAMalformedDescriptiveKeyIsRefusedNamingTheLine(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("dk.c", "select 1 as id\n"
                + "{{ config(materialized='table', contract={'enforced': true}) }}").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model dk.c line 2: contract: enforced=true is not supported: an enforced contract checks"
                        + " the columns declared in a model's .yml file, which mds does not read (set enforced to false,"
                        + " or leave contract out)");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("dk.m", "{{ config(meta='finance') }}\nselect 1")
                .build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model dk.m line 1: meta='finance': the value must be a dict: meta={'owner': 'finance'}");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("dk.d", "{{ config(docs={'show': 'no'}) }}\nselect 1")
                .build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model dk.d line 1: docs: 'show' must be true or false (unquoted), not 'no'");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("dk.p",
                "{{ config(persist_docs={'relations': true}) }}\nselect 1").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model dk.p line 1: persist_docs: unknown key 'relations' (supported: relation, columns)");
    }
    @Test
    void fullRefreshFalseKeepsAnIncrementalModelFromBeingRebuiltAndTrueRebuildsItOnEveryRun(DataSource ds) {
        // dbt's should_full_refresh(): the model's full_refresh config, when set, wins over --full-refresh
        TestSql.sql(ds, "create schema rawfr; create table rawfr.s (id int); insert into rawfr.s values (1)");
        String model = "{{ config(materialized='incremental', unique_key='id', full_refresh=%s) }}\n"
                + "select id, {%% if is_incremental() %%}'incremental'{%% else %%}'full'{%% endif %%} as built from rawfr.s";
        TransformProject.Builder never = TransformProject.builder(ds).model("fr.never", model.formatted("false"));
        TransformProject.Builder always = TransformProject.builder(ds).model("fr.always", model.formatted("True"));
        never.build().run().assertSucceeded();
        always.build().run().assertSucceeded();
        TestSql.sql(ds, "insert into rawfr.s values (2)");

        TransformProject neverRefreshed = never.fullRefresh(true).build();
        assertThat(neverRefreshed.sql()).noneMatch(sql -> sql.contains("__mds_tmp"));
        neverRefreshed.run().assertSucceeded();
        TransformProject alwaysRefreshed = always.build();
        assertThat(alwaysRefreshed.sql()).anyMatch(sql -> sql.startsWith("create table \"fr\".\"always__mds_tmp\""));
        alwaysRefreshed.run().assertSucceeded();

        assertThatTable(ds, "fr.never").containsExactlyInAnyOrder(row(1, "incremental"), row(2, "incremental"));
        assertThatTable(ds, "fr.always").containsExactlyInAnyOrder(row(1, "full"), row(2, "full"));
        assertThatThrownBy(() -> TransformProject.builder(ds).model("fr.bad", "{{ config(full_refresh='no') }}\nselect 1")
                .build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model fr.bad line 1: full_refresh must be true or false (unquoted), not 'no'");
    }
    @Test
    void incrementalPredicatesNarrowTheDeleteAndTheMergeAsDbtPostgresWritesThem(DataSource ds) {
        // dbt's adapter test (BaseIncrementalPredicates): the predicate spares the stored row id 2 from the delete or
        // the match, so its new version is inserted beside it
        TestSql.sql(ds, "create schema rawip; create table rawip.s (id int, msg text);"
                + " insert into rawip.s values (1, 'hello'), (2, 'goodbye'), (3, 'hey')");
        String deleteInsert = "{{ config(materialized='incremental', unique_key='id', incremental_predicates=['id != 2']) }}\n"
                + "select id, msg from rawip.s{% if is_incremental() %} where id in (1, 2){% endif %}";
        String merge = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',\n"
                + "    incremental_predicates=['DBT_INTERNAL_DEST.id != 2', 'dbt_internal_source.id < 10']) }}\n"
                + "select id, msg from rawip.s{% if is_incremental() %} where id in (1, 2){% endif %}";
        TransformProject.Builder builder = TransformProject.builder(ds).model("ip.di", deleteInsert).model("ip.mg", merge);
        builder.build().run().assertSucceeded();
        TestSql.sql(ds, "update rawip.s set msg = msg || ' again'");

        TransformProject project = builder.build();
        assertThat(project.sql()).contains("delete from \"ip\".\"di\" as DBT_INTERNAL_DEST\nwhere (\"id\") in (select"
                + " \"id\" from \"pg_temp\".\"di__mds_stage\" as DBT_INTERNAL_SOURCE)\nand (id != 2)");
        assertThat(project.sql()).contains("merge into \"ip\".\"mg\" as DBT_INTERNAL_DEST using \"pg_temp\".\"mg__mds_stage\""
                + " as DBT_INTERNAL_SOURCE\non (DBT_INTERNAL_DEST.id != 2) and (dbt_internal_source.id < 10)"
                + " and DBT_INTERNAL_DEST.\"id\" = DBT_INTERNAL_SOURCE.\"id\"\n"
                + "when matched then update set \"msg\" = DBT_INTERNAL_SOURCE.\"msg\"\n"
                + "when not matched then insert (\"id\", \"msg\") values (DBT_INTERNAL_SOURCE.\"id\", DBT_INTERNAL_SOURCE.\"msg\")");
        project.run().assertSucceeded();

        for (String t : new String[] {"ip.di", "ip.mg"}) {
            assertThatTable(ds, t).containsExactlyInAnyOrder(row(1, "hello again"), row(2, "goodbye"),
                    row(2, "goodbye again"), row(3, "hey"));
        }
    }

    @Test
    void aDeleteInsertPredicateMayNameTheTableDbtInternalDestAsDbtPostgresAliasesIt(DataSource ds) {
        // dbt-adapters 1.14.4 on: delete from t as DBT_INTERNAL_DEST where (key) in (select distinct key from stage
        // as DBT_INTERNAL_SOURCE) and <predicate>, so predicates written for dbt name the table's columns so
        TestSql.sql(ds, "create schema rawia; create table rawia.s (id int, msg text);"
                + " insert into rawia.s values (1, 'hello'), (2, 'goodbye')");
        String model = "{{ config(materialized='incremental', unique_key='id',\n"
                + "    incremental_predicates=['DBT_INTERNAL_DEST.id != 2']) }}\nselect id, msg from rawia.s";
        TransformProject.builder(ds).model("ia.t", model).build().run().assertSucceeded();
        TestSql.sql(ds, "update rawia.s set msg = msg || ' again'");

        TransformProject.builder(ds).model("ia.t", model).build().run().assertSucceeded();

        assertThatTable(ds, "ia.t").containsExactlyInAnyOrder(row(1, "hello again"), row(2, "goodbye"),
                row(2, "goodbye again"));
    }

    @Test
    void incrementalPredicatesAreRefusedWhereDbtWouldIgnoreThemOrTheyAreNotOneCondition(DataSource ds) {
        assertThatThrownBy(() -> TransformProject.builder(ds).model("ip.a", "{{ config(materialized='incremental',"
                + " incremental_predicates=['id > 2']) }}\nselect 1 as id").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model ip.a line 1: incremental_predicates apply only to incremental_strategy='delete+insert'"
                        + " or 'merge' (append deletes and matches nothing)");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("ip.b", "{{ config(materialized='incremental',"
                + " unique_key='id', incremental_predicates='id > 2') }}\nselect 1 as id").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model ip.b line 1: incremental_predicates='id > 2': the value must be a list of SQL"
                        + " conditions: ['id > 2']");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("ip.c", "{{ config(materialized='incremental',"
                + " unique_key='id', incremental_predicates=['id > 2; drop table x']) }}\nselect 1 as id").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model ip.c line 1: incremental_predicates: 'id > 2; drop table x' is not one SQL condition"
                        + " (no ';', no tag, no string, quoted name or comment left open, no -- comment)");
    }

    @Test
    void theLegacyPredicatesConfigNarrowsTheDeleteAndTheMergeAsIncrementalPredicatesDo(DataSource ds) {
        // dbt's incremental materialization: config.get('predicates', none) or config.get('incremental_predicates', none)
        TestSql.sql(ds, "create schema rawlp; create table rawlp.s (id int, msg text);"
                + " insert into rawlp.s values (1, 'hello'), (2, 'goodbye'), (3, 'hey')");
        String deleteInsert = "{{ config(materialized='incremental', unique_key='id', predicates=['id != 2']) }}\n"
                + "select id, msg from rawlp.s{% if is_incremental() %} where id in (1, 2){% endif %}";
        String merge = "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',\n"
                + "    predicates=['DBT_INTERNAL_DEST.id != 2']) }}\n"
                + "select id, msg from rawlp.s{% if is_incremental() %} where id in (1, 2){% endif %}";
        TransformProject.Builder builder = TransformProject.builder(ds).model("lp.di", deleteInsert).model("lp.mg", merge);
        builder.build().run().assertSucceeded();
        TestSql.sql(ds, "update rawlp.s set msg = msg || ' again'");

        TransformProject project = builder.build();
        assertThat(project.sql()).anySatisfy(s -> assertThat(s).endsWith("\nand (id != 2)"))
                .anySatisfy(s -> assertThat(s).contains("\non (DBT_INTERNAL_DEST.id != 2) and"));
        project.run().assertSucceeded();

        for (String t : new String[] {"lp.di", "lp.mg"}) {
            assertThatTable(ds, t).containsExactlyInAnyOrder(row(1, "hello again"), row(2, "goodbye"),
                    row(2, "goodbye again"), row(3, "hey"));
        }
        assertThatThrownBy(() -> TransformProject.builder(ds).model("lp.both", "{{ config(materialized='incremental',"
                + " unique_key='id',\n predicates=['id > 1'], incremental_predicates=['id > 2']) }}\nselect 1 as id")
                .build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model lp.both line 1: predicates and incremental_predicates cannot both be set (predicates is"
                        + " dbt's older name of incremental_predicates, and dbt would use it and ignore the other: keep"
                        + " one)");
        assertThatThrownBy(() -> TransformProject.builder(ds).model("lp.append", "{{ config(materialized='incremental',"
                + " predicates=['id > 2']) }}\nselect 1 as id").build())
                .isInstanceOf(BadInputException.class)
                .hasMessage("model lp.append line 1: predicates apply only to incremental_strategy='delete+insert'"
                        + " or 'merge' (append deletes and matches nothing)");
    }
}
