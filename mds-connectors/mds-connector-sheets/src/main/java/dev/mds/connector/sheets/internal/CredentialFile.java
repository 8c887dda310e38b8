package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.Objects;

/**
 * Reads Google's credential JSON files (the {@code "type"} says which): {@code service_account} (a Cloud console key)
 * and {@code authorized_user} (an OAuth user's refresh token, as {@code gcloud auth application-default login}
 * writes it). Other types are refused saying which ones are read. Messages never quote the file's text.
 */
final class CredentialFile {
    static final String SERVICE_ACCOUNT = "service_account";
    static final String AUTHORIZED_USER = "authorized_user";

    private CredentialFile() {
    }

    /**
     * The file's JSON object, checked to be of type {@code expected} (or of no type).
     *
     * @param origin names the file in messages
     * @param what the expected content, for messages ({@code a service account key file})
     */
    static JsonNode read(String json, String origin, String expected, String what) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            // the parser's message may quote the text, which holds a private key or a secret: keep only the position
            throw new IllegalArgumentException(origin + " is not JSON (line " + e.getLocation().getLineNr()
                    + "): expected " + what);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(origin + " is not a JSON object: expected " + what);
        }
        String type = text(root, "type");
        if (type != null && !type.equals(expected)) {
            String use = switch (type) {
                case SERVICE_ACCOUNT -> "it is a service account key: read it with SheetsCredentials.serviceAccount";
                case AUTHORIZED_USER -> "it is an OAuth user credential (a refresh token): read it with"
                        + " SheetsCredentials.authorizedUser";
                default -> "this type is not supported; the types read are \"service_account\""
                        + " (SheetsCredentials.serviceAccount) and \"authorized_user\" (SheetsCredentials.authorizedUser),"
                        + " or give an OAuth client's id, secret and refresh token to SheetsCredentials.oauth";
            };
            throw new IllegalArgumentException(origin + " has \"type\": \"" + type + "\", not \"" + expected + "\": "
                    + use);
        }
        return root;
    }

    /** A field's text; null when absent or JSON null. */
    static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /** A token endpoint given as text: absolute http(s), or the message says which field is wrong. */
    static URI tokenUri(String uri, String origin, String field) {
        URI u;
        try {
            u = URI.create(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": " + field + " '" + uri + "' is not a URI");
        }
        return checkTokenUri(u, origin + ": " + field + " '" + uri + "'");
    }

    /** Refuses a URI that is not absolute http(s) with a host. */
    static URI checkTokenUri(URI u, String what) {
        String scheme = u.getScheme();
        if (!u.isAbsolute() || u.getHost() == null || !(scheme.equalsIgnoreCase("https")
                || scheme.equalsIgnoreCase("http"))) {
            throw new IllegalArgumentException(what + " is not an absolute http(s) URI");
        }
        return u;
    }
}
