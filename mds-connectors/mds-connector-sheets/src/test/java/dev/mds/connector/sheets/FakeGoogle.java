package dev.mds.connector.sheets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for Google's Sheets API v4 and OAuth token endpoint, with the shapes and checks of the real ones:
 * {@code GET /v4/spreadsheets/{id}?fields=sheets.properties}, {@code GET /v4/spreadsheets/{id}/values/{range}} (trailing
 * empty cells and rows omitted, 400 beyond the grid), {@code POST /token} (JWT bearer grant, RS256 signature verified
 * with the public key of the test's key pair; or refresh-token grant, client id, secret and refresh token checked,
 * refused as Google does with {@code invalid_client} or {@code invalid_grant}). API requests need a token it issued
 * (or the API key). Faults can be scripted per request.
 */
final class FakeGoogle implements AutoCloseable {
    static final String EMAIL = "sheets-reader@mds-test.iam.gserviceaccount.com";
    static final String API_KEY = "AIzaTestKey-123";
    static final String SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly";
    static final String CLIENT_ID = "123456789012-mdstest.apps.googleusercontent.com";
    static final String CLIENT_SECRET = "GOCSPX-fake+secret/of=the&client";
    static final String REFRESH_TOKEN = "1//0gFakeRefreshToken-of+the/user=";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RANGE = Pattern.compile("^(?:'((?:[^']|'')*)'|([^!']+))!(\\d+):(\\d+)$");

    /** One request as the server saw it. */
    record Request(String method, String path, Map<String, String> query, String authorization, Instant at,
            long nanos, String contentType, Map<String, String> form, String userProject) {
        /** The decoded A1 range of a values request, or null. */
        String range() {
            int i = path.indexOf("/values/");
            return i < 0 ? null : path.substring(i + "/values/".length());
        }
    }

    /** A scripted answer: status, headers, body. */
    record Fault(int status, Map<String, String> headers, String body) {
    }

    static final class Sheet {
        final String title;
        final long id;
        final String type;
        final List<List<String>> rows;
        /**
         * The cells as another valueRenderOption gives them ({@code FORMULA}, {@code UNFORMATTED_VALUE}), each cell
         * given or null for "as formatted"; {@link #rows} are the formatted values.
         */
        final Map<String, List<List<String>>> rendered = new HashMap<>();
        long rowCount;
        long columnCount = 26;

        Sheet(String title, long id, String type, List<List<String>> rows, long rowCount) {
            this.title = title;
            this.id = id;
            this.type = type;
            this.rows = rows;
            this.rowCount = rowCount;
        }
    }

    private final HttpServer server;
    private final KeyPair keys;
    private final Clock clock;
    private final Map<String, Map<String, Sheet>> spreadsheets = new HashMap<>();
    private final Set<String> forbidden = new HashSet<>();
    private final Set<String> validTokens = Collections.synchronizedSet(new HashSet<>());
    private final AtomicInteger issued = new AtomicInteger();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Map.Entry<Predicate<Request>, Fault>> faults = new CopyOnWriteArrayList<>();
    private final List<String> tokenRefusals = new CopyOnWriteArrayList<>();
    private final Set<String> validRefreshTokens = Collections.synchronizedSet(new HashSet<>(Set.of(REFRESH_TOKEN)));
    private volatile long expiresIn = 3600;
    private long nextSheetId = 0;

    static {
        // answers go out at once, not after the client's delayed ACK (Nagle's algorithm held each answer's body
        // ~40 ms): read by ServerConfig when the first server starts
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    FakeGoogle(Clock clock) throws IOException {
        this.clock = clock;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            this.keys = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    URI tokenUri() {
        return endpoint().resolve("/token");
    }

    /** A sheet of these rows (row 1 first); the grid has {@code rowCount} rows. */
    synchronized Sheet sheet(String spreadsheet, String title, long rowCount, List<List<String>> rows) {
        Sheet s = new Sheet(title, nextSheetId++ * 1_000_003L, "GRID", new ArrayList<>(rows), rowCount);
        spreadsheets.computeIfAbsent(spreadsheet, k -> new LinkedHashMap<>()).put(title, s);
        return s;
    }

    synchronized void chart(String spreadsheet, String title) {
        Sheet s = new Sheet(title, nextSheetId++ * 1_000_003L, "OBJECT", List.of(), 0);
        spreadsheets.computeIfAbsent(spreadsheet, k -> new LinkedHashMap<>()).put(title, s);
    }

    /** A Connected Sheets (BigQuery, Looker) data source sheet. */
    synchronized void dataSource(String spreadsheet, String title) {
        Sheet s = new Sheet(title, nextSheetId++ * 1_000_003L, "DATA_SOURCE", List.of(), 0);
        spreadsheets.computeIfAbsent(spreadsheet, k -> new LinkedHashMap<>()).put(title, s);
    }

    synchronized void remove(String spreadsheet, String title) {
        spreadsheets.get(spreadsheet).remove(title);
    }

    /** The spreadsheet exists but is not shared with anyone calling. */
    synchronized void forbid(String spreadsheet) {
        forbidden.add(spreadsheet);
    }

    /** Answers the next {@code times} requests matching {@code which} with {@code fault}. */
    void fail(Predicate<Request> which, int times, Fault fault) {
        for (int i = 0; i < times; i++) {
            faults.add(Map.entry(which, fault));
        }
    }

    /** Every access token issued so far stops working (as when revoked). */
    void revokeTokens() {
        validTokens.clear();
    }

    /** The user revoked the app's access: the refresh token is refused with {@code invalid_grant}. */
    void revokeRefreshToken() {
        validRefreshTokens.clear();
    }

    void expiresIn(long seconds) {
        this.expiresIn = seconds;
    }

    int tokensIssued() {
        return issued.get();
    }

    List<String> tokenRefusals() {
        return tokenRefusals;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<String> ranges() {
        return requests.stream().map(Request::range).filter(r -> r != null).toList();
    }

    long count(String pathPrefix) {
        return requests.stream().filter(r -> r.path().startsWith(pathPrefix)).count();
    }

    void clearRequests() {
        requests.clear();
    }

    /** Writes a service-account key file as the Cloud console does, for this server's key pair and token URI. */
    Path writeKeyFile(Path dir) throws IOException {
        return writeKeyFile(dir, keys);
    }

    /** A key file holding another key pair's private key (the server will refuse its JWTs). */
    Path writeForeignKeyFile(Path dir) throws IOException, GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return writeKeyFile(dir, g.generateKeyPair());
    }

    private Path writeKeyFile(Path dir, KeyPair pair) throws IOException {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPrivate().getEncoded());
        ObjectNode key = JSON.createObjectNode()
                .put("type", "service_account")
                .put("project_id", "mds-test")
                .put("private_key_id", "0123456789abcdef")
                .put("private_key", "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n")
                .put("client_email", EMAIL)
                .put("client_id", "104242424242424242424")
                .put("auth_uri", "https://accounts.google.com/o/oauth2/auth")
                .put("token_uri", tokenUri().toString())
                .put("universe_domain", "googleapis.com");
        Path file = Files.createTempFile(dir, "service-account", ".json");
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(key));
        return file;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ------------------------------------------------------------------------------------------------ serving

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            Map<String, String> query = query(x.getRequestURI().getRawQuery());
            Map<String, String> form = x.getRequestMethod().equals("POST")
                    ? query(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)) : Map.of();
            Request r = new Request(x.getRequestMethod(), path, query,
                    x.getRequestHeaders().getFirst("Authorization"), clock.instant(), System.nanoTime(),
                    x.getRequestHeaders().getFirst("Content-Type"), form, x.getRequestHeaders().getFirst(
                            "x-goog-user-project"));
            requests.add(r);
            for (Map.Entry<Predicate<Request>, Fault> f : faults) {
                if (f.getKey().test(r) && faults.remove(f)) {
                    f.getValue().headers().forEach((k, v) -> x.getResponseHeaders().add(k, v));
                    send(x, f.getValue().status(), f.getValue().body());
                    return;
                }
            }
            if (path.equals("/token")) {
                token(x, r);
            } else if (path.startsWith("/v4/spreadsheets/")) {
                api(x, r);
            } else {
                send(x, 404, "<html>Not Found</html>");
            }
        }
    }

    private void token(HttpExchange x, Request r) throws IOException {
        if (!x.getRequestMethod().equals("POST")) {
            send(x, 405, "");
            return;
        }
        if (!"application/x-www-form-urlencoded".equals(r.contentType())) {
            tokenRefusals.add("Content-Type " + r.contentType());
            send(x, 400, JSON.createObjectNode().put("error", "invalid_request")
                    .put("error_description", "Invalid Content-Type").toString());
            return;
        }
        Map<String, String> form = r.form();
        if ("refresh_token".equals(form.get("grant_type"))) {
            refreshGrant(x, form);
            return;
        }
        String refusal = checkGrant(form);
        if (refusal != null) {
            tokenRefusals.add(refusal);
            send(x, 400, JSON.createObjectNode().put("error", "invalid_grant").put("error_description", refusal)
                    .toString());
            return;
        }
        String token = "ya29.test-token-" + issued.incrementAndGet();
        validTokens.add(token);
        send(x, 200, JSON.createObjectNode().put("access_token", token).put("expires_in", expiresIn)
                .put("token_type", "Bearer").toString());
    }

    /**
     * The refresh-token grant as Google answers it: exactly the fields grant_type, client_id, client_secret,
     * refresh_token; an unknown client 401 {@code invalid_client} "The OAuth client was not found.", a wrong secret 401
     * {@code invalid_client} "Unauthorized", a revoked or unknown refresh token 400 {@code invalid_grant}.
     */
    private void refreshGrant(HttpExchange x, Map<String, String> form) throws IOException {
        int status;
        String error;
        String description;
        if (!form.keySet().equals(Set.of("grant_type", "client_id", "client_secret", "refresh_token"))) {
            status = 400;
            error = "invalid_request";
            description = "unexpected form fields " + new java.util.TreeSet<>(form.keySet());
        } else if (!CLIENT_ID.equals(form.get("client_id"))) {
            status = 401;
            error = "invalid_client";
            description = "The OAuth client was not found.";
        } else if (!CLIENT_SECRET.equals(form.get("client_secret"))) {
            status = 401;
            error = "invalid_client";
            description = "Unauthorized";
        } else if (!validRefreshTokens.contains(form.get("refresh_token"))) {
            status = 400;
            error = "invalid_grant";
            description = "Token has been expired or revoked.";
        } else {
            String token = "ya29.user-token-" + issued.incrementAndGet();
            validTokens.add(token);
            send(x, 200, JSON.createObjectNode().put("access_token", token).put("expires_in", expiresIn)
                    .put("scope", SCOPE).put("token_type", "Bearer").toString());
            return;
        }
        tokenRefusals.add(error + ": " + description);
        send(x, status, JSON.createObjectNode().put("error", error).put("error_description", description).toString());
    }

    /** An {@code authorized_user} file as gcloud writes it, for this server's token URI, with a quota project or none. */
    Path writeAuthorizedUserFile(Path dir, String quotaProject) throws IOException {
        ObjectNode json = JSON.createObjectNode()
                .put("account", "")
                .put("client_id", CLIENT_ID)
                .put("client_secret", CLIENT_SECRET)
                .put("refresh_token", REFRESH_TOKEN)
                .put("token_uri", tokenUri().toString())
                .put("type", "authorized_user")
                .put("universe_domain", "googleapis.com");
        if (quotaProject != null) {
            json.put("quota_project_id", quotaProject);
        }
        Path file = Files.createTempFile(dir, "application_default_credentials", ".json");
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        return file;
    }

    /** What Google checks of a JWT bearer grant; null when it is good. */
    private String checkGrant(Map<String, String> form) {
        if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(form.get("grant_type"))) {
            return "Invalid grant_type: " + form.get("grant_type");
        }
        String jwt = form.get("assertion");
        String[] parts = jwt == null ? new String[0] : jwt.split("\\.", -1);
        if (parts.length != 3) {
            return "Invalid JWT: not three segments";
        }
        try {
            JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
            JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            if (!"RS256".equals(header.path("alg").asText())) {
                return "Invalid JWT: alg " + header.path("alg").asText();
            }
            if (!verify(keys.getPublic(), parts[0] + "." + parts[1], Base64.getUrlDecoder().decode(parts[2]))) {
                return "Invalid JWT Signature.";
            }
            long iat = claims.path("iat").asLong();
            long exp = claims.path("exp").asLong();
            long now = clock.instant().getEpochSecond();
            if (!EMAIL.equals(claims.path("iss").asText())) {
                return "Invalid JWT: iss " + claims.path("iss").asText();
            }
            if (!tokenUri().toString().equals(claims.path("aud").asText())) {
                return "Invalid JWT: aud " + claims.path("aud").asText();
            }
            if (!SCOPE.equals(claims.path("scope").asText())) {
                return "Invalid JWT: scope " + claims.path("scope").asText();
            }
            if (exp - iat != 3600 || Math.abs(iat - now) > 300) {
                return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe";
            }
            return null;
        } catch (IOException | IllegalArgumentException | GeneralSecurityException e) {
            return "Invalid JWT: " + e;
        }
    }

    private static boolean verify(PublicKey key, String signed, byte[] signature) throws GeneralSecurityException {
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initVerify(key);
        rs256.update(signed.getBytes(StandardCharsets.US_ASCII));
        return rs256.verify(signature);
    }

    private void api(HttpExchange x, Request r) throws IOException {
        String rest = r.path().substring("/v4/spreadsheets/".length());
        int slash = rest.indexOf('/');
        String id = slash < 0 ? rest : rest.substring(0, slash);
        String key = r.query().get("key");
        String auth = r.authorization();
        boolean authorized = API_KEY.equals(key)
                || (auth != null && auth.startsWith("Bearer ") && validTokens.contains(auth.substring(7)));
        if (!authorized) {
            if (key != null) {
                send(x, 400, error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT"));
            } else {
                send(x, 401, error(401, "Request had invalid authentication credentials. Expected OAuth 2 access"
                        + " token, login cookie or other valid authentication credential.", "UNAUTHENTICATED"));
            }
            return;
        }
        Map<String, Sheet> book;
        synchronized (this) {
            book = spreadsheets.get(id);
            if (book == null) {
                send(x, 404, error(404, "Requested entity was not found.", "NOT_FOUND"));
                return;
            }
            if (forbidden.contains(id)) {
                send(x, 403, error(403, "The caller does not have permission", "PERMISSION_DENIED"));
                return;
            }
            book = new LinkedHashMap<>(book);
        }
        if (slash < 0) {
            if (!"sheets.properties".equals(r.query().get("fields"))) {
                send(x, 400, error(400, "test server expects fields=sheets.properties", "INVALID_ARGUMENT"));
                return;
            }
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode sheets = answer.putArray("sheets");
            int index = 0;
            for (Sheet s : book.values()) {
                ObjectNode p = sheets.addObject().putObject("properties");
                p.put("sheetId", s.id).put("title", s.title).put("index", index++).put("sheetType", s.type);
                if (s.type.equals("GRID")) {
                    p.putObject("gridProperties").put("rowCount", s.rowCount).put("columnCount", s.columnCount);
                }
            }
            send(x, 200, answer.toString());
            return;
        }
        values(x, r, book);
    }

    private void values(HttpExchange x, Request r, Map<String, Sheet> book) throws IOException {
        String range = r.range();
        if (!"ROWS".equals(r.query().get("majorDimension")) || r.query().get("valueRenderOption") == null) {
            send(x, 400, error(400, "test server expects majorDimension=ROWS and a valueRenderOption",
                    "INVALID_ARGUMENT"));
            return;
        }
        Matcher m = RANGE.matcher(range);
        Sheet s = null;
        if (m.matches()) {
            String title = m.group(1) != null ? m.group(1).replace("''", "'") : m.group(2);
            s = book.get(title);
        }
        if (s == null || !s.type.equals("GRID")) {
            send(x, 400, error(400, "Unable to parse range: " + range, "INVALID_ARGUMENT"));
            return;
        }
        long first = Long.parseLong(m.group(3));
        long last = Long.parseLong(m.group(4));
        if (last > s.rowCount || first < 1 || first > last) {
            send(x, 400, error(400, "Range (" + range + ") exceeds grid limits. Max rows: " + s.rowCount
                    + ", max columns: " + s.columnCount, "INVALID_ARGUMENT"));
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (long row = first; row <= last && row <= s.rows.size(); row++) {
            List<String> cells = new ArrayList<>(s.rows.get((int) row - 1));
            List<List<String>> other = s.rendered.get(r.query().get("valueRenderOption"));
            if (other != null && row <= other.size()) {
                List<String> o = other.get((int) row - 1);
                for (int c = 0; c < o.size(); c++) {
                    if (o.get(c) != null) {
                        while (cells.size() <= c) {
                            cells.add("");
                        }
                        cells.set(c, o.get(c));
                    }
                }
            }
            while (!cells.isEmpty() && (cells.get(cells.size() - 1) == null || cells.get(cells.size() - 1).isEmpty())) {
                cells.remove(cells.size() - 1);
            }
            rows.add(cells);
        }
        while (!rows.isEmpty() && rows.get(rows.size() - 1).isEmpty()) {
            rows.remove(rows.size() - 1);
        }
        ObjectNode answer = JSON.createObjectNode();
        String quoted = s.title.matches("[A-Za-z0-9_]+") ? s.title : "'" + s.title.replace("'", "''") + "'";
        answer.put("range", quoted + "!A" + first + ":" + column((int) s.columnCount - 1) + last);
        answer.put("majorDimension", "ROWS");
        if (!rows.isEmpty()) {
            ArrayNode values = answer.putArray("values");
            for (List<String> row : rows) {
                ArrayNode a = values.addArray();
                row.forEach(c -> a.add(c == null ? "" : c));
            }
        }
        send(x, 200, answer.toString());
    }

    static String column(int index) {
        StringBuilder s = new StringBuilder();
        for (int n = index + 1; n > 0; n = (n - 1) / 26) {
            s.append((char) ('A' + (n - 1) % 26));
        }
        return s.reverse().toString();
    }

    static String error(int code, String message, String status) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("error").put("code", code).put("message", message).put("status", status);
        return root.toString();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        x.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
