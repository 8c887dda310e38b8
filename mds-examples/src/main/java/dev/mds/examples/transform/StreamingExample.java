package dev.mds.examples.transform;

import dev.mds.connector.csv.CsvSource;
import dev.mds.connector.json.JsonSource;
import dev.mds.core.ProgressListener;
import dev.mds.core.Sql;
import dev.mds.examples.Tables;
import dev.mds.load.MergeLoader;
import dev.mds.load.SyncMode;
import dev.mds.quality.QualityReport;
import dev.mds.quality.QualitySuite;
import dev.mds.quality.Threshold;
import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestDatabase;
import dev.mds.transform.RunResults;
import dev.mds.transform.Select;
import dev.mds.transform.TransformProject;
import java.sql.Connection;
import javax.sql.DataSource;

/**
 * The streaming app's pipeline (viniciusgalvaoia/opensource-dataplatform: movies, users and 9,652 streams of
 * December 2021 as CSV): the three files are read by {@link CsvSource} (types inferred, the streams' {@code +0100}
 * timestamps as timestamptz) and merged into {@code raw} by {@link MergeLoader}, and the vendor's books, reviews
 * and authors (JSON arrays of nested objects) are read by {@link JsonSource} into {@code vendor} (the reviews' and
 * authors' objects flattened into columns, their arrays kept as jsonb);
 * mds-transform then builds (over an
 * ephemeral staging model, inlined as a CTE) a per-movie table, an incremental daily table, a snapshot of the users
 * and the books' ratings (the reviews' book arrays unnested), and answers the app's own questions as its dbt project's
 * trusted models do (average streaming hours, median stream size, users hit by the Unforgiven outage of 25 December,
 * users who watched half a movie in the last week, streamed movies based on books, and those of books by Singaporean
 * authors; the vendor's capitalised titles compared in capitals, and the percentage in decimals where the project's
 * integer division gives 0); mds-quality checks the
 * raw tables (keys, relationships, stream times). Then the sources change as a nightly load would see them: a
 * user's surname changes and a new day of streams arrives. The second run adds that day to the incremental table
 * without rebuilding it, and the snapshot keeps both versions of the user.
 * Run it with
 * {@code ./mvnw -q -DskipTests package && java -cp mds-examples/target/mds-examples.jar dev.mds.examples.transform.StreamingExample}.
 */
public final class StreamingExample {
    private StreamingExample() {
    }

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start();
             TestDatabase warehouse = server.createDatabase("warehouse")) {
            DataSource ds = warehouse.dataSource();

            Tables.step("1. load the CSV files into raw", System.out);
            load(ds, "movies.csv", "raw.movies", "title");
            load(ds, "users.csv", "raw.users", "email");
            load(ds, "streams.csv", "raw.streams", "movie_title", "user_email", "start_at");
            loadJson(ds, "books.json", "vendor.books", false);
            loadJson(ds, "reviews.json", "vendor.reviews", true);   // rating.rate becomes the column rating__rate
            loadJson(ds, "authors.json", "vendor.authors", true);   // metadata.name becomes metadata__name

            Tables.step("2. quality checks on raw", System.out);
            QualityReport report = checks(ds);
            System.out.println(report.toConsoleTable());
            report.assertPassed();

            Tables.step("3. models", System.out);
            TransformProject project = project(ds);
            String movieStats = project.sql(Select.models("marts.movie_stats")).stream()
                    .filter(q -> q.contains("__dbt__cte__")).findFirst().orElseThrow();   // the ephemeral model inlined
            System.out.println("  marts.movie_stats, as it runs (first lines):");
            movieStats.lines().limit(4).forEach(line -> System.out.println("    " + line));
            RunResults first = project.run();
            System.out.println(first);
            first.assertSucceeded();
            Tables.query(ds, "most watched movies", """
                    select title, streams, viewers, watched_hours, avg_completion_pct
                    from marts.movie_stats order by streams desc, title limit 5""", System.out);
            Tables.query(ds, "last days", "select * from marts.daily_streams order by day desc limit 3", System.out);
            Tables.query(ds, "most reviewed books", """
                    select book, author, reviews, avg_rate from marts.book_ratings
                    order by reviews desc, book limit 3""", System.out);
            Tables.query(ds, "the app's questions (its trusted models)", """
                    select (select round(average_streaming_duration, 2) from trusted.average_streaming_duration)
                            as avg_hours,
                        (select round(median_size_gb::numeric, 3) from trusted.median_streaming_size) as median_gb,
                        (select total_users_affected from trusted.users_affected) as unforgiven_outage_users,
                        (select users from trusted.users_watched_50_perc) as half_watched_last_week,
                        (select total_streamed_movies_based_on_books || ' of ' || total_streamed_movies || ' ('
                            || percentage_of_streamed_movies_based_on_books || '%)' from trusted.movies_based_on_books)
                            as streamed_movies_from_books,
                        (select movies_based_on_books_written_by_singaporeans
                            from trusted.movies_based_on_books_by_singaporeans) as from_books_by_singaporeans""", System.out);

            Tables.step("4. the sources change: a user's surname, and the streams of 2021-12-31", System.out);
            try (Connection c = ds.getConnection()) {
                Sql.execute(c, "update raw.users set last_name = 'Kirlin-Conn' where email = 'karine@bode-rogahn.org'");
                Sql.execute(c, """
                        insert into raw.streams (movie_title, user_email, size_mb, start_at, end_at)
                        select movie_title, user_email, size_mb, start_at + interval '1 day', end_at + interval '1 day'
                        from raw.streams where (start_at at time zone interval '+01:00')::date = date '2021-12-30'""");
            }
            RunResults second = project.run();
            System.out.println(second);
            second.assertSucceeded();
            Tables.query(ds, "last days", "select * from marts.daily_streams order by day desc limit 3", System.out);
            Tables.query(ds, "snapshots.users for karine@bode-rogahn.org", """
                    select first_name, last_name, dbt_valid_to is null as current
                    from snapshots.users where email = 'karine@bode-rogahn.org' order by dbt_valid_from""", System.out);
        }
    }

    static void load(DataSource ds, String file, String table, String... key) throws Exception {
        MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.MERGE).key(key).build();
        try (CsvSource csv = CsvSource.builder().path(SeedData.file("004-streaming-app/" + file)).build()) {
            csv.batches().forEach(batch -> System.out.println("  " + file + ": " + loader.load(batch)));
        }
    }

    /**
     * A JSON array of objects: one column per top-level key, types inferred, nested values as jsonb; with
     * {@code flatten}, nested objects' keys are columns of their own ({@code rating__rate}), arrays stay jsonb.
     */
    static void loadJson(DataSource ds, String file, String table, boolean flatten) {
        MergeLoader loader = MergeLoader.into(ds, table).mode(SyncMode.OVERWRITE).build();
        JsonSource.Builder source = JsonSource.builder().path(SeedData.file("004-streaming-app/" + file));
        try (JsonSource json = (flatten ? source.flatten("__") : source).build()) {
            System.out.println("  " + file + ": " + json.schema() + " -> "
                    + loader.loadAll(json.batches(), 1, ProgressListener.NONE));
        }
    }

    private static QualityReport checks(DataSource ds) {
        return QualitySuite.on(ds)
                .table("raw.movies", t -> t.key("title").notNull("title", "duration_mins").unique("title")
                        .range("duration_mins", 1, null))
                .table("raw.users", t -> t.key("email").notNull("email").unique("email")
                        .matches("email", "^[^@]+@[^@]+$"))
                .table("raw.streams", t -> t.key("movie_title", "user_email", "start_at")
                        .notNull("movie_title", "user_email", "start_at", "end_at")
                        .relationships("user_email", "raw.users", "email")
                        .relationships("movie_title", "raw.movies", "title")
                        .expression("ends_after_start", "end_at >= start_at")
                        .expression("under_a_day", "end_at - start_at < interval '1 day'").threshold(Threshold.percent(10)).warn())
                .run();
    }

    /**
     * The models: the streams' staging model (ephemeral: never built, inlined as a CTE where it is referred to), the
     * per-movie table, the daily table (the app's days, its times being all +0100; incremental: a later run recomputes
     * only the days from the last stored one on, merged by day) and the users' history (a check snapshot of their
     * names).
     */
    static TransformProject project(DataSource ds) {
        return TransformProject.builder(ds)
                .sourceSchema("app", "raw")
                .sourceSchema("vendor", "vendor")
                // write-audit-publish: checked in the model's transaction; a failing check keeps the old table
                .audit("marts.movie_stats", (connection, relation) -> QualitySuite.on(ds)
                        .table(relation.toString(), t -> t.notNull("title").unique("title")
                                .range("avg_completion_pct", 0, 100))
                        .run(connection).assertPassed())
                .model("staging.stg_streams", """
                        {{ config(materialized='ephemeral') }}
                        select movie_title, user_email, size_mb, start_at, end_at,
                            extract(epoch from end_at - start_at) / 60 as watched_mins,
                            (start_at at time zone interval '+01:00')::date as day   -- the app's day: its times are +0100
                        from {{ source('app', 'streams') }}""")
                .model("marts.movie_stats", """
                        {{ config(materialized='table') }}
                        select m.title, count(*) as streams, count(distinct s.user_email) as viewers,
                            round(sum(s.watched_mins)::numeric / 60, 1) as watched_hours,
                            round(avg(least(s.watched_mins / m.duration_mins, 1))::numeric * 100, 1) as avg_completion_pct
                        from {{ ref('staging.stg_streams') }} s
                        join {{ source('app', 'movies') }} m on m.title = s.movie_title
                        group by m.title""")
                .model("marts.daily_streams", """
                        {{ config(materialized='incremental', unique_key='day', incremental_strategy='merge') }}
                        select day, count(*) as streams, count(distinct user_email) as viewers,
                            round(sum(size_mb)::numeric / 1024, 1) as gb_streamed
                        from {{ ref('staging.stg_streams') }}
                        {% if is_incremental() %}
                        where day >= (select max(day) from {{ this }})
                        {% endif %}
                        group by day""")
                .model("marts.book_ratings", """
                        {{ config(materialized='table') }}
                        select b.name as book, b.author, count(*) as reviews,
                            round(avg(r.rating__rate), 2) as avg_rate
                        from {{ source('vendor', 'reviews') }} r
                        cross join lateral jsonb_array_elements(r.books) as reviewed
                        join {{ source('vendor', 'books') }} b on upper(b.name) = reviewed -> 'metadata' ->> 'title'
                        group by b.name, b.author""")
                // the app's own questions: its dbt project's trusted models, one answer each
                .model("trusted.average_streaming_duration", """
                        {{ config(materialized='table') }}
                        select avg(trunc(extract(epoch from end_at - start_at) / 3600)) as average_streaming_duration
                        from {{ ref('staging.stg_streams') }}""")
                .model("trusted.median_streaming_size", """
                        {{ config(materialized='table') }}
                        select percentile_cont(0.5) within group (order by size_mb / 1024) as median_size_gb
                        from {{ ref('staging.stg_streams') }}""")
                .model("trusted.users_affected", """
                        {{ config(materialized='table') }}
                        select count(distinct user_email) as total_users_affected
                        from {{ ref('staging.stg_streams') }}
                        where movie_title = 'Unforgiven'
                            and (start_at between timestamptz '2021-12-25 07:00:00+01' and timestamptz '2021-12-25 12:00:00+01'
                                or end_at between timestamptz '2021-12-25 07:00:00+01' and timestamptz '2021-12-25 12:00:00+01')""")
                .model("trusted.users_watched_50_perc", """
                        {{ config(materialized='table') }}
                        select count(distinct s.user_email) as users
                        from {{ ref('staging.stg_streams') }} s
                        join {{ source('app', 'movies') }} m on s.movie_title = m.title
                            and s.start_at >= timestamptz '2021-12-31 23:59:59+01' - interval '7 days'
                            and trunc(s.watched_mins) >= m.duration_mins / 2""")
                .model("trusted.movies_based_on_books", """
                        {{ config(materialized='table') }}
                        select count(*) as total_streamed_movies, count(b.movie_title) as total_streamed_movies_based_on_books,
                            round(100.0 * count(b.movie_title) / count(*), 2) as percentage_of_streamed_movies_based_on_books
                        from (select distinct movie_title from {{ ref('staging.stg_streams') }}) s
                        left join (
                            select distinct (select upper(e ->> 'title') from jsonb_array_elements(r.movies)
                                    with ordinality as m(e, n) where e ->> 'title' <> 'end' order by n limit 1) as movie_title
                            from {{ source('vendor', 'reviews') }} r) b on upper(s.movie_title) = b.movie_title""")
                // the project's README version of it: titles compared in lower case, an author's nationality the
                // first one with a slug (its vendor_authors.sql), a review's book its first, its movie the first not 'end'
                .model("trusted.movies_based_on_books_by_singaporeans", """
                        {{ config(materialized='table') }}
                        with movies_based_on_books as (
                            select distinct lower(r.books -> 0 -> 'metadata' ->> 'title') as book_title,
                                lower((select e ->> 'title' from jsonb_array_elements(r.movies) with ordinality as m(e, n)
                                    where e ->> 'title' <> 'end' order by n limit 1)) as movie_title
                            from {{ source('vendor', 'reviews') }} r),
                        streamed_movies as (select distinct lower(movie_title) as movie_title from {{ ref('staging.stg_streams') }}),
                        authors as (
                            select a.metadata__name as name,
                                (select e ->> 'slug' from jsonb_array_elements(a.nationalities) with ordinality as x(e, n)
                                    where e ->> 'slug' is not null order by n limit 1) as nationality_slug
                            from {{ source('vendor', 'authors') }} a)
                        select count(1) as movies_based_on_books_written_by_singaporeans
                        from streamed_movies s
                        join movies_based_on_books m on s.movie_title = m.movie_title
                        join {{ source('vendor', 'books') }} b on m.book_title = lower(b.name)
                        join authors a on lower(b.author) = lower(a.name) and a.nationality_slug = 'singaporeans'""")
                .model("snapshots.users", """
                        {{ config(materialized='snapshot', unique_key='email', strategy='check',
                                  check_cols=['first_name', 'last_name']) }}
                        select email, first_name, last_name from {{ source('app', 'users') }}""")
                .build();
    }

}
