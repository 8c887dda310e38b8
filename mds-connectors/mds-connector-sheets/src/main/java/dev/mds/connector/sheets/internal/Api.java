package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.connector.sheets.SheetsException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends GET requests to the Sheets API with authentication, retries (429, 5xx, connection errors, with backoff and
 * Retry-After) and errors that say what to do (403, 404). Thread-safe. Never logs or throws a token, key or URL with
 * a key in it.
 */
public final class Api {
    private static final Logger LOG = LoggerFactory.getLogger(Api.class);
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final HttpClient client;
    private final URI endpoint;
    private final String spreadsheetId;
    private final TokenSource tokens;
    private final String apiKey;
    private final String quotaProject;
    private final Retry retry;
    private final Duration timeout;
    private final Clock clock;
    private final TokenGrant grant;

    /**
     * Exactly one of {@code grant} (requests carry its access tokens) and {@code apiKey} (sent as the {@code key}
     * parameter) is set.
     */
    public Api(HttpClient client, URI endpoint, String spreadsheetId, TokenGrant grant, String apiKey,
            Retry retry, Duration timeout, Clock clock) {
        this.client = client;
        String e = endpoint.toString();
        this.endpoint = URI.create(e.endsWith("/") ? e.substring(0, e.length() - 1) : e);
        this.spreadsheetId = spreadsheetId;
        this.tokens = grant == null ? null : new TokenSource(grant, this, clock);
        this.apiKey = apiKey;
        this.quotaProject = grant == null ? null : grant.quotaProject().orElse(null);
        this.grant = grant;
        this.retry = retry;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** The id of the spreadsheet this reads. */
    public String spreadsheetId() {
        return spreadsheetId;
    }

    /** The spreadsheet's sheets: {@code spreadsheets.get} with {@code fields=sheets.properties}. */
    public JsonNode spreadsheet() {
        return properties("reading the sheets of spreadsheet " + spreadsheetId);
    }

    /** The spreadsheet's sheets, to read the sheet {@code sheet}: a failure names the sheet too. */
    public JsonNode spreadsheet(String sheet) {
        return properties("reading the sheets of spreadsheet " + spreadsheetId + " (for sheet " + A1.display(sheet)
                + ")");
    }

    private JsonNode properties(String what) {
        return get("/v4/spreadsheets/" + spreadsheetId, "fields=" + encode("sheets.properties"), what);
    }

    /**
     * {@code spreadsheets.values.get} of rows {@code first} to {@code last} (1-based, inclusive) of the sheet
     * {@code sheet}, rows as arrays.
     *
     * @throws SheetsException when the sheet is no longer there (Google's "Unable to parse range": the sheet was
     *     found when the read began, so it was deleted or renamed since), has fewer rows than {@code last} (rows were
     *     deleted since the read took the grid's size), or the request fails
     */
    public JsonNode values(String sheet, long first, long last, String renderParameters) {
        String range = A1.rows(sheet, first, last);
        String what = "reading " + range + " of spreadsheet " + spreadsheetId;
        JsonNode answer;
        try {
            answer = get("/v4/spreadsheets/" + spreadsheetId + "/values/" + encode(range),
                    "majorDimension=ROWS&" + renderParameters, what);
        } catch (SheetsException e) {
            if (e.status().orElse(0) == 400 && e.getMessage().contains("Unable to parse range")) {
                throw new SheetsException(e.getMessage() + ". The sheet " + A1.display(sheet) + " is no longer in"
                        + " spreadsheet " + spreadsheetId + ": deleted or renamed since the read began; nothing after"
                        + " the batches already given was read", 400, e.attempts(), e);
            }
            if (e.status().orElse(0) == 400 && e.getMessage().contains("exceeds grid limits")) {
                // the rows asked for were in the grid when the read began
                throw new SheetsException(e.getMessage() + ". The sheet " + A1.display(sheet) + " has fewer rows"
                        + " than when the read began: rows were deleted since, so rows after them moved up and would"
                        + " be skipped; read the sheet again from the start", 400, e.attempts(), e);
            }
            throw e;
        }
        JsonNode rows = answer.path("values");
        boolean valid = rows.isMissingNode() || rows.isArray();
        for (int i = 0; valid && i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            valid = row.isArray();
            for (int c = 0; valid && c < row.size(); c++) {
                valid = row.get(c).isValueNode();
            }
        }
        if (!valid) {
            // a row or cell of another shape would be read as blank: data lost without a word
            throw new SheetsException(what + ": the answer's \"values\" is not an array of rows of cells", 200, 1,
                    null);
        }
        return answer;
    }

    private JsonNode get(String path, String query, String what) {
        String q = apiKey == null ? query : query + "&key=" + encode(apiKey);
        URI uri = URI.create(endpoint + path + "?" + q);
        boolean refreshed = false;
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET()
                    .header("Accept", "application/json");
            if (tokens != null) {
                request.header("Authorization", "Bearer " + tokens.token());
            }
            if (quotaProject != null) {
                request.header("x-goog-user-project", quotaProject);
            }
            Exchange x = send(request.build(), what, attempt);
            if (x.response == null) {
                continue;
            }
            HttpResponse<String> r = x.response;
            int status = r.statusCode();
            if (status == 200) {
                return parse(r.body(), what, attempt);
            }
            if (status == 401 && tokens != null && !refreshed) {
                // the token was revoked or expired early: fetch another once, without counting an attempt
                LOG.info("{}: HTTP 401, fetching a new access token for {}", what, tokens.who());
                tokens.invalidate();
                refreshed = true;
                attempt--;
                continue;
            }
            String google = googleMessage(r.body());
            if (retryable(status, google)) {
                pause(r, what, attempt, "HTTP " + status + google);
                continue;
            }
            throw new SheetsException(refusal(status, what, google), status, attempt, null);
        }
    }

    /** One send; a response, or null after a connection error that will be retried (throws when attempts are spent). */
    private Exchange send(HttpRequest request, String what, int attempt) {
        try {
            long t0 = System.nanoTime();
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            LOG.debug("{}: HTTP {} in {} ms (attempt {})", what, r.statusCode(), (System.nanoTime() - t0) / 1_000_000,
                    attempt);
            return new Exchange(r);
        } catch (IOException e) {
            if (attempt >= retry.maxAttempts()) {
                throw new SheetsException(what + ": gave up after " + attempt + " attempt" + (attempt == 1 ? "" : "s")
                        + ", the last failed with " + e, 0, attempt, e);
            }
            sleep(retry.backoff(attempt), what, attempt, String.valueOf(e));
            return new Exchange(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SheetsException(what + ": interrupted", 0, attempt, e);
        }
    }

    private record Exchange(HttpResponse<String> response) {
    }

    /** Waits before the next attempt, or throws when the attempts are spent. */
    void pause(HttpResponse<String> r, String what, int attempt, String failure) {
        if (attempt >= retry.maxAttempts()) {
            throw new SheetsException(what + ": gave up after " + attempt + " attempt" + (attempt == 1 ? "" : "s")
                    + ", the last answered " + failure, r.statusCode(), attempt, null);
        }
        Duration wait = retryAfter(r).orElseGet(() -> retry.backoff(attempt));
        sleep(wait, what, attempt, failure);
    }

    private void sleep(Duration wait, String what, int attempt, String failure) {
        LOG.warn("{}: {}; attempt {} of {}, retrying in {} ms", what, failure, attempt, retry.maxAttempts(),
                wait.toMillis());
        try {
            Thread.sleep(wait.toMillis(), wait.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SheetsException(what + ": interrupted while waiting to retry", 0, attempt, e);
        }
    }

    /** Retry-After in seconds or as an HTTP date, at most {@link Retry#MAX_RETRY_AFTER}. */
    Optional<Duration> retryAfter(HttpResponse<String> r) {
        Optional<String> header = r.headers().firstValue("Retry-After");
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String v = header.get().strip();
        Duration d;
        try {
            d = Duration.ofSeconds(Long.parseLong(v));
        } catch (NumberFormatException e) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                d = Duration.between(clock.instant(), at);
            } catch (DateTimeParseException x) {
                return Optional.empty();
            }
        }
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        return Optional.of(d.compareTo(Retry.MAX_RETRY_AFTER) > 0 ? Retry.MAX_RETRY_AFTER : d);
    }

    static boolean retryable(int status, String google) {
        // Google answers quota exhaustion with 429; a few older paths say 403 with a rate-limit reason
        return status == 429 || status == 408 || status >= 500
                || (status == 403 && (google.contains("RESOURCE_EXHAUSTED") || google.contains("ateLimitExceeded")
                        || google.toLowerCase(Locale.ROOT).contains("quota exceeded")));
    }

    private String refusal(int status, String what, String google) {
        return switch (status) {
            case 403 -> what + ": permission denied (HTTP 403" + google + "). " + (grant != null
                    ? grant.whenForbidden()
                    : "An API key reads only spreadsheets shared as \"Anyone with the link\" and needs the Google Sheets"
                            + " API enabled; share the spreadsheet that way or use a service account");
            case 404 -> what + ": spreadsheet " + spreadsheetId + " not found (HTTP 404" + google + "). Check the"
                    + " spreadsheet id or URL";
            case 401 -> what + ": unauthorized (HTTP 401" + google + ")" + (grant != null
                    ? " even with a new access token for " + grant.who() : ": check the API key");
            case 400 -> what + ": HTTP 400" + google + (google.contains("not supported for this document")
                    ? ". The file is not a Google Sheets spreadsheet (an Excel or CSV file kept in Google Drive, which"
                            + " Google Sheets opens but its API does not read): open it in Google Sheets, choose"
                            + " File > Save as Google Sheets, and read the new spreadsheet"
                    : "");
            default -> what + ": HTTP " + status + google;
        };
    }

    /** {@code ": <message> [<status>]"} from Google's error body, or empty. */
    static String googleMessage(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode error = root == null ? null : root.get("error");
            if (error == null) {
                return "";
            }
            if (error.isTextual()) {
                // OAuth token endpoint: {"error": "invalid_grant", "error_description": "..."}
                JsonNode d = root.get("error_description");
                return ": " + error.asText() + (d == null ? "" : " (" + d.asText() + ")");
            }
            String message = error.path("message").asText("");
            String st = error.path("status").asText("");
            StringBuilder reasons = new StringBuilder();
            for (JsonNode e : error.path("errors")) {
                reasons.append(' ').append(e.path("reason").asText(""));
            }
            return ": " + message + (st.isEmpty() ? "" : " [" + st + "]") + reasons.toString().stripTrailing();
        } catch (JsonProcessingException e) {
            return "";
        }
    }

    private static JsonNode parse(String body, String what, int attempt) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new SheetsException(what + ": the answer is not JSON (" + e.getOriginalMessage() + ")", 200, attempt,
                    e);
        }
        if (root == null || !root.isObject()) {
            // an empty body (a proxy's) read as an empty sheet would blame the sheet's header, or list no sheets
            throw new SheetsException(what + ": the answer is not a JSON object ("
                    + (root == null || root.isMissingNode() ? "empty body" : root.getNodeType().toString()) + ")",
                    200, attempt, null);
        }
        return root;
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Asks the grant's token endpoint for an access token, with the API's retries (429, 408, 5xx, connection errors);
     * a refusal (another 4xx) is not retried and says what to do. The form (secret) is neither logged nor quoted,
     * and what the server answers is {@linkplain TokenGrant#redact redacted} before it is. Used by
     * {@link TokenSource}.
     */
    JsonNode postForm(TokenGrant grant, Instant now) {
        String what = "requesting an access token for " + grant.who() + " at " + grant.tokenUri();
        for (int attempt = 1; ; attempt++) {
            HttpRequest request = HttpRequest.newBuilder(grant.tokenUri()).timeout(timeout)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(grant.form(now))).build();
            Exchange x = send(request, what, attempt);
            if (x.response == null) {
                continue;
            }
            HttpResponse<String> r = x.response;
            int status = r.statusCode();
            if (status == 200) {
                return parse(r.body(), what, attempt);
            }
            String google = grant.redact(googleMessage(r.body()));
            if (status == 429 || status == 408 || status >= 500) {
                pause(r, what, attempt, "HTTP " + status + google);
                continue;
            }
            throw new SheetsException(what + ": refused (HTTP " + status + google + "). "
                    + grant.whatToDo(status, oauthError(r.body())), status, attempt, null);
        }
    }

    /** The OAuth {@code error} code of a token endpoint's answer ({@code invalid_grant}), or empty. */
    static String oauthError(String body) {
        try {
            JsonNode root = body == null || body.isBlank() ? null : JSON.readTree(body);
            JsonNode error = root == null ? null : root.get("error");
            return error != null && error.isTextual() ? error.asText() : "";
        } catch (JsonProcessingException e) {
            return "";
        }
    }
}
