package dev.mds.examples.transform;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.testing.MdsPostgres;
import dev.mds.testing.SeedData;
import dev.mds.testing.TestSql;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The streaming app's own questions (its dbt project's trusted models) and the example's marts, as StreamingExample's
 * models give them, against the answers computed here from the seed files (004-streaming-app) with plain Java.
 */
@MdsPostgres
class StreamingQuestionsTest {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ", Locale.ROOT);

    record Stream(String movie, String user, double sizeMb, OffsetDateTime start, OffsetDateTime end) {
    }

    static List<Stream> streams;
    static Map<String, Long> durationMins;

    @BeforeAll
    static void buildTheModels(DataSource ds) throws Exception {
        StreamingExample.load(ds, "movies.csv", "raw.movies", "title");
        StreamingExample.load(ds, "users.csv", "raw.users", "email");
        StreamingExample.load(ds, "streams.csv", "raw.streams", "movie_title", "user_email", "start_at");
        StreamingExample.loadJson(ds, "books.json", "vendor.books", false);
        StreamingExample.loadJson(ds, "reviews.json", "vendor.reviews", true);
        StreamingExample.loadJson(ds, "authors.json", "vendor.authors", true);
        StreamingExample.project(ds).run().assertSucceeded();

        streams = new ArrayList<>();
        for (List<String> f : csv("streams.csv")) {
            streams.add(new Stream(f.get(0), f.get(1), Double.parseDouble(f.get(2)), OffsetDateTime.parse(f.get(3), TIME),
                    OffsetDateTime.parse(f.get(4), TIME)));
        }
        assertThat(streams).hasSize(9_652);   // SOURCE.md
        durationMins = new HashMap<>();
        for (List<String> f : csv("movies.csv")) {
            durationMins.put(f.get(0), Long.parseLong(f.get(1)));
        }
    }

    @Test
    void averageStreamingDurationInWholeHours(DataSource ds) {
        // avarage_streaming_duration.sql: AVG(TIMESTAMPDIFF(HOUR, start_at, end_at)), whole hours
        BigDecimal sum = BigDecimal.ZERO;
        for (Stream s : streams) {
            sum = sum.add(BigDecimal.valueOf(Duration.between(s.start(), s.end()).toHours()));
        }
        BigDecimal expected = sum.divide(BigDecimal.valueOf(streams.size()), 10, RoundingMode.HALF_UP);
        assertThat(new BigDecimal(value(ds, "select average_streaming_duration from trusted.average_streaming_duration"))
                .setScale(10, RoundingMode.HALF_UP)).isEqualTo(expected);
    }

    @Test
    void medianStreamingSizeInGb(DataSource ds) {
        // median_streaming_size.sql: the middle size_mb / 1024 (the mean of the two middle ones for an even count)
        double[] gb = streams.stream().mapToDouble(s -> s.sizeMb() / 1024).sorted().toArray();
        double expected = gb.length % 2 == 1 ? gb[gb.length / 2] : (gb[gb.length / 2 - 1] + gb[gb.length / 2]) / 2;
        assertThat(Double.parseDouble(value(ds, "select median_size_gb from trusted.median_streaming_size")))
                .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void usersAffectedByTheUnforgivenOutage(DataSource ds) {
        // users_affected.sql: Unforgiven streams starting or ending between 07:00 and 12:00 on 25 December (the app's
        // time, +01:00)
        OffsetDateTime from = OffsetDateTime.parse("2021-12-25T07:00:00+01:00");
        OffsetDateTime to = OffsetDateTime.parse("2021-12-25T12:00:00+01:00");
        Set<String> users = new HashSet<>();
        for (Stream s : streams) {
            if (s.movie().equals("Unforgiven") && (within(s.start(), from, to) || within(s.end(), from, to))) {
                users.add(s.user());
            }
        }
        assertThat(users).isNotEmpty();
        assertThat(value(ds, "select total_users_affected from trusted.users_affected")).isEqualTo(String.valueOf(users.size()));
    }

    @Test
    void usersWhoWatchedAtLeastHalfAMovieInTheLastWeek(DataSource ds) {
        // users_watched_50_perc.sql: streams from 2021-12-31 23:59:59 minus 7 days on, whole minutes watched at least
        // duration_mins / 2 (integer division, as for the project's integer column)
        OffsetDateTime since = OffsetDateTime.parse("2021-12-24T23:59:59+01:00");
        Set<String> users = new HashSet<>();
        for (Stream s : streams) {
            Long duration = durationMins.get(s.movie());
            if (duration != null && !s.start().isBefore(since)
                    && Duration.between(s.start(), s.end()).toMinutes() >= duration / 2) {
                users.add(s.user());
            }
        }
        assertThat(users).isNotEmpty();
        assertThat(value(ds, "select users from trusted.users_watched_50_perc")).isEqualTo(String.valueOf(users.size()));
    }

    @Test
    void streamedMoviesBasedOnBooks(DataSource ds) throws Exception {
        // moves_based_on_books.sql: the streamed titles that a review names as its (first, not 'end') movie; the vendor
        // writes titles in capitals, the app does not, so they are compared in capitals
        String reviews = Files.readString(SeedData.file("004-streaming-app/reviews.json"), StandardCharsets.UTF_8);
        Set<String> basedOnBooks = new HashSet<>();
        Matcher movies = Pattern.compile("\"movies\": *\\[(.*?)\\]").matcher(reviews);
        Pattern title = Pattern.compile("\"title\": *\"((?:[^\"\\\\]|\\\\.)*)\"");
        while (movies.find()) {
            Matcher t = title.matcher(movies.group(1));
            while (t.find()) {
                if (!t.group(1).equals("end")) {
                    basedOnBooks.add(t.group(1).toUpperCase(Locale.ROOT));
                    break;
                }
            }
        }
        Set<String> streamed = new HashSet<>();
        streams.forEach(s -> streamed.add(s.movie()));
        long based = streamed.stream().filter(m -> basedOnBooks.contains(m.toUpperCase(Locale.ROOT))).count();
        BigDecimal percent = BigDecimal.valueOf(100 * based).divide(BigDecimal.valueOf(streamed.size()), 2, RoundingMode.HALF_UP);
        assertThat(TestSql.strings(ds, "select concat_ws(' ', total_streamed_movies, total_streamed_movies_based_on_books,"
                + " percentage_of_streamed_movies_based_on_books) from trusted.movies_based_on_books"))
                .containsExactly(streamed.size() + " " + based + " " + percent);
    }

    @Test
    void streamedMoviesBasedOnBooksBySingaporeanAuthors(DataSource ds) throws Exception {
        // movies_based_on_books_by_singaporeans.sql as the project's README gives it: the distinct (movie, book) pairs
        // of the reviews (a review's first book, its first movie not 'end'), of movies streamed, joined with the books
        // by name and with the authors by name (in lower case), the author's nationality the first one with a slug
        // (vendor_authors.sql), counted by row; the project's README answers 3. Read here with Jackson, not mds.
        ObjectMapper json = new ObjectMapper();
        Set<String> streamed = new HashSet<>();
        streams.forEach(s -> streamed.add(s.movie().toLowerCase(Locale.ROOT)));
        Set<List<String>> moviesFromBooks = new HashSet<>();
        for (JsonNode review : json.readTree(SeedData.file("004-streaming-app/reviews.json").toFile())) {
            String book = review.path("books").path(0).path("metadata").path("title").asText(null);
            String movie = null;
            for (JsonNode m : review.path("movies")) {
                if (!m.path("title").isNull() && !m.path("title").asText().equals("end")) {
                    movie = m.path("title").asText();
                    break;
                }
            }
            if (book != null && movie != null) {
                moviesFromBooks.add(List.of(movie.toLowerCase(Locale.ROOT), book.toLowerCase(Locale.ROOT)));
            }
        }
        Map<String, List<String>> slugsByAuthor = new HashMap<>();
        for (JsonNode author : json.readTree(SeedData.file("004-streaming-app/authors.json").toFile())) {
            String slug = null;
            for (JsonNode n : author.path("nationalities")) {
                if (n.hasNonNull("slug")) {
                    slug = n.get("slug").asText();
                    break;
                }
            }
            slugsByAuthor.computeIfAbsent(author.path("metadata").path("name").asText().toLowerCase(Locale.ROOT),
                    a -> new ArrayList<>()).add(String.valueOf(slug));
        }
        long count = 0;
        for (List<String> pair : moviesFromBooks) {
            if (!streamed.contains(pair.get(0))) {
                continue;
            }
            for (JsonNode book : json.readTree(SeedData.file("004-streaming-app/books.json").toFile())) {
                if (book.path("name").asText().toLowerCase(Locale.ROOT).equals(pair.get(1))) {
                    count += slugsByAuthor.getOrDefault(book.path("author").asText().toLowerCase(Locale.ROOT), List.of())
                            .stream().filter("singaporeans"::equals).count();
                }
            }
        }
        assertThat(count).isEqualTo(3);
        assertThat(value(ds, "select movies_based_on_books_written_by_singaporeans"
                + " from trusted.movies_based_on_books_by_singaporeans")).isEqualTo(String.valueOf(count));
    }

    @Test
    void dailyStreamsAndMovieStatsAreWhatTheStreamsFileGives(DataSource ds) {
        // marts.daily_streams: per day of the app (+01:00), streams, distinct viewers, GB streamed (one decimal)
        Map<String, List<Stream>> byDay = new java.util.TreeMap<>();
        for (Stream s : streams) {
            byDay.computeIfAbsent(s.start().withOffsetSameInstant(java.time.ZoneOffset.ofHours(1)).toLocalDate().toString(),
                    d -> new ArrayList<>()).add(s);
        }
        List<String> days = new ArrayList<>();
        byDay.forEach((day, list) -> days.add(day + " " + list.size() + " " + list.stream().map(Stream::user).distinct().count()
                + " " + BigDecimal.valueOf(list.stream().mapToDouble(Stream::sizeMb).sum() / 1024).setScale(1, RoundingMode.HALF_UP)));
        assertThat(TestSql.strings(ds, "select concat_ws(' ', day, streams, viewers, gb_streamed) from marts.daily_streams order by day"))
                .containsExactlyElementsOf(days);

        // marts.movie_stats: per movie of the catalogue, streams and distinct viewers
        Map<String, List<Stream>> byMovie = new java.util.TreeMap<>();
        for (Stream s : streams) {
            if (durationMins.containsKey(s.movie())) {
                byMovie.computeIfAbsent(s.movie(), m -> new ArrayList<>()).add(s);
            }
        }
        List<String> movies = new ArrayList<>();
        byMovie.forEach((movie, list) -> movies.add(movie + " | " + list.size() + " " + list.stream().map(Stream::user).distinct().count()));
        assertThat(TestSql.strings(ds, "select title || ' | ' || streams || ' ' || viewers from marts.movie_stats"))
                .containsExactlyInAnyOrderElementsOf(movies);
    }

    private static boolean within(OffsetDateTime t, OffsetDateTime from, OffsetDateTime to) {
        return !t.isBefore(from) && !t.isAfter(to);
    }

    private static String value(DataSource ds, String sql) {
        List<String> rows = TestSql.strings(ds, sql);
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    /** The data lines of a seed CSV, fields unquoted ("a, b" and doubled quotes). */
    private static List<List<String>> csv(String file) throws Exception {
        List<String> lines = Files.readAllLines(SeedData.file("004-streaming-app/" + file), StandardCharsets.UTF_8);
        List<List<String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> fields = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = !quoted;
                } else if (c == ',' && !quoted) {
                    fields.add(f.toString());
                    f.setLength(0);
                } else {
                    f.append(c);
                }
            }
            fields.add(f.toString());
            rows.add(fields);
        }
        return rows;
    }
}
