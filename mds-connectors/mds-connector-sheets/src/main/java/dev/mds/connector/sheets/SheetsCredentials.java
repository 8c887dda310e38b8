package dev.mds.connector.sheets;

import dev.mds.connector.sheets.internal.OAuthUser;
import dev.mds.connector.sheets.internal.ServiceAccountKey;
import dev.mds.connector.sheets.internal.TokenGrant;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link SheetsSource} authenticates to Google: a service account's JSON key (the spreadsheet is shared with the
 * account's e-mail), an OAuth user's refresh token (the spreadsheet is one the Google account that granted it can
 * open: Airbyte's "Authenticate via Google (OAuth)") or an API key (the spreadsheet is shared as "anyone with the
 * link"). Never printed: its {@link #toString()} names the account or the OAuth client, never a key, secret or token.
 *
 * <pre>{@code
 * SheetsCredentials sa = SheetsCredentials.serviceAccount(Path.of("/secrets/sheets-reader.json"));
 * SheetsCredentials user = SheetsCredentials.oauth(System.getenv("GOOGLE_CLIENT_ID"),
 *     System.getenv("GOOGLE_CLIENT_SECRET"), System.getenv("GOOGLE_REFRESH_TOKEN"));
 * SheetsCredentials key = SheetsCredentials.apiKey(System.getenv("GOOGLE_API_KEY"));
 * }</pre>
 *
 * <p>A service account signs a JWT (RS256) with its private key and trades it at the key's {@code token_uri} for an
 * access token of scope {@code spreadsheets.readonly}; OAuth user credentials trade the refresh token (grant
 * {@code refresh_token}, with the client id and secret) at the token URI. Either way the access token is kept until
 * five minutes before it expires, and fetched again then or once when the API answers 401.
 */
public final class SheetsCredentials {
    private final TokenGrant grant;
    private final String apiKey;

    private SheetsCredentials(TokenGrant grant, String apiKey) {
        this.grant = grant;
        this.apiKey = apiKey;
    }

    /**
     * A service account's JSON key file, read and checked now.
     *
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException when it is not a service-account key (the message names the field, never
     *     quotes the key)
     */
    public static SheetsCredentials serviceAccount(Path jsonKeyFile) {
        Objects.requireNonNull(jsonKeyFile, "jsonKeyFile");
        return new SheetsCredentials(ServiceAccountKey.parse(read(jsonKeyFile, "service account key"),
                jsonKeyFile.toString()), null);
    }

    /**
     * A service account's JSON key given as text (as Airbyte's {@code service_account_info} takes it).
     *
     * @throws IllegalArgumentException when it is not a service-account key
     */
    public static SheetsCredentials serviceAccountJson(String json) {
        return new SheetsCredentials(ServiceAccountKey.parse(json, "the service account key"), null);
    }

    /**
     * OAuth user credentials, as Airbyte's "Authenticate via Google (OAuth)" keeps them: the OAuth client's id and
     * secret and a refresh token that a Google account granted that client, with a scope that reads spreadsheets
     * ({@code spreadsheets.readonly}, {@code spreadsheets} or {@code drive.readonly}). Tokens are asked of Google's
     * endpoint {@code https://oauth2.googleapis.com/token}.
     *
     * @throws NullPointerException naming the argument that is null
     * @throws IllegalArgumentException naming the argument that is blank (never quoting a value)
     */
    public static SheetsCredentials oauth(String clientId, String clientSecret, String refreshToken) {
        return oauth(clientId, clientSecret, refreshToken, ServiceAccountKey.DEFAULT_TOKEN_URI);
    }

    /**
     * OAuth user credentials whose tokens are asked of {@code tokenUri} instead of Google's endpoint (a proxy or a
     * test server).
     *
     * @throws NullPointerException naming the argument that is null
     * @throws IllegalArgumentException naming the argument that is blank, or when the URI is not absolute http(s)
     */
    public static SheetsCredentials oauth(String clientId, String clientSecret, String refreshToken, URI tokenUri) {
        return new SheetsCredentials(OAuthUser.of(clientId, clientSecret, refreshToken, tokenUri), null);
    }

    /**
     * An OAuth user credential file: JSON of {@code "type": "authorized_user"} with {@code client_id},
     * {@code client_secret} and {@code refresh_token}, as {@code gcloud auth application-default login} writes it;
     * its optional {@code token_uri} replaces Google's token endpoint and its optional {@code quota_project_id} is
     * sent as {@code x-goog-user-project} (the project billed for the requests, needed with gcloud's own client).
     *
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException when it is another kind of credential file (saying which to use) or lacks a
     *     field (naming it, never quoting the file)
     */
    public static SheetsCredentials authorizedUser(Path jsonFile) {
        Objects.requireNonNull(jsonFile, "jsonFile");
        return new SheetsCredentials(OAuthUser.parse(read(jsonFile, "OAuth user credential"), jsonFile.toString()),
                null);
    }

    /**
     * An API key, sent as the {@code key} parameter; it reads only spreadsheets anyone with the link can view.
     *
     * @throws IllegalArgumentException when blank
     */
    public static SheetsCredentials apiKey(String apiKey) {
        Objects.requireNonNull(apiKey, "apiKey");
        if (apiKey.isBlank()) {
            throw new IllegalArgumentException("apiKey is blank");
        }
        return new SheetsCredentials(null, apiKey.strip());
    }

    private static String read(Path file, String what) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the " + what + " file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The service account's e-mail, the address to share spreadsheets with; empty for OAuth and API keys. */
    public Optional<String> clientEmail() {
        return grant instanceof ServiceAccountKey sa ? Optional.of(sa.clientEmail()) : Optional.empty();
    }

    TokenGrant grant() {
        return grant;
    }

    String key() {
        return apiKey;
    }

    @Override
    public String toString() {
        return grant != null ? grant.toString() : "API key ****";
    }
}
