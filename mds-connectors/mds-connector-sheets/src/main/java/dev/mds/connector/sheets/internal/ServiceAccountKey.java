package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mds.connector.sheets.SheetsException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * A Google service account's JSON key, as the Cloud console downloads it: {@code client_email}, {@code private_key}
 * (PKCS#8 PEM), {@code private_key_id} and {@code token_uri}; its tokens come by the JWT bearer flow (RFC 7523, as
 * Google documents it for server-to-server apps): a JWT signed with RS256 ({@code iss} the account's e-mail,
 * {@code scope}, {@code aud} the token URI, {@code iat}, {@code exp = iat + 3600}) is posted to the token URI as
 * {@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer}. Never printed: {@link #toString()} shows the e-mail
 * only.
 */
public final class ServiceAccountKey implements TokenGrant {
    /** Google's token endpoint, for keys that do not name one. */
    public static final URI DEFAULT_TOKEN_URI = URI.create("https://oauth2.googleapis.com/token");
    /** Read-only access to spreadsheets. */
    public static final String SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly";
    static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static final Duration LIFETIME = Duration.ofHours(1);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

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
        JsonNode root = CredentialFile.read(json, origin, CredentialFile.SERVICE_ACCOUNT,
                "a service account key file downloaded from the Google Cloud console");
        String email = required(root, "client_email", origin);
        String pem = required(root, "private_key", origin);
        String tokenUri = CredentialFile.text(root, "token_uri");
        URI uri = tokenUri == null ? DEFAULT_TOKEN_URI : CredentialFile.tokenUri(tokenUri, origin, "token_uri");
        return new ServiceAccountKey(email, CredentialFile.text(root, "private_key_id"), privateKey(pem, origin), uri);
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
        String value = CredentialFile.text(root, field);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(origin + " has no \"" + field + "\": expected a service account key"
                    + " file downloaded from the Google Cloud console");
        }
        return value;
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
    @Override
    public URI tokenUri() {
        return tokenUri;
    }

    @Override
    public String toString() {
        return "service account " + clientEmail;
    }

    @Override
    public String form(Instant now) {
        return "grant_type=" + Api.encode(GRANT_TYPE) + "&assertion=" + jwt(now);
    }

    @Override
    public String who() {
        return toString();
    }

    @Override
    public String whatToDo(int status, String error) {
        return "Check that the key file is current (not deleted in the Cloud console) and the machine's clock is right";
    }

    @Override
    public String whenForbidden() {
        return "Share the spreadsheet with the service account " + clientEmail + " (Viewer is enough), and check that"
                + " the Google Sheets API is enabled in its project";
    }

    @Override
    public String redact(String text) {
        return text;    // the private key never leaves this process: the server cannot echo it
    }

    /** The signed assertion: {@code base64url(header).base64url(claims).base64url(RS256 signature)}. */
    String jwt(Instant now) {
        ObjectNode header = Api.JSON.createObjectNode().put("alg", "RS256").put("typ", "JWT");
        if (privateKeyId != null) {
            header.put("kid", privateKeyId);
        }
        long iat = now.getEpochSecond();
        ObjectNode claims = Api.JSON.createObjectNode()
                .put("iss", clientEmail)
                .put("scope", SCOPE)
                .put("aud", tokenUri.toString())
                .put("iat", iat)
                .put("exp", iat + LIFETIME.toSeconds());
        String signingInput = B64.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + '.'
                + B64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(privateKey);
            rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + '.' + B64.encodeToString(rs256.sign());
        } catch (GeneralSecurityException e) {
            throw new SheetsException("cannot sign the token request of service account " + clientEmail + ": "
                    + e.getClass().getSimpleName(), 0, 0, e);
        }
    }
}
