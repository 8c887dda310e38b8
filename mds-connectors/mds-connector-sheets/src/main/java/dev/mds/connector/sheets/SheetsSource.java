package dev.mds.connector.sheets;

import dev.mds.connector.sheets.internal.A1;
import dev.mds.connector.sheets.internal.Api;
import dev.mds.connector.sheets.internal.Retry;
import dev.mds.connector.sheets.internal.SheetInfo;
import dev.mds.connector.sheets.internal.SheetReading;
import dev.mds.connector.sheets.internal.SpreadsheetIds;
import dev.mds.core.RecordBatch;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the sheets (tabs) of a Google spreadsheet through the Sheets API v4 as {@link RecordBatch}es of text columns,
 * one stream per sheet, the way Airbyte's Google Sheets source lands them.
 *
 * <pre>{@code
 * SheetsSource source = SheetsSource.builder()
 *     .spreadsheet("https://docs.google.com/spreadsheets/d/1hLd9Qqti3UyLXZB2aFfUWDT7BG-arw2xy4HR3D-dwUb/edit")
 *     .credentials(SheetsCredentials.serviceAccount(Path.of("/secrets/sheets-reader.json")))
 *     .build();
 * MergeLoader loader = MergeLoader.into(dataSource, "raw.pricing").key("package").build();
 * source.batches("pricing").forEach(loader::load);
 * }</pre>
 *
 * <p><b>Rows.</b> Row 1 is the header: each non-blank cell names a column (trimmed, or SQL-safe with
 * {@link ColumnNames#SQL_SAFE}, converted untrimmed as Airbyte converts it); every column is a nullable text column. Each later row is a record: cells are matched
 * to the header by position, blank cells (empty or white space only) are NULL, a row shorter than the header is padded
 * with NULLs, and a row without any non-blank cell is skipped. Values are kept as the sheet gives them (not trimmed).
 *
 * <p><b>Bad input</b> throws a {@link dev.mds.core.BadInputException} located in A1 notation
 * ({@code pricing!F7: a value beyond the header ... (spreadsheet <id>)}): a header name repeated (after conversion), a value in a column
 * whose header cell is blank, a value to the right of the header's last name, an empty header row. Airbyte drops such
 * columns with a warning; here they are errors, so no value is lost silently.
 *
 * <p><b>Requests.</b> {@link #batches(String)} asks {@code spreadsheets.get} ({@code fields=sheets.properties}) for
 * the sheet's grid size, then {@code spreadsheets.values.get} for rows {@code 1:batchRows+1} (header and first batch;
 * for another {@link ValueRender} than {@code FORMATTED}, row 1 formatted and then rows {@code 2:batchRows+1}: the
 * header is always read as the sheet shows it), then {@code batchRows} rows per request up to the grid's last row. Each request gives at most one batch, parsed whole
 * before it is handed out. 429, 408, 5xx answers and connection errors are retried with exponential backoff,
 * honouring Retry-After; 403 and 404 fail at once with what to do.
 *
 * <p><b>Positions.</b> A sheet has no cursor: every read is a full refresh. Each batch carries a
 * {@link SourcePosition} (source {@code sheets:<spreadsheet id>/<sheet>}, entries {@code sheet_id}, {@code next_row},
 * {@code header}, {@code value_render}, and after a record {@code last_row} and {@code last_cells}, its row and a
 * checksum of its cells) so an interrupted read can go on with {@link #batches(String, SourcePosition)}. Resuming
 * refuses a sheet that was replaced (other id) or whose header changed, other column names or another
 * {@link ValueRender} than the position's, and a sheet whose last record read is no longer on its row (rows inserted
 * or deleted above it, or the row edited), which would read rows twice or skip them: read again from the start then.
 * Rows appended after the last record read are read by the resumed read, also those written into blank rows before
 * the position.
 *
 * <p><b>Full refresh.</b> To replace a table with the sheet atomically, hand the whole stream to mds-load's
 * {@code loadAll} in OVERWRITE ({@code MergeLoader.into(ds, "raw.pricing").mode(SyncMode.OVERWRITE).key("package")
 * .build().loadAll(source.batches("pricing"), 1, listener)}): one transaction for the whole stream, so a read that
 * fails part-way (a request given up, the sheet deleted, a bad cell) commits nothing and the table keeps the rows it
 * had. Batches loaded one by one ({@code forEach(loader::load)}) commit each on its own, and in OVERWRITE each replaces
 * the table; a resumed stream is the rest of the sheet only, so it is never a full refresh.
 *
 * <p>Immutable and thread-safe (the access token is shared); starts no threads.
 */
public final class SheetsSource {
    private static final Logger LOG = LoggerFactory.getLogger(SheetsSource.class);

    private final String spreadsheetId;
    private final List<String> selected;
    private final int batchRows;
    private final ColumnNames columnNames;
    private final ValueRender valueRender;
    private final Api api;

    private SheetsSource(Builder b, String spreadsheetId) {
        this.spreadsheetId = spreadsheetId;
        this.selected = List.copyOf(b.sheets);
        this.batchRows = b.batchRows;
        this.columnNames = b.columnNames;
        this.valueRender = b.valueRender;
        HttpClient client = b.httpClient != null ? b.httpClient
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                        .followRedirects(HttpClient.Redirect.NORMAL).build();
        this.api = new Api(client, b.endpoint, spreadsheetId, b.credentials.grant(), b.credentials.key(),
                new Retry(b.maxAttempts, b.firstBackoff, b.maxBackoff), b.requestTimeout, b.clock);
    }

    /** A builder; see {@link Builder} for the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The spreadsheet's id, as parsed from the id or URL given to the builder. */
    public String spreadsheetId() {
        return spreadsheetId;
    }

    /**
     * The sheets to read, in tab order: the ones selected with {@link Builder#sheet}, or else every grid sheet of the
     * spreadsheet (chart sheets left out). One request.
     *
     * @throws SheetsException when a selected sheet does not exist (listing those that do), or the request fails
     */
    public List<String> sheets() {
        List<SheetInfo> all = SheetInfo.of(api.spreadsheet());
        if (selected.isEmpty()) {
            return all.stream().filter(SheetInfo::grid).map(SheetInfo::title).toList();
        }
        List<String> names = new ArrayList<>();
        for (String s : selected) {
            names.add(find(all, s).title());
        }
        return names;
    }

    /**
     * The columns of a sheet, from its header row. Two requests.
     *
     * @throws dev.mds.core.BadInputException when the header is bad (located in A1 notation)
     * @throws SheetsException when the sheet does not exist or a request fails
     */
    public Schema schema(String sheet) {
        SheetInfo info = info(sheet);
        return SheetReading.header(api, info, sqlSafe()).schema();
    }

    /**
     * All the records of a sheet, in row order, at most {@code batchRows} per batch. The sheet's size and header are
     * read by this call (so a missing sheet, a refusal or a bad header throws here); the rows are read as the stream
     * is consumed, one request per batch. A request whose rows are all empty gives no batch, but a sheet without any
     * record gives one empty batch, so a loader can create or empty its table. A sheet without any value, header
     * included (a new, empty tab), gives no batch, as Airbyte skips it, so that a loop over {@link #sheets()} goes on.
     *
     * @throws dev.mds.core.BadInputException for a bad header (here) or a bad cell (from the stream, after the
     *     batches before its request, none after)
     * @throws SheetsException when the sheet does not exist or a request fails (here or from the stream)
     */
    public Stream<RecordBatch> batches(String sheet) {
        SheetInfo info = info(sheet);
        LOG.info("reading sheet {} of spreadsheet {} ({} grid rows, {} per request)", A1.display(info.title()),
                spreadsheetId, info.rowCount(), batchRows);
        SheetReading reading = SheetReading.open(api, info, source(info), batchRows, render(), valueRender.name(),
                sqlSafe(), 2, null);
        if (reading == null) {
            LOG.info("sheet {} of spreadsheet {} holds no value at all (no header row): no batch", A1.display(info.title()),
                    spreadsheetId);
            return Stream.empty();
        }
        return stream(reading);
    }

    /**
     * The records of a sheet after {@code position} (taken from a batch of this sheet): the rest of the read, batch
     * boundaries aside. Empty when the position is at the end.
     *
     * @throws IllegalArgumentException when the position is of another spreadsheet or sheet, was taken with another
     *     {@link ValueRender}, or lacks its entries
     * @throws dev.mds.core.BadInputException when the sheet's header changed since the position was taken, or the row
     *     of the last record read before it no longer holds that record (rows inserted or deleted above it, or the row
     *     edited): one more request, of the rows from it to the position, whose rows after it (blank when the
     *     position was taken) give the first batch when values were written there since
     * @throws SheetsException when the sheet was deleted, or replaced by another of the same name
     */
    public Stream<RecordBatch> batches(String sheet, SourcePosition position) {
        Objects.requireNonNull(position, "position");
        SheetInfo info = info(sheet);
        String source = source(info);
        if (!position.source().equals(source)) {
            throw new IllegalArgumentException("position " + position + " is of source '" + position.source()
                    + "', not of this sheet's '" + source + "'");
        }
        long sheetId = entry(position, SheetReading.SHEET_ID);
        long nextRow = entry(position, SheetReading.NEXT_ROW);
        long header = entry(position, SheetReading.HEADER);
        if (sheetId != info.sheetId()) {
            throw new SheetsException("sheet " + A1.display(info.title()) + " of spreadsheet " + spreadsheetId
                    + " has id " + info.sheetId() + ", the position was taken on sheet id " + sheetId + ": the sheet"
                    + " was replaced since; read it from the start", 0, 1, null);
        }
        String theirRender = position.get(SheetReading.VALUE_RENDER).map(String::valueOf).orElse(valueRender.name());
        if (!theirRender.equals(valueRender.name())) {
            throw new IllegalArgumentException("position " + position + " was taken reading ValueRender." + theirRender
                    + " values, this source reads ValueRender." + valueRender + ": resuming would mix two renderings"
                    + " of the cells in one column; read the sheet from the start or build the source with"
                    + " .valueRender(ValueRender." + theirRender + ")");
        }
        if (nextRow < 2) {
            throw new IllegalArgumentException("position " + position + ": next_row must be at least 2");
        }
        LOG.info("resuming sheet {} of spreadsheet {} at row {}", A1.display(info.title()), spreadsheetId, nextRow);
        // positions taken before last_row was kept resume unchecked
        long lastRow = position.getLong(SheetReading.LAST_ROW).orElse(0L);
        long lastCells = position.getLong(SheetReading.LAST_CELLS).orElse(0L);
        return stream(SheetReading.open(api, info, source, batchRows, render(), valueRender.name(), sqlSafe(),
                nextRow, header, lastRow, lastCells));
    }

    private static long entry(SourcePosition position, String key) {
        return position.getLong(key).orElseThrow(() -> new IllegalArgumentException("position " + position
                + " has no number '" + key + "': not a position of a sheets source"));
    }

    private SheetInfo info(String sheet) {
        Objects.requireNonNull(sheet, "sheet");
        SheetInfo info = find(SheetInfo.of(api.spreadsheet(sheet)), sheet);
        if (!info.grid()) {
            String what = switch (info.type()) {
                case "OBJECT" -> " (a chart)";
                case "DATA_SOURCE" -> " (a Connected Sheets data source)";
                default -> "";
            };
            throw new SheetsException("sheet " + A1.display(sheet) + " of spreadsheet " + spreadsheetId + " is a "
                    + info.type() + " sheet" + what + ", not a grid of cells", 0, 1, null);
        }
        return info;
    }

    private SheetInfo find(List<SheetInfo> all, String sheet) {
        for (SheetInfo s : all) {
            if (s.title().equals(sheet)) {
                return s;
            }
        }
        // quoted as in A1 notation (quotes inside doubled), so that a name holding a quote or a comma reads as one
        String names = all.stream().map(s -> A1.quoted(s.title())).collect(Collectors.joining(", "));
        throw new SheetsException("spreadsheet " + spreadsheetId + " has no sheet " + A1.quoted(sheet)
                + "; its sheets are: " + (names.isEmpty() ? "(none)" : names), 0, 1, null);
    }

    private String source(SheetInfo info) {
        return "sheets:" + spreadsheetId + "/" + info.title();
    }

    private boolean sqlSafe() {
        return columnNames == ColumnNames.SQL_SAFE;
    }

    private String render() {
        return switch (valueRender) {
            case FORMATTED -> SheetReading.FORMATTED;
            case UNFORMATTED -> "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING";
            case FORMULA -> "valueRenderOption=FORMULA&dateTimeRenderOption=FORMATTED_STRING";
        };
    }

    private static Stream<RecordBatch> stream(SheetReading reading) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(reading,
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /**
     * Settings of a {@link SheetsSource}. Required: {@link #spreadsheet} and {@link #credentials}. Defaults: every grid
     * sheet, 10,000 rows per request and batch, {@link ColumnNames#TRIMMED}, {@link ValueRender#FORMATTED}, endpoint
     * {@code https://sheets.googleapis.com}, 7 attempts per request with backoff from 1 s doubling up to 32 s (63 s
     * or more in all, so a per-minute quota's 429 is waited out),
     * requests time out after 3 minutes, a new {@link HttpClient}, the system clock.
     *
     * <p>Why 10,000 rows (Airbyte started at 200 and now asks 1,000,000): Google allows 60 read requests per minute
     * per user and 300 per project, so small requests run out of quota on big sheets; a new sheet's grid has 1,000
     * rows, read in one request; 10,000 rows of 26 short columns are a few MB, far from the 180 s a request may take,
     * and a batch of that size is what the loaders handle well.
     */
    public static final class Builder {
        private String spreadsheet;
        private final Set<String> sheets = new LinkedHashSet<>();
        private SheetsCredentials credentials;
        private int batchRows = 10_000;
        private ColumnNames columnNames = ColumnNames.TRIMMED;
        private ValueRender valueRender = ValueRender.FORMATTED;
        private URI endpoint = URI.create("https://sheets.googleapis.com");
        private int maxAttempts = Retry.DEFAULT.maxAttempts();
        private Duration firstBackoff = Retry.DEFAULT.first();
        private Duration maxBackoff = Retry.DEFAULT.max();
        private Duration requestTimeout = Duration.ofMinutes(3);
        private HttpClient httpClient;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * The spreadsheet: its URL ({@code https://docs.google.com/spreadsheets/d/<id>/edit#gid=0}) or its id.
         *
         * @throws IllegalArgumentException when it is neither
         */
        public Builder spreadsheet(String idOrUrl) {
            Objects.requireNonNull(idOrUrl, "idOrUrl");
            SpreadsheetIds.parse(idOrUrl);
            this.spreadsheet = idOrUrl;
            return this;
        }

        /** Selects a sheet (tab) by its name, for {@link SheetsSource#sheets()}; call again for more. */
        public Builder sheet(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("sheet name is empty");
            }
            sheets.add(name);
            return this;
        }

        /** How to authenticate. */
        public Builder credentials(SheetsCredentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** Rows per request, and so the most records per batch (default 10,000). */
        public Builder batchRows(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("batchRows must be at least 1, not " + rows);
            }
            this.batchRows = rows;
            return this;
        }

        /** How column names are made from the header (default {@link ColumnNames#TRIMMED}). */
        public Builder columnNames(ColumnNames columnNames) {
            this.columnNames = Objects.requireNonNull(columnNames, "columnNames");
            return this;
        }

        /** Which text of a cell is read (default {@link ValueRender#FORMATTED}, what the sheet shows). */
        public Builder valueRender(ValueRender valueRender) {
            this.valueRender = Objects.requireNonNull(valueRender, "valueRender");
            return this;
        }

        /**
         * The API's base URI (default {@code https://sheets.googleapis.com}); for a proxy or a test server. Access
         * tokens are asked of the credentials' own token URI (a key file's {@code token_uri}, or the one given to
         * {@link SheetsCredentials#oauth(String, String, String, URI)}), not of this endpoint.
         */
        public Builder endpoint(URI endpoint) {
            Objects.requireNonNull(endpoint, "endpoint");
            if (!endpoint.isAbsolute() || endpoint.getHost() == null) {
                throw new IllegalArgumentException("endpoint must be an absolute http(s) URI, not " + endpoint);
            }
            this.endpoint = endpoint;
            return this;
        }

        /**
         * Retries of a request answered 429, 408 or 5xx, or failed by a connection error or timeout: at most
         * {@code maxAttempts} sends in all, waiting {@code firstBackoff}, then twice as long each time up to
         * {@code maxBackoff} (plus up to a quarter at random); a Retry-After header is honoured instead, up to 5
         * minutes. Default 7 attempts, 1 s, 32 s (waits of 1, 2, 4, 8, 16 and 32 s: Google refills its per-minute
         * read quota within them).
         */
        public Builder retries(int maxAttempts, Duration firstBackoff, Duration maxBackoff) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, not " + maxAttempts);
            }
            Objects.requireNonNull(firstBackoff, "firstBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            if (firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
                throw new IllegalArgumentException("backoff must satisfy 0 <= firstBackoff (" + firstBackoff
                        + ") <= maxBackoff (" + maxBackoff + ")");
            }
            this.maxAttempts = maxAttempts;
            this.firstBackoff = firstBackoff;
            this.maxBackoff = maxBackoff;
            return this;
        }

        /** How long one request may take before it counts as failed (and is retried); default 3 minutes. */
        public Builder requestTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout must be positive, not " + timeout);
            }
            this.requestTimeout = timeout;
            return this;
        }

        /** The HTTP client to send with (proxy, TLS, executor); default a new one with redirects followed. */
        public Builder httpClient(HttpClient client) {
            this.httpClient = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The clock that dates the service account's JWTs and ages access tokens (default the system's, UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The source; nothing is sent until a method of it is called.
         *
         * @throws IllegalArgumentException naming what is missing
         */
        public SheetsSource build() {
            if (spreadsheet == null) {
                throw new IllegalArgumentException("spreadsheet is not set: give its URL or id");
            }
            if (credentials == null) {
                throw new IllegalArgumentException("credentials are not set: SheetsCredentials.serviceAccount(keyFile),"
                        + " SheetsCredentials.oauth(clientId, clientSecret, refreshToken) or SheetsCredentials.apiKey(key)");
            }
            return new SheetsSource(this, SpreadsheetIds.parse(spreadsheet));
        }
    }
}
