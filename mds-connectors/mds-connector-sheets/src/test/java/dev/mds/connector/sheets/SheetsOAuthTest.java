package dev.mds.connector.sheets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.Record;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OAuth user credentials (client id, client secret, refresh token) against the fake Google token endpoint and API. */
class SheetsOAuthTest {
    private static final String ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";

    @TempDir
    Path dir;
    private MutableClock clock;
    private FakeGoogle google;

    @BeforeEach
    void start() throws IOException {
        clock = new MutableClock(Instant.now());
        google = new FakeGoogle(clock);
        google.sheet(ID, "pricing", 10, List.of(
                Arrays.asList("package", "price"), Arrays.asList("starter", "7"), Arrays.asList("medium", "10")));
    }

    @AfterEach
    void stop() {
        google.close();
    }

    private SheetsCredentials user(String clientId, String clientSecret, String refreshToken) {
        return SheetsCredentials.oauth(clientId, clientSecret, refreshToken, google.tokenUri());
    }

    private SheetsCredentials user() {
        return user(FakeGoogle.CLIENT_ID, FakeGoogle.CLIENT_SECRET, FakeGoogle.REFRESH_TOKEN);
    }

    private SheetsSource source(SheetsCredentials credentials) {
        return SheetsSource.builder().spreadsheet(ID).credentials(credentials).endpoint(google.endpoint()).clock(clock)
                .retries(3, Duration.ofMillis(1), Duration.ofMillis(5)).build();
    }

    private static List<List<Object>> rows(SheetsSource source) {
        return source.batches("pricing").flatMap(b -> b.records().stream()).map(Record::values)
                .map(v -> (List<Object>) new ArrayList<>(v)).toList();
    }

    /** Every text the exception shows: messages of it and its causes, and its stack trace. */
    private static String shown(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w + " " + e;
    }

    private void assertNoSecretIn(String text) {
        assertThat(text).doesNotContain(FakeGoogle.CLIENT_SECRET).doesNotContain(FakeGoogle.REFRESH_TOKEN)
                .doesNotContain("GOCSPX").doesNotContain("1//0g").doesNotContain("ya29");
    }

    @Test
    void readsASheetWithAnAccessTokenFromTheRefreshTokenGrant() {
        SheetsSource source = source(user());
        assertThat(rows(source)).containsExactly(List.of("starter", "7"), List.of("medium", "10"));

        List<FakeGoogle.Request> tokenRequests = google.requests().stream().filter(q -> q.path().equals("/token"))
                .toList();
        assertThat(tokenRequests).singleElement().satisfies(q -> {
            assertThat(q.method()).isEqualTo("POST");
            assertThat(q.contentType()).isEqualTo("application/x-www-form-urlencoded");
            // decoded by the server: the '+', '/', '=' and '&' of the secret and token were form-encoded
            assertThat(q.form()).containsOnly(Map.entry("grant_type", "refresh_token"),
                    Map.entry("client_id", FakeGoogle.CLIENT_ID), Map.entry("client_secret", FakeGoogle.CLIENT_SECRET),
                    Map.entry("refresh_token", FakeGoogle.REFRESH_TOKEN));
        });
        assertThat(google.requests()).filteredOn(q -> q.path().startsWith("/v4/")).hasSize(2)
                .allSatisfy(q -> {
                    assertThat(q.authorization()).isEqualTo("Bearer ya29.user-token-1");
                    assertThat(q.query()).doesNotContainKey("key");
                    assertThat(q.userProject()).isNull();
                });
        assertThat(google.tokenRefusals()).isEmpty();
    }

    @Test
    void theAccessTokenIsReusedAcrossRequestsAndRefreshedShortlyBeforeItExpires() {
        google.expiresIn(3599);     // what Google answers
        SheetsSource source = source(user());
        source.sheets();
        rows(source);
        rows(source);
        assertThat(google.tokensIssued()).isEqualTo(1);
        assertThat(google.count("/v4/")).isEqualTo(5);     // 1 + 2 + 2 requests, one token

        clock.advance(Duration.ofMinutes(54));      // 5 min 59 s left: kept
        rows(source);
        assertThat(google.tokensIssued()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(1));       // 4 min 59 s left: refreshed before the next request
        rows(source);
        assertThat(google.tokensIssued()).isEqualTo(2);
        assertThat(google.count("/token")).isEqualTo(2);
        FakeGoogle.Request last = google.requests().get(google.requests().size() - 1);
        assertThat(last.authorization()).isEqualTo("Bearer ya29.user-token-2");
        assertThat(google.tokenRefusals()).isEmpty();
    }

    @Test
    void a401FromTheApiRefreshesTheTokenOnceAndSendsTheRequestAgain() {
        SheetsSource source = source(user());
        assertThat(source.sheets()).containsExactly("pricing");
        google.revokeTokens();      // the access token stops working before its time
        google.clearRequests();

        assertThat(rows(source)).hasSize(2);
        assertThat(google.tokensIssued()).isEqualTo(2);
        assertThat(google.requests()).extracting(FakeGoogle.Request::path).containsExactly(
                "/v4/spreadsheets/" + ID, "/token", "/v4/spreadsheets/" + ID,
                "/v4/spreadsheets/" + ID + "/values/'pricing'!1:10");
        assertThat(google.requests().get(0).authorization()).isEqualTo("Bearer ya29.user-token-1");
        assertThat(google.requests().get(2).authorization()).isEqualTo("Bearer ya29.user-token-2");
    }

    @Test
    void aRevokedRefreshTokenIsAClearErrorSentOnceSayingToAuthoriseAgain() {
        google.revokeRefreshToken();
        SheetsSource source = source(user());
        assertThatThrownBy(source::sheets)
                .isInstanceOf(SheetsException.class)
                .hasMessageStartingWith("requesting an access token for OAuth user credentials of client "
                        + FakeGoogle.CLIENT_ID + " at " + google.tokenUri() + ": refused (HTTP 400: invalid_grant"
                        + " (Token has been expired or revoked.)). The refresh token was revoked or has expired")
                .hasMessageContaining("authorise again")
                .satisfies(e -> {
                    assertThat(((SheetsException) e).status()).hasValue(400);
                    assertThat(((SheetsException) e).attempts()).isEqualTo(1);
                    assertNoSecretIn(shown(e));
                });
        assertThat(google.count("/token")).isEqualTo(1);         // not retried
        assertThat(google.count("/v4/")).isZero();
        assertThat(google.tokenRefusals()).containsExactly("invalid_grant: Token has been expired or revoked.");
    }

    @Test
    void aRefreshTokenRevokedWhileReadingFailsAtTheNextRefreshWithoutRetries() {
        SheetsSource source = source(user());
        source.sheets();
        google.revokeRefreshToken();
        google.revokeTokens();      // revoking the grant also kills its access tokens
        assertThatThrownBy(() -> rows(source)).isInstanceOf(SheetsException.class)
                .hasMessageContaining("invalid_grant").hasMessageContaining("authorise again")
                .satisfies(e -> assertNoSecretIn(shown(e)));
        assertThat(google.count("/token")).isEqualTo(2);
    }

    @Test
    void aWrongClientSecretOrUnknownClientIdIsAClearErrorSayingToCheckTheClient() {
        for (SheetsCredentials bad : List.of(
                user(FakeGoogle.CLIENT_ID, "GOCSPX-not+the/secret", FakeGoogle.REFRESH_TOKEN),
                user("999-other.apps.googleusercontent.com", FakeGoogle.CLIENT_SECRET, FakeGoogle.REFRESH_TOKEN))) {
            google.clearRequests();
            assertThatThrownBy(() -> source(bad).sheets())
                    .isInstanceOf(SheetsException.class)
                    .hasMessageContaining("refused (HTTP 401: invalid_client")
                    .hasMessageContaining("check the client id and client secret")
                    .satisfies(e -> {
                        assertThat(((SheetsException) e).attempts()).isEqualTo(1);
                        assertNoSecretIn(shown(e));
                        assertThat(shown(e)).doesNotContain("GOCSPX-not+the/secret");
                    });
            assertThat(google.count("/token")).isEqualTo(1);
        }
        assertThat(google.tokenRefusals()).containsExactly("invalid_client: Unauthorized",
                "invalid_client: The OAuth client was not found.");
    }

    @Test
    void tokenEndpointOutagesAndRateLimitsAreRetriedLikeTheApi() {
        google.fail(q -> q.path().equals("/token"), 1, new FakeGoogle.Fault(503, Map.of(), ""));
        google.fail(q -> q.path().equals("/token"), 1, new FakeGoogle.Fault(429, Map.of("Retry-After", "0"),
                "{\"error\": \"rate_limit_exceeded\"}"));
        assertThat(rows(source(user()))).hasSize(2);
        assertThat(google.count("/token")).isEqualTo(3);
        assertThat(google.tokensIssued()).isEqualTo(1);

        google.fail(q -> q.path().equals("/token"), 3, new FakeGoogle.Fault(500, Map.of(), ""));
        assertThatThrownBy(() -> source(user()).sheets()).isInstanceOf(SheetsException.class)
                .hasMessageContaining("gave up after 3 attempts, the last answered HTTP 500")
                .satisfies(e -> assertNoSecretIn(shown(e)));
    }

    @Test
    void aSecretEchoedByTheTokenEndpointIsRedactedFromTheMessage() {
        google.fail(q -> q.path().equals("/token"), 1, new FakeGoogle.Fault(400, Map.of(),
                "{\"error\": \"invalid_request\", \"error_description\": \"bad refresh_token "
                        + FakeGoogle.REFRESH_TOKEN + " for secret " + FakeGoogle.CLIENT_SECRET + "\"}"));
        assertThatThrownBy(() -> source(user()).sheets()).isInstanceOf(SheetsException.class)
                .hasMessageContaining("invalid_request (bad refresh_token **** for secret ****)")
                .hasMessageContaining("Check the client id, client secret and refresh token")
                .satisfies(e -> assertNoSecretIn(shown(e)));
    }

    @Test
    void theLogNeverShowsTheSecretTheRefreshTokenOrAnAccessToken() {
        // slf4j-simple (the tests' binding) writes to whatever System.err is at the time
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream err = System.err;
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            google.fail(q -> q.path().equals("/token"), 1, new FakeGoogle.Fault(503, Map.of(), ""));
            SheetsSource source = source(user());
            source.sheets();
            google.revokeTokens();
            rows(source);
            google.revokeTokens();
            google.revokeRefreshToken();
            assertThatThrownBy(source::sheets).isInstanceOf(SheetsException.class);
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(log).contains("HTTP 503; attempt 1 of 3")
                .contains("HTTP 401, fetching a new access token for OAuth user credentials of client "
                        + FakeGoogle.CLIENT_ID)
                .contains("access token for OAuth user credentials of client " + FakeGoogle.CLIENT_ID + " fetched");
        assertNoSecretIn(log);
    }

    @Test
    void forbiddenSaysTheGrantingAccountMustBeAbleToOpenTheSpreadsheet() {
        google.forbid(ID);
        assertThatThrownBy(() -> source(user()).sheets()).isInstanceOf(SheetsException.class)
                .hasMessageContaining("permission denied (HTTP 403")
                .hasMessageContaining("The Google account that granted the refresh token must be able to open the"
                        + " spreadsheet")
                .satisfies(e -> assertNoSecretIn(shown(e)));
    }

    @Test
    void toStringNamesTheClientOnly() {
        SheetsCredentials c = user();
        assertThat(c.toString()).isEqualTo("OAuth user credentials of client " + FakeGoogle.CLIENT_ID);
        assertNoSecretIn(c.toString());
        assertThat(c.clientEmail()).isEmpty();
        SheetsSource source = source(c);
        assertNoSecretIn(source.toString());
    }

    @Test
    void nullOrBlankArgumentsAreRefusedAtOnceNamingTheArgument() {
        String id = FakeGoogle.CLIENT_ID;
        String secret = FakeGoogle.CLIENT_SECRET;
        String refresh = FakeGoogle.REFRESH_TOKEN;
        assertThatThrownBy(() -> SheetsCredentials.oauth(null, secret, refresh))
                .isInstanceOf(NullPointerException.class).hasMessage("clientId is null");
        assertThatThrownBy(() -> SheetsCredentials.oauth(id, null, refresh))
                .isInstanceOf(NullPointerException.class).hasMessage("clientSecret is null");
        assertThatThrownBy(() -> SheetsCredentials.oauth(id, secret, null))
                .isInstanceOf(NullPointerException.class).hasMessage("refreshToken is null");
        assertThatThrownBy(() -> SheetsCredentials.oauth(id, secret, refresh, null))
                .isInstanceOf(NullPointerException.class).hasMessage("tokenUri is null");
        assertThatThrownBy(() -> SheetsCredentials.oauth(" ", secret, refresh))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("clientId is blank");
        assertThatThrownBy(() -> SheetsCredentials.oauth(id, "", refresh))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("clientSecret is blank");
        assertThatThrownBy(() -> SheetsCredentials.oauth(id, secret, "\t\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("refreshToken is blank");
        assertThatThrownBy(() -> SheetsCredentials.oauth(id, secret, refresh, URI.create("/token")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tokenUri /token is not an absolute http(s) URI");
        // values are stripped of surrounding white space (a pasted token often ends with a newline)
        assertThat(rows(source(user(" " + id, secret + "\n", refresh + " ")))).hasSize(2);
    }

    @Test
    void anAuthorizedUserFileIsReadWithItsTokenUriAndQuotaProject() throws IOException {
        Path file = google.writeAuthorizedUserFile(dir, "mds-billing");
        SheetsCredentials c = SheetsCredentials.authorizedUser(file);
        assertThat(c.toString()).isEqualTo("OAuth user credentials of client " + FakeGoogle.CLIENT_ID);
        assertThat(rows(source(c))).hasSize(2);
        assertThat(google.requests()).filteredOn(q -> q.path().startsWith("/v4/"))
                .allSatisfy(q -> assertThat(q.userProject()).isEqualTo("mds-billing"));
        assertThat(google.requests()).filteredOn(q -> q.path().equals("/token")).singleElement()
                .satisfies(q -> assertThat(q.form()).containsEntry("refresh_token", FakeGoogle.REFRESH_TOKEN));
        google.clearRequests();
        assertThat(rows(source(SheetsCredentials.authorizedUser(google.writeAuthorizedUserFile(dir, null)))))
                .hasSize(2);
        assertThat(google.requests()).allSatisfy(q -> assertThat(q.userProject()).isNull());
    }

    @Test
    void credentialFilesOfAnotherTypeOrMissingAFieldAreRefusedSayingWhatToUseWithoutQuotingThem() throws Exception {
        Path serviceAccount = google.writeKeyFile(dir);
        assertThatThrownBy(() -> SheetsCredentials.authorizedUser(serviceAccount))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has \"type\": \"service_account\", not \"authorized_user\": it is a service"
                        + " account key: read it with SheetsCredentials.serviceAccount")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("PRIVATE KEY"));
        Path user = google.writeAuthorizedUserFile(dir, null);
        assertThatThrownBy(() -> SheetsCredentials.serviceAccount(user))
                .hasMessageContaining("has \"type\": \"authorized_user\", not \"service_account\": it is an OAuth user"
                        + " credential (a refresh token): read it with SheetsCredentials.authorizedUser")
                .satisfies(e -> assertNoSecretIn(e.getMessage()));
        Path external = Files.writeString(dir.resolve("external.json"), "{\"type\": \"external_account\","
                + " \"audience\": \"//iam.googleapis.com/x\"}");
        for (Path f : List.of(external)) {
            assertThatThrownBy(() -> SheetsCredentials.authorizedUser(f))
                    .hasMessageContaining("\"external_account\"")
                    .hasMessageContaining("this type is not supported; the types read are \"service_account\"");
            assertThatThrownBy(() -> SheetsCredentials.serviceAccount(f))
                    .hasMessageContaining("this type is not supported");
        }
        Path noToken = Files.writeString(dir.resolve("no-token.json"), "{\"type\": \"authorized_user\", \"client_id\":"
                + " \"" + FakeGoogle.CLIENT_ID + "\", \"client_secret\": \"" + FakeGoogle.CLIENT_SECRET + "\"}");
        assertThatThrownBy(() -> SheetsCredentials.authorizedUser(noToken))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no \"refresh_token\"")
                .satisfies(e -> assertNoSecretIn(e.getMessage()));
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"type\": \"authorized_user\",\n"
                + "\"client_secret\": \"" + FakeGoogle.CLIENT_SECRET + "\",\n\"refresh_token\": \""
                + FakeGoogle.REFRESH_TOKEN);
        assertThatThrownBy(() -> SheetsCredentials.authorizedUser(broken))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not JSON (line 3)")
                .satisfies(e -> assertNoSecretIn(shown(e)));
        Path badUri = Files.writeString(dir.resolve("bad-uri.json"), "{\"type\": \"authorized_user\", \"client_id\":"
                + " \"a\", \"client_secret\": \"b\", \"refresh_token\": \"c\", \"token_uri\": \"oauth2/token\"}");
        assertThatThrownBy(() -> SheetsCredentials.authorizedUser(badUri))
                .hasMessageContaining("token_uri 'oauth2/token' is not an absolute http(s) URI");
    }
}
