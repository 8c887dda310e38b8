package dev.mds.connector.sheets;

import dev.mds.connector.sheets.internal.ServiceAccountKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link SheetsSource} authenticates to Google: a service account's JSON key (the spreadsheet is shared with the
 * account's e-mail) or an API key (the spreadsheet is shared as "anyone with the link"). Never printed: its
 * {@link #toString()} names the account, not the key.
 *
 * <pre>{@code
 * SheetsCredentials sa = SheetsCredentials.serviceAccount(Path.of("/secrets/sheets-reader.json"));
 * SheetsCredentials key = SheetsCredentials.apiKey(System.getenv("GOOGLE_API_KEY"));
 * }</pre>
 *
 * <p>A service account signs a JWT (RS256) with its private key and trades it at the key's {@code token_uri} for an
 * access token of scope {@code spreadsheets.readonly}; the token is kept until five minutes before it expires, and
 * fetched again then or when the API answers 401.
 */
public final class SheetsCredentials {
    private final ServiceAccountKey serviceAccount;
    private final String apiKey;

    private SheetsCredentials(ServiceAccountKey serviceAccount, String apiKey) {
        this.serviceAccount = serviceAccount;
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
        String json;
        try {
            json = Files.readString(jsonKeyFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the service account key file " + jsonKeyFile + ": "
                    + e.getMessage(), e);
        }
        return new SheetsCredentials(ServiceAccountKey.parse(json, jsonKeyFile.toString()), null);
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

    /** The service account's e-mail, the address to share spreadsheets with; empty for an API key. */
    public Optional<String> clientEmail() {
        return serviceAccount == null ? Optional.empty() : Optional.of(serviceAccount.clientEmail());
    }

    ServiceAccountKey serviceAccountKey() {
        return serviceAccount;
    }

    String key() {
        return apiKey;
    }

    @Override
    public String toString() {
        return serviceAccount != null ? serviceAccount.toString() : "API key ****";
    }
}
