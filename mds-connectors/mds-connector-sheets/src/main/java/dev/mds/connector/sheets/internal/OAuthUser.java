package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An OAuth 2.0 user's credentials: the OAuth client's id and secret and the refresh token a Google account granted it
 * (what Airbyte's "Authenticate via Google (OAuth)" keeps, and what {@code gcloud auth application-default login}
 * writes as an {@code authorized_user} file). Its access tokens come by the refresh-token grant (RFC 6749 section 6):
 * {@code grant_type=refresh_token&client_id=..&client_secret=..&refresh_token=..} posted to the token URI. The scopes
 * are those the account granted; they must include one that reads spreadsheets. Never printed: {@link #toString()}
 * names the client id only.
 */
public final class OAuthUser implements TokenGrant {
    private final String clientId;
    private final String clientSecret;
    private final String refreshToken;
    private final URI tokenUri;
    private final String quotaProject;

    private OAuthUser(String clientId, String clientSecret, String refreshToken, URI tokenUri, String quotaProject) {
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.refreshToken = refreshToken;
        this.tokenUri = tokenUri;
        this.quotaProject = quotaProject;
    }

    /**
     * Checked credentials: each text neither null nor blank (the message names the argument, never its value), the
     * token URI absolute http(s).
     *
     * @throws NullPointerException naming a null argument
     * @throws IllegalArgumentException naming a blank argument or a bad token URI
     */
    public static OAuthUser of(String clientId, String clientSecret, String refreshToken, URI tokenUri) {
        Objects.requireNonNull(tokenUri, "tokenUri is null");
        return new OAuthUser(check(clientId, "clientId"), check(clientSecret, "clientSecret"),
                check(refreshToken, "refreshToken"), CredentialFile.checkTokenUri(tokenUri, "tokenUri " + tokenUri),
                null);
    }

    private static String check(String value, String name) {
        Objects.requireNonNull(value, name + " is null");
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " is blank");
        }
        return value.strip();
    }

    /**
     * Reads an {@code authorized_user} JSON file's text ({@code client_id}, {@code client_secret},
     * {@code refresh_token}; optional {@code token_uri} and {@code quota_project_id}); {@code origin} names it in
     * messages, which never quote the file.
     *
     * @throws IllegalArgumentException when it is another type of credential or lacks a field, naming the field
     */
    public static OAuthUser parse(String json, String origin) {
        JsonNode root = CredentialFile.read(json, origin, CredentialFile.AUTHORIZED_USER,
                "an OAuth user credential file (\"type\": \"authorized_user\", as written by"
                        + " 'gcloud auth application-default login')");
        String tokenUri = CredentialFile.text(root, "token_uri");
        URI uri = tokenUri == null ? ServiceAccountKey.DEFAULT_TOKEN_URI
                : CredentialFile.tokenUri(tokenUri, origin, "token_uri");
        String project = CredentialFile.text(root, "quota_project_id");
        return new OAuthUser(required(root, "client_id", origin), required(root, "client_secret", origin),
                required(root, "refresh_token", origin), uri, project == null || project.isBlank() ? null
                        : project.strip());
    }

    private static String required(JsonNode root, String field, String origin) {
        String value = CredentialFile.text(root, field);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(origin + " has no \"" + field + "\": expected an OAuth user credential"
                    + " file with client_id, client_secret and refresh_token");
        }
        return value.strip();
    }

    /** The OAuth client's id (not a secret: it is shown on consent screens). */
    public String clientId() {
        return clientId;
    }

    @Override
    public URI tokenUri() {
        return tokenUri;
    }

    @Override
    public String form(Instant now) {
        return "grant_type=refresh_token&client_id=" + Api.encode(clientId) + "&client_secret="
                + Api.encode(clientSecret) + "&refresh_token=" + Api.encode(refreshToken);
    }

    @Override
    public String who() {
        return toString();
    }

    @Override
    public String whatToDo(int status, String error) {
        return switch (error) {
            case "invalid_grant" -> "The refresh token was revoked or has expired (the account removed the app's"
                    + " access, the token went unused for 6 months, the OAuth consent screen is in \"Testing\", whose"
                    + " tokens last 7 days, or over 100 newer tokens of the client replaced it): authorise again (Airbyte's \"Authenticate"
                    + " via Google\", or 'gcloud auth application-default login' for an authorized_user file) and use"
                    + " the new refresh token";
            case "invalid_client" -> "Google does not know the OAuth client or its secret: check the client id and"
                    + " client secret (Google Cloud console, APIs & Services, Credentials); the refresh token must have"
                    + " been issued to that same client";
            case "unauthorized_client" -> "This OAuth client may not use refresh tokens, or the refresh token was"
                    + " issued to another client: check the client id";
            default -> "Check the client id, client secret and refresh token";
        };
    }

    @Override
    public String whenForbidden() {
        return "The Google account that granted the refresh token must be able to open the spreadsheet (share it with"
                + " that account, Viewer is enough), the grant must include a scope that reads spreadsheets"
                + " (spreadsheets.readonly or drive.readonly), and the Google Sheets API must be enabled in the OAuth"
                + " client's project" + (quotaProject == null ? "" : " and in the quota project " + quotaProject);
    }

    @Override
    public Optional<String> quotaProject() {
        return Optional.ofNullable(quotaProject);
    }

    @Override
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String t = text;
        for (String secret : new String[] {clientSecret, refreshToken, Api.encode(clientSecret),
                Api.encode(refreshToken)}) {
            t = t.replace(secret, "****");
        }
        return t;
    }

    @Override
    public String toString() {
        return "OAuth user credentials of client " + clientId;
    }
}
