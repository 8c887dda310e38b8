package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;

/**
 * A Google service account's JSON key, as the Cloud console downloads it: {@code client_email}, {@code private_key}
 * (PKCS#8 PEM), {@code private_key_id} and {@code token_uri}. Never printed: {@link #toString()} shows the e-mail only.
 */
public final class ServiceAccountKey {
    /** Google's token endpoint, for keys that do not name one. */
    public static final URI DEFAULT_TOKEN_URI = URI.create("https://oauth2.googleapis.com/token");

    private final String clientEmail;
    private final String privateKeyId;
    private final PrivateKey privateKey;
    private final URI tokenUri;

    private ServiceAccountKey(String clientEmail, String privateKeyId, PrivateKey privateKey, URI tokenUri) {
        this.clientEmail = clientEmail;
        this.privateKeyId = privateKeyId;
        this.privateKey = privateKey;
        this.tokenUri = tokenUri;
    }

    /**
     * Reads a key's JSON text; {@code origin} names it in messages (a file name). Messages never quote the key.
     *
     * @throws IllegalArgumentException when the text is not a service-account key, saying which field is wrong
     */
    public static ServiceAccountKey parse(String json, String origin) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            // the parser's message may quote the text, which holds the private key: keep only the position
            throw new IllegalArgumentException(origin + " is not JSON (line " + e.getLocation().getLineNr()
                    + "): expected a service account key file downloaded from the Google Cloud console");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(origin + " is not a JSON object: expected a service account key file");
        }
        String type = text(root, "type");
        if (type != null && !type.equals("service_account")) {
            throw new IllegalArgumentException(origin + " has \"type\": \"" + type + "\", not \"service_account\": an"
                    + " OAuth client or user credential file cannot sign service-account tokens");
        }
        String email = required(root, "client_email", origin);
        String pem = required(root, "private_key", origin);
        String tokenUri = text(root, "token_uri");
        URI uri;
        try {
            uri = tokenUri == null ? DEFAULT_TOKEN_URI : URI.create(tokenUri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": token_uri '" + tokenUri + "' is not a URI");
        }
        if (!uri.isAbsolute() || uri.getHost() == null) {
            throw new IllegalArgumentException(origin + ": token_uri '" + tokenUri + "' is not an absolute http(s) URI");
        }
        return new ServiceAccountKey(email, text(root, "private_key_id"), privateKey(pem, origin), uri);
    }

    private static PrivateKey privateKey(String pem, String origin) {
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            String hint = pem.contains("BEGIN RSA PRIVATE KEY") ? " (it is a PKCS#1 RSA key: convert it with"
                    + " 'openssl pkcs8 -topk8 -nocrypt')" : "";
            throw new IllegalArgumentException(origin + ": private_key is not a PKCS#8 PEM key (-----BEGIN PRIVATE"
                    + " KEY-----)" + hint);
        }
        String base64 = pem.substring(b + begin.length(), e).replaceAll("\\s+", "");
        try {
            byte[] der = Base64.getDecoder().decode(base64);
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException x) {
            throw new IllegalArgumentException(origin + ": private_key cannot be read as an RSA key ("
                    + x.getClass().getSimpleName() + ")");
        }
    }

    private static String required(JsonNode root, String field, String origin) {
        String value = text(root, field);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(origin + " has no \"" + field + "\": expected a service account key"
                    + " file downloaded from the Google Cloud console");
        }
        return value;
    }

    private static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /** The service account's e-mail: the address the spreadsheet must be shared with. */
    public String clientEmail() {
        return clientEmail;
    }

    /** The key's id, sent as the JWT's {@code kid}; may be null. */
    public String privateKeyId() {
        return privateKeyId;
    }

    /** The RSA private key that signs the JWT. */
    public PrivateKey privateKey() {
        return privateKey;
    }

    /** Where tokens are requested ({@code aud} of the JWT). */
    public URI tokenUri() {
        return tokenUri;
    }

    @Override
    public String toString() {
        return "service account " + clientEmail;
    }
}
