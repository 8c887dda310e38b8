package dev.mds.connector.sheets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.SourcePosition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SheetsSource against the fake Google API: batching, rows, bad input, HTTP errors, retries, tokens, positions. */
class SheetsSourceTest {
    private static final String ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";

    @TempDir
    Path dir;
    private MutableClock clock;
    private FakeGoogle google;
    private Path keyFile;

    @BeforeEach
    void start() throws IOException {
        clock = new MutableClock(Instant.now());
        google = new FakeGoogle(clock);
        keyFile = google.writeKeyFile(dir);
    }

    @AfterEach
    void stop() {
        google.close();
    }

    private SheetsSource.Builder source() {
        return SheetsSource.builder().spreadsheet(ID).credentials(SheetsCredentials.serviceAccount(keyFile))
                .endpoint(google.endpoint()).clock(clock).retries(3, Duration.ofMillis(1), Duration.ofMillis(5));
    }

    private static List<String> r(String... cells) {
        return Arrays.asList(cells);
    }

    /** A header {@code id,name} and rows 1..n. */
    private static List<List<String>> numbered(int n) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(r("id", "name"));
        for (int i = 1; i <= n; i++) {
            rows.add(r(String.valueOf(i), "name " + i));
        }
        return rows;
    }

    private static List<List<Object>> values(Stream<RecordBatch> batches) {
        return batches.flatMap(b -> b.records().stream()).map(Record::values).map(v -> (List<Object>) new ArrayList<>(v)).toList();
    }

    @Test
    void readsInBatchesOfBatchRowsOneRequestEachUpToTheGridsLastRow() {
        google.sheet(ID, "pricing", 30, numbered(25));
        List<RecordBatch> batches = source().batchRows(10).build().batches("pricing").toList();

        assertThat(google.ranges()).containsExactly("'pricing'!1:11", "'pricing'!12:21", "'pricing'!22:30");
        assertThat(google.count("/v4/spreadsheets/" + ID + "/values/")).isEqualTo(3);
        assertThat(batches).extracting(RecordBatch::size).containsExactly(10, 10, 5);
        assertThat(batches.get(0).records().get(0).values()).containsExactly("1", "name 1");
        assertThat(batches.get(2).records().get(4).values()).containsExactly("25", "name 25");
        assertThat(batches).extracting(b -> b.position().orElseThrow().values().get("next_row"))
                .containsExactly(12L, 22L, 31L);
        assertThat(batches.get(0).schema().names()).containsExactly("id", "name");
        // every request was authorised with the one token
        assertThat(google.requests()).filteredOn(q -> q.path().startsWith("/v4/"))
                .allSatisfy(q -> assertThat(q.authorization()).isEqualTo("Bearer ya29.test-token-1"));
    }

    @Test
    void raggedRowsArePaddedBlankCellsAreNullAndEmptyRowsSkipped() {
        google.sheet(ID, "people", 1000, List.of(
                r(" id ", "name", "city "),
                r("1", "Ada", "London"),
                r("2"),                       // Google omits the trailing empty cells
                r(),                          // an empty row in the middle
                r("", "  ", ""),              // blank cells only: skipped as Airbyte does
                r("3", "", "Zürich"),         // an empty cell in the middle
                r("4", " Bob ", "\u00a0"),    // values are not trimmed; a no-break space alone is blank
                r(), r()));                   // trailing empty rows (omitted by the server)

        SheetsSource source = source().build();
        assertThat(source.schema("people").names()).containsExactly("id", "name", "city");
        assertThat(values(source.batches("people"))).containsExactly(
                Arrays.asList("1", "Ada", "London"),
                Arrays.asList("2", null, null),
                Arrays.asList("3", null, "Zürich"),
                Arrays.asList("4", " Bob ", null));
    }

    @Test
    void aBlankHeaderCellWithoutValuesBelowLeavesItsColumnOut() {
        google.sheet(ID, "s", 100, List.of(r("a", "", "c"), r("1", "", "3"), r("4", " ", "6")));
        SheetsSource source = source().build();
        assertThat(source.schema("s").names()).containsExactly("a", "c");
        assertThat(values(source.batches("s"))).containsExactly(List.of("1", "3"), List.of("4", "6"));
    }

    @Test
    void aSheetWithAHeaderAndNoRowsGivesOneEmptyBatchWithItsSchema() {
        google.sheet(ID, "empty", 1000, List.of(r("a", "b")));
        List<RecordBatch> batches = source().build().batches("empty").toList();
        assertThat(batches).hasSize(1);
        assertThat(batches.get(0).isEmpty()).isTrue();
        assertThat(batches.get(0).schema().names()).containsExactly("a", "b");
        assertThat(batches.get(0).position().orElseThrow().values()).containsEntry("next_row", 1001L);
    }

    @Test
    void aValueBeyondTheHeaderIsBadInputAtItsCell() {
        google.sheet(ID, "pricing", 1000, List.of(
                r("package", "valid_from", "valid_until", "currency", "price"),
                r("starter", "2022-01-01", "", "eur", "7"),
                r("a", "b", "c", "d", "e"), r("a", "b", "c", "d", "e"), r("a", "b", "c", "d", "e"),
                r("medium", "2022-01-01", "", "eur", "10", "oops")));
        assertThatThrownBy(() -> source().build().batches("pricing").toList())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("pricing!F6, near \"oops\": a value beyond the header")
                .hasMessageContaining("ends at column E")
                .satisfies(e -> assertThat(((BadInputException) e).location().source()).isEqualTo("pricing!F6"));
    }

    @Test
    void aValueUnderABlankHeaderCellIsBadInputAtItsCell() {
        google.sheet(ID, "pricing", 1000, List.of(r("a", "b", " ", "d"), r("1", "2", "", "4"),
                r("1", "2", "", "4"), r("1", "2", "", "4"), r("1", "2", "x", "4")));
        assertThatThrownBy(() -> source().build().batches("pricing").toList())
                .isInstanceOf(BadInputException.class)
                .hasMessage("pricing!C5, near \"x\": a value in a column without a header: C1 is empty; name the"
                        + " column there or clear the cell (spreadsheet " + ID + ")");
    }

    @Test
    void aRepeatedHeaderIsBadInputAtTheSecondOne() {
        google.sheet(ID, "pricing", 1000, List.of(r("package", "price", "currency", "price "), r("a", "1", "e", "2")));
        assertThatThrownBy(() -> source().build().batches("pricing"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("pricing!D1, column 'price', near \"price\": header 'price' repeats B1");
    }

    @Test
    void headersThatCollideAfterSqlSafeConversionAreBadInput() {
        google.sheet(ID, "pricing", 1000, List.of(r("Monthly Seat Price", "monthly_seat_price"), r("1", "2")));
        SheetsSource sqlSafe = source().columnNames(ColumnNames.SQL_SAFE).build();
        assertThatThrownBy(() -> sqlSafe.schema("pricing"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("pricing!B1")
                .hasMessageContaining("header \"monthly_seat_price\" and A1 \"Monthly Seat Price\" both become"
                        + " 'monthly_seat_price' as SQL-safe names");
        // without conversion they are two columns
        assertThat(source().build().schema("pricing").names()).containsExactly("Monthly Seat Price",
                "monthly_seat_price");
    }

    @Test
    void sqlSafeNamesFollowAirbytesNamesConversion() {
        google.sheet(ID, "s", 10, List.of(r("Monthly Seat Price", "1st Name", "Price (EUR)", "Größe", "camelCase",
                "valid_from")));
        assertThat(source().columnNames(ColumnNames.SQL_SAFE).build().schema("s").names()).containsExactly(
                "monthly_seat_price", "_1_st_name", "price_eur_", "grosse", "camel_case", "valid_from");
    }

    /**
     * Airbyte converts the header cell as the sheet shows it, untrimmed: white space around a name is a separator like
     * any other, so " Price" becomes _price and "Price " price_ (its names_conversion on the raw formattedValue). The
     * SQL-safe names must be those, or a model written against Airbyte's columns finds none; TRIMMED names stay trimmed.
     */
    @Test
    void sqlSafeNamesConvertTheHeaderAsTheSheetShowsItWithWhiteSpaceAroundAsAirbyteDoes() {
        FakeGoogle.Sheet sheet = google.sheet(ID, "s", 10, List.of(r(" Price", "Cost ", "Unit Price\u00a0",
                "  Name  ", "id"), r("1", "2", "3", "4", "5"), r("6", "7", "8", "9", "10")));
        SheetsSource sqlSafe = source().columnNames(ColumnNames.SQL_SAFE).batchRows(1).build();
        assertThat(sqlSafe.schema("s").names()).containsExactly("_price", "cost_", "unit_price_", "_name_", "id");
        assertThat(source().build().schema("s").names()).containsExactly("Price", "Cost", "Unit Price", "Name", "id");

        // two columns for Airbyte, so two here
        google.sheet(ID, "both", 10, List.of(r("Price", "Price "), r("1", "2")));
        assertThat(values(sqlSafe.batches("both"))).containsExactly(List.of("1", "2"));
        assertThat(sqlSafe.schema("both").names()).containsExactly("price", "price_");

        // the names follow the white space, so a position does not resume once it changed
        SourcePosition p = sqlSafe.batches("s").findFirst().orElseThrow().position().orElseThrow();
        assertThat(values(sqlSafe.batches("s", p))).containsExactly(List.of("6", "7", "8", "9", "10"));
        sheet.rows.set(0, r("Price", "Cost ", "Unit Price\u00a0", "  Name  ", "id"));
        assertThatThrownBy(() -> sqlSafe.batches("s", p)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("the header row changed since the position was taken")
                .hasMessageContaining("now [price, cost_, unit_price_, _name_, id]");
    }

    /**
     * A tab without any value (a new, empty tab) gives no batch, as Airbyte skips it, so a loop over every tab goes on;
     * an empty header over values stays bad input, also when the values lie beyond the first request's rows.
     */
    @Test
    void aSheetWithoutAnyValueGivesNoBatchAndALoopOverEveryTabGoesOn() {
        google.sheet(ID, "first", 100, List.of(r("a"), r("1")));
        google.sheet(ID, "empty", 1000, List.of());
        google.sheet(ID, "blanks", 1000, List.of(r(), r("", " "), r()));
        google.sheet(ID, "last", 100, List.of(r("b"), r("2")));
        SheetsSource source = source().batchRows(2).build();
        List<String> read = new ArrayList<>();
        for (String sheet : source.sheets()) {
            source.batches(sheet).forEach(b -> b.records().forEach(r -> read.add(sheet + "=" + r.get(0))));
        }
        assertThat(read).containsExactly("first=1", "last=2");
        for (ValueRender render : ValueRender.values()) {
            assertThat(source().valueRender(render).build().batches("empty").toList()).isEmpty();
        }

        // row 1 empty, a value past the first request's rows (batchRows 2: rows 1 to 3): the header is what is missing
        List<List<String>> far = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            far.add(r());
        }
        far.add(r("late"));
        google.sheet(ID, "far", 100, far);
        for (ValueRender render : ValueRender.values()) {
            assertThatThrownBy(() -> source().batchRows(2).valueRender(render).build().batches("far"))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith("far!1:1: the header row is empty");
        }
    }

    /**
     * Rows read as formulas or unformatted values come after a header request of row 1 alone; when row 1 is empty, the
     * check for a sheet without any value asks rows of at most batchRows first, as every read does, not the whole rest
     * of the grid at once (a big sheet whose header is in row 2 was one request of every row, which can outlast the
     * 180 s Google gives a request, only to fail on the empty header).
     */
    @Test
    void anEmptyHeaderOverRowsIsFoundWithoutAskingMoreThanBatchRowsRows() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(r());
        rows.addAll(numbered(30));                          // the header and rows in 2..32, under an empty row 1
        google.sheet(ID, "late", 40, rows);
        for (ValueRender render : List.of(ValueRender.UNFORMATTED, ValueRender.FORMULA)) {
            google.clearRequests();
            assertThatThrownBy(() -> source().batchRows(10).valueRender(render).build().batches("late"))
                    .isInstanceOf(BadInputException.class).hasMessageStartingWith("late!1:1: the header row is empty");
            assertThat(google.ranges()).as(render.name()).containsExactly("'late'!1:1", "'late'!2:11");
        }
        // an empty tab still gives no batch: the first rows, then the rest of the grid in one request
        google.sheet(ID, "empty", 40, List.of());
        google.clearRequests();
        assertThat(source().batchRows(10).valueRender(ValueRender.UNFORMATTED).build().batches("empty")).isEmpty();
        assertThat(google.ranges()).containsExactly("'empty'!1:1", "'empty'!2:11", "'empty'!12:40");
    }

    @Test
    void anEmptyHeaderRowIsBadInput() {
        google.sheet(ID, "blank", 1000, List.of(r(), r("1", "2")));
        assertThatThrownBy(() -> source().build().batches("blank"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("blank!1:1: the header row is empty");
    }

    @Test
    void sheetNamesThatNeedQuotesAreQuotedInRangesAndMessages() {
        google.sheet(ID, "Q1 'plan'", 100, List.of(r("a"), r("1", "x")));
        assertThatThrownBy(() -> source().build().batches("Q1 'plan'").toList())
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("'Q1 ''plan'''!B2, near \"x\"");
        assertThat(google.ranges()).containsExactly("'Q1 ''plan'''!1:100");
    }

    @Test
    void anUnknownSheetIsAnErrorListingTheSheetsThatExist() {
        google.sheet(ID, "pricing", 10, numbered(1));
        google.sheet(ID, "users", 10, numbered(1));
        google.chart(ID, "chart");
        SheetsSource source = source().build();
        assertThatThrownBy(() -> source.batches("pricng"))
                .isInstanceOf(SheetsException.class)
                .hasMessage("spreadsheet " + ID + " has no sheet 'pricng'; its sheets are: 'pricing', 'users', 'chart'");
        assertThat(source.sheets()).containsExactly("pricing", "users");   // the chart sheet is no stream
        assertThat(source().sheet("users").build().sheets()).containsExactly("users");
        assertThatThrownBy(() -> source().sheet("nope").build().sheets()).hasMessageContaining("no sheet 'nope'");
        assertThatThrownBy(() -> source.batches("chart")).hasMessageContaining("is a OBJECT sheet (a chart)");
    }

    @Test
    void permissionDeniedSaysToShareTheSpreadsheetWithTheServiceAccount() {
        google.sheet(ID, "pricing", 10, numbered(1));
        google.forbid(ID);
        assertThatThrownBy(() -> source().build().batches("pricing"))
                .isInstanceOf(SheetsException.class)
                .hasMessageContaining("permission denied (HTTP 403: The caller does not have permission")
                .hasMessageContaining("Share the spreadsheet with the service account " + FakeGoogle.EMAIL)
                .satisfies(e -> assertThat(((SheetsException) e).status()).hasValue(403))
                .satisfies(e -> assertThat(((SheetsException) e).attempts()).isEqualTo(1));
        assertThat(google.count("/v4/")).isEqualTo(1);   // not retried
    }

    @Test
    void notFoundNamesTheSpreadsheetId() {
        assertThatThrownBy(() -> source().build().sheets())
                .isInstanceOf(SheetsException.class)
                .hasMessage("reading the sheets of spreadsheet " + ID + ": spreadsheet " + ID + " not found (HTTP 404:"
                        + " Requested entity was not found. [NOT_FOUND]). Check the spreadsheet id or URL");
    }

    @Test
    void tooManyRequestsIsRetriedAfterRetryAfter() {
        google.sheet(ID, "pricing", 10, numbered(3));
        google.fail(q -> q.range() != null, 1, new FakeGoogle.Fault(429, Map.of("Retry-After", "1"),
                FakeGoogle.error(429, "Quota exceeded for quota metric 'Read requests'", "RESOURCE_EXHAUSTED")));
        List<RecordBatch> batches = source().build().batches("pricing").toList();

        assertThat(batches).hasSize(1);
        assertThat(batches.get(0).size()).isEqualTo(3);
        List<FakeGoogle.Request> reads = google.requests().stream().filter(q -> q.range() != null).toList();
        assertThat(reads).hasSize(2);
        // Retry-After: 1 was honoured over the 1 ms backoff (a lower bound: a slow machine only waits longer)
        assertThat(Duration.ofNanos(reads.get(1).nanos() - reads.get(0).nanos())).isGreaterThanOrEqualTo(
                Duration.ofMillis(990));
    }

    @Test
    void serverErrorsForeverGiveUpSayingHowManyAttempts() {
        google.sheet(ID, "pricing", 10, numbered(3));
        google.fail(q -> q.range() != null, 100, new FakeGoogle.Fault(503, Map.of(),
                FakeGoogle.error(503, "The service is currently unavailable.", "UNAVAILABLE")));
        assertThatThrownBy(() -> source().build().batches("pricing"))
                .isInstanceOf(SheetsException.class)
                .hasMessage("reading 'pricing'!1:10 of spreadsheet " + ID + ": gave up after 3 attempts, the last"
                        + " answered HTTP 503: The service is currently unavailable. [UNAVAILABLE]")
                .satisfies(e -> assertThat(((SheetsException) e).attempts()).isEqualTo(3))
                .satisfies(e -> assertThat(((SheetsException) e).status()).hasValue(503));
        assertThat(google.ranges()).hasSize(3);
    }

    @Test
    void anErrorInTheThirdBatchComesFromTheStreamAfterTwoWholeBatches() {
        List<List<String>> rows = numbered(30);
        rows.set(25, r("25", "name 25", "stray"));   // row 26, in the third request (rows 22..31)
        google.sheet(ID, "pricing", 40, rows);
        Iterator<RecordBatch> it = source().batchRows(10).build().batches("pricing").iterator();
        List<RecordBatch> got = new ArrayList<>();
        BadInputException e = null;
        try {
            while (it.hasNext()) {
                got.add(it.next());
            }
        } catch (BadInputException x) {
            e = x;
        }
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).startsWith("pricing!C26, near \"stray\"");
        assertThat(got).extracting(RecordBatch::size).containsExactly(10, 10);
        assertThat(got.get(1).records().get(9).values()).containsExactly("20", "name 20");
    }

    @Test
    void aServerErrorInTheThirdRequestComesFromTheStream() {
        google.sheet(ID, "pricing", 40, numbered(35));
        google.fail(q -> "'pricing'!22:31".equals(q.range()), 100, new FakeGoogle.Fault(500, Map.of(), ""));
        Stream<RecordBatch> stream = source().batchRows(10).build().batches("pricing");
        List<RecordBatch> got = new ArrayList<>();
        assertThatThrownBy(() -> stream.forEach(got::add)).isInstanceOf(SheetsException.class)
                .hasMessageContaining("'pricing'!22:31").hasMessageContaining("gave up after 3 attempts");
        assertThat(got).extracting(RecordBatch::size).containsExactly(10, 10);
    }

    @Test
    void anExpiredTokenIsReplacedBeforeTheNextRequest() {
        google.sheet(ID, "pricing", 10, numbered(3));
        SheetsSource source = source().build();
        source.batches("pricing").toList();
        assertThat(google.tokensIssued()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(50));      // still more than 5 minutes left: kept
        source.batches("pricing").toList();
        assertThat(google.tokensIssued()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(6));       // 4 minutes left: a new one first
        source.batches("pricing").toList();
        assertThat(google.tokensIssued()).isEqualTo(2);
        assertThat(google.requests().get(google.requests().size() - 1).authorization())
                .isEqualTo("Bearer ya29.test-token-2");
        assertThat(google.tokenRefusals()).isEmpty();
    }

    @Test
    void aRevokedTokenAnswered401IsReplacedAndTheRequestSentAgain() {
        google.sheet(ID, "pricing", 10, numbered(3));
        SheetsSource source = source().build();
        assertThat(source.sheets()).containsExactly("pricing");
        google.revokeTokens();
        google.clearRequests();
        assertThat(values(source.batches("pricing"))).hasSize(3);
        assertThat(google.tokensIssued()).isEqualTo(2);
        assertThat(google.requests()).extracting(FakeGoogle.Request::path)
                .containsExactly("/v4/spreadsheets/" + ID, "/token", "/v4/spreadsheets/" + ID,
                        "/v4/spreadsheets/" + ID + "/values/'pricing'!1:10");
    }

    @Test
    void aKeyTheServerDoesNotKnowIsRefusedWithGooglesReason() throws Exception {
        google.sheet(ID, "pricing", 10, numbered(3));
        SheetsSource source = source().credentials(SheetsCredentials.serviceAccount(google.writeForeignKeyFile(dir)))
                .build();
        assertThatThrownBy(source::sheets)
                .isInstanceOf(SheetsException.class)
                .hasMessageContaining("requesting an access token for service account " + FakeGoogle.EMAIL)
                .hasMessageContaining("HTTP 400: invalid_grant (Invalid JWT Signature.)");
        assertThat(google.tokenRefusals()).containsExactly("Invalid JWT Signature.");
    }

    @Test
    void anApiKeyIsSentAsTheKeyParameterAndNeverShownInMessages() {
        google.sheet(ID, "pricing", 10, numbered(2));
        SheetsSource source = source().credentials(SheetsCredentials.apiKey(FakeGoogle.API_KEY)).build();
        assertThat(values(source.batches("pricing"))).hasSize(2);
        assertThat(google.tokensIssued()).isZero();
        assertThat(google.requests()).allSatisfy(q -> {
            assertThat(q.query()).containsEntry("key", FakeGoogle.API_KEY);
            assertThat(q.authorization()).isNull();
        });
        google.forbid(ID);
        assertThatThrownBy(() -> source.batches("pricing"))
                .isInstanceOf(SheetsException.class)
                .hasMessageContaining("Anyone with the link")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(FakeGoogle.API_KEY));
        assertThat(SheetsCredentials.apiKey(FakeGoogle.API_KEY).toString()).doesNotContain(FakeGoogle.API_KEY);
    }

    @Test
    void aSpreadsheetUrlAndItsBareIdReadTheSameSpreadsheet() {
        for (String s : List.of(ID, " " + ID + " ", "https://docs.google.com/spreadsheets/d/" + ID + "/edit#gid=0",
                "https://docs.google.com/spreadsheets/d/" + ID, "https://docs.google.com/spreadsheets/u/1/d/" + ID
                        + "/edit?usp=sharing")) {
            assertThat(source().spreadsheet(s).build().spreadsheetId()).as(s).isEqualTo(ID);
        }
        assertThatThrownBy(() -> source().spreadsheet("https://docs.google.com/document/d/" + ID + "/edit"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a spreadsheet URL");
        assertThatThrownBy(() -> source().spreadsheet("my sheet"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a spreadsheet id");
    }

    @Test
    void resumingFromABatchsPositionGivesTheRestOfTheRead() {
        google.sheet(ID, "pricing", 40, numbered(35));
        SheetsSource source = source().batchRows(10).build();
        List<RecordBatch> all = source.batches("pricing").toList();
        SourcePosition after1 = SourcePosition.fromJson(all.get(0).position().orElseThrow().toJson());
        google.clearRequests();

        List<RecordBatch> rest = source.batches("pricing", after1).toList();
        assertThat(values(rest.stream())).isEqualTo(values(all.stream().skip(1)));
        // the header, the row of the last record read (still there: no row inserted or deleted above), the rest
        assertThat(google.ranges()).containsExactly("'pricing'!1:1", "'pricing'!11:11", "'pricing'!12:21",
                "'pricing'!22:31", "'pricing'!32:40");
        // at the end: nothing more, not even an empty batch
        assertThat(source.batches("pricing", all.get(all.size() - 1).position().orElseThrow())).isEmpty();
    }

    @Test
    void resumingRefusesAChangedHeaderAReplacedSheetAndAnotherSheetsPosition() {
        FakeGoogle.Sheet sheet = google.sheet(ID, "pricing", 40, numbered(35));
        google.sheet(ID, "other", 40, numbered(35));
        SheetsSource source = source().batchRows(10).build();
        SourcePosition p = source.batches("pricing").findFirst().orElseThrow().position().orElseThrow();

        assertThatThrownBy(() -> source.batches("other", p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not of this sheet's 'sheets:" + ID + "/other'");
        sheet.rows.set(0, r("id", "full_name"));
        assertThatThrownBy(() -> source.batches("pricing", p)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("pricing!1:1: the header row changed since the position was taken");
        google.remove(ID, "pricing");
        google.sheet(ID, "pricing", 40, numbered(35));
        assertThatThrownBy(() -> source.batches("pricing", p)).isInstanceOf(SheetsException.class)
                .hasMessageContaining("the sheet was replaced since");
    }

    @Test
    void aSheetDeletedDuringTheReadSaysSoNamingTheSheetNotAnUnparsableRange() {
        google.sheet(ID, "pricing", 40, numbered(35));
        Iterator<RecordBatch> batches = source().batchRows(10).build().batches("pricing").iterator();
        assertThat(batches.next().size()).isEqualTo(10);
        google.remove(ID, "pricing");

        assertThatThrownBy(batches::hasNext).isInstanceOf(SheetsException.class)
                .hasMessageContaining("reading 'pricing'!12:21 of spreadsheet " + ID)
                .hasMessageContaining("sheet pricing is no longer in spreadsheet " + ID
                        + ": deleted or renamed since the read began");
    }

    @Test
    void rowsDeletedDuringTheReadSayTheSheetShrankNotJustThatTheRangeExceedsTheGrid() {
        FakeGoogle.Sheet sheet = google.sheet(ID, "pricing", 40, numbered(35));
        Iterator<RecordBatch> batches = source().batchRows(10).build().batches("pricing").iterator();
        assertThat(batches.next().size()).isEqualTo(10);
        assertThat(batches.next().size()).isEqualTo(10);
        synchronized (google) {
            sheet.rows.subList(3, 13).clear();
            sheet.rowCount = 30;
        }

        assertThatThrownBy(batches::hasNext).isInstanceOf(SheetsException.class)
                .hasMessageContaining("reading 'pricing'!22:31 of spreadsheet " + ID)
                .hasMessageContaining("The sheet pricing has fewer rows than when the read began: rows were deleted"
                        + " since, so rows after them moved up and would be skipped; read the sheet again from the"
                        + " start");
    }

    @Test
    void anExcelFileKeptInDriveIsRefusedSayingToSaveItAsGoogleSheets() {
        // an .xlsx file opened in Google Sheets has a spreadsheet URL, but the Sheets API reads only Google Sheets
        google.sheet(ID, "pricing", 10, numbered(3));
        google.fail(q -> q.path().startsWith("/v4/"), 100, new FakeGoogle.Fault(400, Map.of(), FakeGoogle.error(400,
                "This operation is not supported for this document", "FAILED_PRECONDITION")));

        assertThatThrownBy(() -> source().build().batches("pricing")).isInstanceOf(SheetsException.class)
                .hasMessageStartingWith("reading the sheets of spreadsheet " + ID + " (for sheet pricing): HTTP 400:"
                        + " This operation is not supported for this document [FAILED_PRECONDITION]")
                .hasMessageEndingWith(". The file is not a Google Sheets spreadsheet (an Excel or CSV file kept in"
                        + " Google Drive, which Google Sheets opens but its API does not read): open it in Google"
                        + " Sheets, choose File > Save as Google Sheets, and read the new spreadsheet");
        assertThat(google.count("/v4/spreadsheets/" + ID)).as("not retried").isEqualTo(1);
    }

    @Test
    void unformattedValuesReadNumbersAsPlainText() {
        google.sheet(ID, "pricing", 10, numbered(1));
        source().valueRender(ValueRender.UNFORMATTED).build().batches("pricing").toList();
        assertThat(google.requests().get(google.requests().size() - 1).query())
                .containsEntry("valueRenderOption", "UNFORMATTED_VALUE")
                .containsEntry("dateTimeRenderOption", "FORMATTED_STRING")
                .containsEntry("majorDimension", "ROWS");
    }

    @Test
    void badKeyFilesAreRefusedNamingTheFieldWithoutQuotingTheKey() throws IOException {
        Path notJson = java.nio.file.Files.writeString(dir.resolve("k1.json"), "{\"private_key\": \"-----BEGIN");
        assertThatThrownBy(() -> SheetsCredentials.serviceAccount(notJson)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not JSON").satisfies(e -> assertThat(e.getMessage()).doesNotContain("BEGIN"));
        Path noEmail = java.nio.file.Files.writeString(dir.resolve("k2.json"), "{\"type\": \"service_account\","
                + " \"private_key\": \"x\"}");
        assertThatThrownBy(() -> SheetsCredentials.serviceAccount(noEmail)).hasMessageContaining("no \"client_email\"");
        Path user = java.nio.file.Files.writeString(dir.resolve("k3.json"), "{\"type\": \"authorized_user\"}");
        assertThatThrownBy(() -> SheetsCredentials.serviceAccount(user)).hasMessageContaining("not \"service_account\"");
        assertThat(SheetsCredentials.serviceAccount(keyFile).toString()).isEqualTo("service account " + FakeGoogle.EMAIL);
        assertThatThrownBy(() -> SheetsSource.builder().spreadsheet(ID).build())
                .hasMessageContaining("credentials are not set");
    }

    @Test
    void manyColumnsGetTheirA1Letters() {
        List<String> header = new ArrayList<>();
        for (int i = 0; i < 28; i++) {
            header.add("c" + i);
        }
        List<String> row = new ArrayList<>(header.stream().map(h -> "").collect(Collectors.toList()));
        row.add("beyond");   // column 29: AC
        google.sheet(ID, "wide", 5, List.of(header, row));
        assertThatThrownBy(() -> source().build().batches("wide").toList())
                .hasMessageStartingWith("wide!AC2, near \"beyond\": a value beyond the header: the header row ends at"
                        + " column AB");
    }

    @Test
    void aTokenEndpointOutageIsRetriedLikeTheApi() {
        google.sheet(ID, "pricing", 10, numbered(2));
        google.fail(q -> q.path().equals("/token"), 2, new FakeGoogle.Fault(503, Map.of(), ""));
        assertThat(values(source().build().batches("pricing"))).hasSize(2);
        assertThat(google.count("/token")).isEqualTo(3);
        assertThat(google.tokensIssued()).isEqualTo(1);
    }

    @Test
    void connectionErrorsAreRetriedThenReportedWithTheAttempts() throws IOException {
        java.net.URI closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = java.net.URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
        SheetsSource source = source().credentials(SheetsCredentials.apiKey(FakeGoogle.API_KEY)).endpoint(closed)
                .build();
        assertThatThrownBy(source::sheets).isInstanceOf(SheetsException.class)
                .hasMessageStartingWith("reading the sheets of spreadsheet " + ID + ": gave up after 3 attempts, the"
                        + " last failed with java.net.ConnectException")
                .satisfies(e -> assertThat(((SheetsException) e).status()).isEmpty())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(FakeGoogle.API_KEY));
    }

    @Test
    void a401ThatANewTokenDoesNotCureIsAnError() {
        google.sheet(ID, "pricing", 10, numbered(2));
        google.fail(q -> q.range() != null, 2, new FakeGoogle.Fault(401, Map.of(),
                FakeGoogle.error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")));
        assertThatThrownBy(() -> source().build().batches("pricing"))
                .isInstanceOf(SheetsException.class)
                .hasMessageContaining("unauthorized (HTTP 401: Request had invalid authentication credentials.")
                .hasMessageContaining("even with a new access token for service account " + FakeGoogle.EMAIL)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("ya29"));
        assertThat(google.tokensIssued()).isEqualTo(2);
    }

    @Test
    void retryAfterAsAnHttpDateIsHonoured() {
        google.sheet(ID, "pricing", 10, numbered(2));
        String past = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                java.time.ZonedDateTime.ofInstant(clock.instant().minusSeconds(10), java.time.ZoneOffset.UTC));
        google.fail(q -> q.range() != null, 2, new FakeGoogle.Fault(503, Map.of("Retry-After", past), ""));
        assertThat(values(source().build().batches("pricing"))).hasSize(2);
        assertThat(google.ranges()).hasSize(3);
    }

    @Test
    void answersThatAreNotObjectsOrHoldRowsOfAnotherShapeAreRefusedNotReadAsBlank() {
        google.sheet(ID, "p", 10, numbered(2));
        // an empty body was read as an empty sheet, blaming its header row
        google.fail(q -> q.range() != null, 1, new FakeGoogle.Fault(200, Map.of(), ""));
        assertThatThrownBy(() -> source().build().batches("p"))
                .isInstanceOf(SheetsException.class)
                .hasMessage("reading 'p'!1:10 of spreadsheet " + ID + ": the answer is not a JSON object (empty body)");
        // and listed no sheets
        google.fail(q -> q.range() == null && q.path().startsWith("/v4/"), 1, new FakeGoogle.Fault(200, Map.of(),
                "[]"));
        assertThatThrownBy(() -> source().build().sheets())
                .isInstanceOf(SheetsException.class)
                .hasMessage("reading the sheets of spreadsheet " + ID + ": the answer is not a JSON object (ARRAY)");
        // a row that is not an array of cells was skipped as blank
        google.fail(q -> q.range() != null, 1, new FakeGoogle.Fault(200, Map.of(),
                "{\"values\": [[\"id\", \"name\"], [{\"x\": 1}, \"a\"]]}"));
        assertThatThrownBy(() -> source().build().batches("p"))
                .isInstanceOf(SheetsException.class)
                .hasMessageEndingWith(": the answer's \"values\" is not an array of rows of cells");
        assertThat(values(source().build().batches("p"))).hasSize(2);
    }

    @Test
    void resumingWithOtherColumnNamesThanThePositionWasTakenWithIsRefused() {
        google.sheet(ID, "pricing", 40, List.of(r("Unit Price", "Name"), r("1", "a"), r("2", "b"), r("3", "c")));
        SourcePosition p = source().batchRows(1).build().batches("pricing").findFirst().orElseThrow().position()
                .orElseThrow();
        // the rest of the read under other names ("unit_price" for "Unit Price") would land in other columns
        assertThatThrownBy(() -> source().batchRows(1).columnNames(ColumnNames.SQL_SAFE).build().batches("pricing", p))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("pricing!1:1: the header row changed since the position was taken, or the"
                        + " position was taken with other column names (now [unit_price, name])");
        assertThat(values(source().batchRows(1).build().batches("pricing", p)))
                .containsExactly(List.of("2", "b"), List.of("3", "c"));
    }

    @Test
    void resumingWithAnotherValueRenderThanThePositionWasTakenWithIsRefused() {
        google.sheet(ID, "pricing", 40, numbered(3));
        SourcePosition p = source().batchRows(1).build().batches("pricing").findFirst().orElseThrow().position()
                .orElseThrow();
        assertThat(p.values()).containsEntry("value_render", "FORMATTED");
        // the rest of the read as formulas (or raw numbers) would mix two renderings of the cells in one column
        assertThatThrownBy(() -> source().batchRows(1).valueRender(ValueRender.FORMULA).build().batches("pricing", p))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("was taken reading ValueRender.FORMATTED values, this source reads"
                        + " ValueRender.FORMULA: resuming would mix two renderings of the cells in one column; read the"
                        + " sheet from the start or build the source with .valueRender(ValueRender.FORMATTED)");
        assertThat(values(source().batchRows(1).build().batches("pricing", SourcePosition.fromJson(p.toJson()))))
                .containsExactly(List.of("2", "name 2"), List.of("3", "name 3"));
    }

    @Test
    void resumingAfterTheEmptyBatchOfAOneRowSheetGivesNothing() {
        google.sheet(ID, "h", 1, List.of(r("a", "b")));
        SourcePosition p = source().build().batches("h").findFirst().orElseThrow().position().orElseThrow();
        assertThat(p.values()).containsEntry("next_row", 2L);
        // the position is at the end: no second empty batch (which would empty an OVERWRITE target again)
        assertThat(source().build().batches("h", p)).isEmpty();
    }

    /**
     * Values written into the blank grid rows of a header-only sheet after its empty batch are read by a read resumed
     * from that batch's position, as values written into the blank rows after a sheet's last record are: not only the
     * rows appended beyond the grid.
     */
    @Test
    void aReadResumedAfterTheEmptyBatchReadsValuesWrittenSinceIntoTheGridsBlankRows() {
        for (ValueRender render : ValueRender.values()) {
            FakeGoogle.Sheet sheet = google.sheet(ID, "new", 10, new ArrayList<>(List.of(r("a", "b"))));
            SheetsSource source = source().valueRender(render).batchRows(4).build();
            SourcePosition p = source.batches("new").findFirst().orElseThrow().position().orElseThrow();
            synchronized (google) {
                sheet.rows.add(r("1", "x"));
                sheet.rows.add(r());
                sheet.rows.add(r("3", "z"));
                for (int i = sheet.rows.size(); i < 10; i++) {
                    sheet.rows.add(r());
                }
                sheet.rows.add(r("11", "appended"));
                sheet.rowCount = 11;
            }
            assertThat(values(source.batches("new", p))).as(render.name())
                    .containsExactly(List.of("1", "x"), List.of("3", "z"), List.of("11", "appended"));
            google.remove(ID, "new");
        }
    }

    @Test
    void anUnknownSheetListsNamesWithQuotesOrCommasUnambiguously() {
        google.sheet(ID, "it's, ok", 10, numbered(1));
        google.sheet(ID, "plan", 10, numbered(1));
        assertThatThrownBy(() -> source().build().batches("it's"))
                .isInstanceOf(SheetsException.class)
                .hasMessage("spreadsheet " + ID + " has no sheet 'it''s'; its sheets are: 'it''s, ok', 'plan'");
    }
    @Test
    void badInputNamesTheSpreadsheetAsWellAsTheSheetAndCell() {
        // a pipeline reading several spreadsheets must be told which one holds the bad cell
        google.sheet(ID, "beyond", 10, List.of(r("a"), r("1", "x")));
        google.sheet(ID, "blank", 10, List.of(r("a", "", "c"), r("1", "2", "3")));
        google.sheet(ID, "empty", 10, List.of(r(), r("1")));
        google.sheet(ID, "twice", 10, List.of(r("a", "a")));
        google.sheet(ID, "nul", 10, List.of(r("a"), r("x\u0000y")));
        FakeGoogle.Sheet changing = google.sheet(ID, "changing", 10, numbered(3));
        SheetsSource source = source().batchRows(1).build();
        SourcePosition p = source.batches("changing").findFirst().orElseThrow().position().orElseThrow();
        changing.rows.set(0, r("id", "full_name"));

        List<Runnable> reads = List.of(() -> source.batches("beyond").toList(), () -> source.batches("blank").toList(),
                () -> source.batches("empty"), () -> source.batches("twice"), () -> source.batches("nul").toList(),
                () -> source.batches("changing", p));
        for (Runnable read : reads) {
            assertThatThrownBy(read::run).isInstanceOf(BadInputException.class)
                    .hasMessageEndingWith(" (spreadsheet " + ID + ")")
                    .satisfies(e -> assertThat(((BadInputException) e).reason()).endsWith(" (spreadsheet " + ID + ")"));
        }
    }
    @Test
    void headerNamesAreTrimmedOfTheSameWhiteSpaceThatMakesACellBlank() {
        // a no-break space (pasted from a web page) or an em space around a name is white space like a plain one: a
        // cell of it alone is blank, and around a name it is trimmed, or the column would be "id\u00a0", not "id"
        google.sheet(ID, "s", 10, List.of(r("\u00a0id\u00a0", "\u2003name", " city\u3000", "\u00a0"), r("1", "a", "b")));
        SheetsSource source = source().build();
        assertThat(source.schema("s").names()).containsExactly("id", "name", "city");
        google.sheet(ID, "twice", 10, List.of(r("id", "id\u00a0")));
        assertThatThrownBy(() -> source.schema("twice")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("header 'id' repeats A1");
    }
    /**
     * U+0085 (NEXT LINE, what a Windows-1252 ellipsis becomes when text is read as Latin-1) is white space to Python's
     * str.strip(), which Airbyte's source uses: a cell of it alone is blank (Airbyte leaves the field out), and around
     * a header name it is trimmed. Java's isWhitespace and isSpaceChar both miss it.
     */
    @Test
    void nextLineU0085IsWhiteSpaceAsPythonsStripHasIt() {
        google.sheet(ID, "s", 10, List.of(r("id\u0085", "\u0085name", "note"), r("1", "\u0085", "a\u0085"),
                r("\u0085", " \u0085 ", "\u0085")));
        SheetsSource source = source().build();
        assertThat(source.schema("s").names()).containsExactly("id", "name", "note");
        // values are kept as the sheet gives them; a row of blank cells only is skipped
        assertThat(values(source.batches("s"))).containsExactly(Arrays.asList("1", null, "a\u0085"));
    }
    @Test
    void headerNamesAreWhatTheSheetShowsWhateverValueRenderTheRowsAreReadWith() {
        // the header row computed by formulas (quarters, months) or formatted as percentages: Airbyte names columns by
        // the header's formatted values; reading the rows as formulas or raw numbers must not rename the columns
        FakeGoogle.Sheet sheet = google.sheet(ID, "plan", 10, List.of(r("id", "Q1", "Q2", "10%"),
                r("1", "7", "14", "0.7"), r("2", "8", "16", "0.8")));
        sheet.rendered.put("FORMULA", List.of(r(null, "=\"Q\"&1", "=\"Q\"&(COLUMN()-1)", null),
                r(null, null, "=B2*2"), r(null, null, "=B3*2")));
        sheet.rendered.put("UNFORMATTED_VALUE", List.of(r(null, null, null, "0.1")));

        SheetsSource formulas = source().valueRender(ValueRender.FORMULA).build();
        assertThat(formulas.schema("plan").names()).containsExactly("id", "Q1", "Q2", "10%");
        assertThat(values(formulas.batches("plan"))).containsExactly(List.of("1", "7", "=B2*2", "0.7"),
                List.of("2", "8", "=B3*2", "0.8"));
        google.clearRequests();
        SheetsSource raw = source().valueRender(ValueRender.UNFORMATTED).batchRows(1).build();
        List<RecordBatch> batches = raw.batches("plan").toList();
        assertThat(batches.get(0).schema().names()).containsExactly("id", "Q1", "Q2", "10%");
        assertThat(batches).extracting(RecordBatch::size).containsExactly(1, 1);
        // the header's checksum is that of the names: a position resumes under the same columns
        assertThat(values(raw.batches("plan", batches.get(0).position().orElseThrow())))
                .containsExactly(List.of("2", "8", "16", "0.8"));
        // the header is read formatted, the rows as asked
        assertThat(google.requests()).filteredOn(q -> q.range() != null).extracting(q -> q.range() + " "
                + q.query().get("valueRenderOption")).containsExactly("'plan'!1:1 FORMATTED_VALUE",
                        "'plan'!2:2 UNFORMATTED_VALUE", "'plan'!3:3 UNFORMATTED_VALUE", "'plan'!4:4 UNFORMATTED_VALUE",
                        "'plan'!5:5 UNFORMATTED_VALUE", "'plan'!6:6 UNFORMATTED_VALUE", "'plan'!7:7 UNFORMATTED_VALUE",
                        "'plan'!8:8 UNFORMATTED_VALUE", "'plan'!9:9 UNFORMATTED_VALUE", "'plan'!10:10 UNFORMATTED_VALUE",
                        "'plan'!1:1 FORMATTED_VALUE", "'plan'!2:2 UNFORMATTED_VALUE", "'plan'!3:3 UNFORMATTED_VALUE",
                        "'plan'!4:4 UNFORMATTED_VALUE",
                        "'plan'!5:5 UNFORMATTED_VALUE", "'plan'!6:6 UNFORMATTED_VALUE", "'plan'!7:7 UNFORMATTED_VALUE",
                        "'plan'!8:8 UNFORMATTED_VALUE", "'plan'!9:9 UNFORMATTED_VALUE", "'plan'!10:10 UNFORMATTED_VALUE");
        // a header-only sheet still gives its one empty batch
        google.sheet(ID, "header only", 1, List.of(r("a", "b")));
        assertThat(raw.batches("header only").toList()).singleElement()
                .satisfies(b -> assertThat(b.schema().names()).containsExactly("a", "b"))
                .satisfies(b -> assertThat(b.isEmpty()).isTrue());
    }
    @Test
    void unformattedNumbersAndBooleansReadAsThePlainTextOfTheirJsonValue() {
        google.sheet(ID, "n", 10, numbered(3));
        // Google answers UNFORMATTED_VALUE with JSON numbers and booleans; no float rounding, no exponent, no locale
        google.fail(q -> "'n'!2:10".equals(q.range()), 1, new FakeGoogle.Fault(200, Map.of(), """
                {"values": [[1, 0.30000000000000004, true], [12345678901234567890, 1E+21, false],
                            [-0.0, 1.50, 2.5E-7], [0, 100, 1e2]]}"""));
        google.sheet(ID, "n", 10, List.of(r("a", "b", "c")));
        assertThat(values(source().valueRender(ValueRender.UNFORMATTED).build().batches("n"))).containsExactly(
                List.of("1", "0.30000000000000004", "TRUE"), List.of("12345678901234567890", "1000000000000000000000",
                        "FALSE"), List.of("0", "1.5", "0.00000025"), List.of("0", "100", "100"));
    }
    @Test
    void longAndNonAsciiHeaderNamesAreKeptUpTo63BytesAndRefusedBeyondNamingTheCell() {
        String cyrillic31 = "Ц".repeat(31);   // 62 bytes in UTF-8
        google.sheet(ID, "s", 10, List.of(r("Größe (€)", cyrillic31, "名前", "x".repeat(63)), r("1", "2", "3", "4")));
        SheetsSource source = source().build();
        assertThat(source.schema("s").names()).containsExactly("Größe (€)", cyrillic31, "名前", "x".repeat(63));
        google.sheet(ID, "long", 10, List.of(r("id", "Ц".repeat(32))));
        assertThatThrownBy(() -> source.batches("long")).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("long!B1, near \"ЦЦЦ")
                .hasMessageContaining("header cannot be a column name")
                .hasMessageEndingWith("(spreadsheet " + ID + ")");
    }
    @Test
    void aFailedRequestForTheGridSizeOfASheetNamesTheSheetAsWellAsTheSpreadsheet() {
        // a program reading sheet after sheet must be told which read failed, even before the sheet's own rows
        google.sheet(ID, "pricing", 10, numbered(3));
        google.fail(q -> q.range() == null && q.path().startsWith("/v4/"), 100, new FakeGoogle.Fault(503, Map.of(),
                FakeGoogle.error(503, "The service is currently unavailable.", "UNAVAILABLE")));
        SheetsSource source = source().build();
        for (Runnable read : List.<Runnable>of(() -> source.batches("pricing"), () -> source.schema("pricing"),
                () -> source.batches("pricing", SourcePosition.of("sheets:" + ID + "/pricing", Map.of())))) {
            assertThatThrownBy(read::run).isInstanceOf(SheetsException.class)
                    .hasMessageStartingWith("reading the sheets of spreadsheet " + ID + " (for sheet pricing): gave up"
                            + " after 3 attempts");
        }
    }
    @Test
    void aDataSourceSheetIsRefusedAsWhatItIsNotCalledAChart() {
        google.sheet(ID, "pricing", 10, numbered(1));
        google.dataSource(ID, "bigquery orders");
        SheetsSource source = source().build();
        assertThat(source.sheets()).containsExactly("pricing");
        assertThatThrownBy(() -> source.batches("bigquery orders")).isInstanceOf(SheetsException.class)
                .hasMessage("sheet 'bigquery orders' of spreadsheet " + ID + " is a DATA_SOURCE sheet (a Connected"
                        + " Sheets data source), not a grid of cells");
    }
    @Test
    void aRequestOfEmptyRowsGivesNoBatchAndRowsAfterAGapKeepTheirSheetRowNumbers() {
        List<List<String>> rows = numbered(10);            // rows 2..11
        for (int i = 0; i < 13; i++) {
            rows.add(r());                                 // rows 12..24: empty, a whole request (12..21) among them
        }
        rows.add(r("11", "name 11"));                      // row 25
        rows.add(r("12", "name 12", "stray"));             // row 26: a value beyond the header
        google.sheet(ID, "gap", 40, rows);
        Iterator<RecordBatch> it = source().batchRows(10).build().batches("gap").iterator();
        RecordBatch first = it.next();
        assertThat(first.size()).isEqualTo(10);
        assertThatThrownBy(it::hasNext).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("gap!C26, near \"stray\"");
        rows.set(rows.size() - 1, r("12", "name 12"));
        google.remove(ID, "gap");
        google.sheet(ID, "gap", 40, rows);
        List<RecordBatch> batches = source().batchRows(10).build().batches("gap").toList();
        assertThat(batches).extracting(RecordBatch::size).containsExactly(10, 2);
        assertThat(batches).extracting(b -> b.position().orElseThrow().values().get("next_row"))
                .containsExactly(12L, 32L);
        assertThat(google.ranges()).endsWith("'gap'!1:11", "'gap'!12:21", "'gap'!22:31", "'gap'!32:40");
    }
}
