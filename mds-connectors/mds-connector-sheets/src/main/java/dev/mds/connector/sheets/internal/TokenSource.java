package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mds.connector.sheets.SheetsException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access tokens of a service account by the JWT bearer flow (RFC 7523, as Google documents it for server-to-server
 * apps): a JWT signed with RS256 ({@code iss} the account's e-mail, {@code scope}, {@code aud} the token URI,
 * {@code iat}, {@code exp = iat + 3600}) is posted to the token URI as
 * {@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer}. The token is kept until shortly before it expires.
 * Thread-safe.
 */
public final class TokenSource {
    /** Read-only access to spreadsheets. */
    public static final String SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly";
    static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static final Logger LOG = LoggerFactory.getLogger(TokenSource.class);
    private static final Duration LIFETIME = Duration.ofHours(1);
    private static final Duration MARGIN = Duration.ofMinutes(5);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final ServiceAccountKey key;
    private final Api api;
    private final Clock clock;
    private String token;
    private Instant refreshAt = Instant.MIN;

    TokenSource(ServiceAccountKey key, Api api, Clock clock) {
        this.key = key;
        this.api = api;
        this.clock = clock;
    }

    /** A valid access token: the kept one, or a new one when it is (nearly) expired or was invalidated. */
    synchronized String token() {
        if (token == null || !clock.instant().isBefore(refreshAt)) {
            fetch();
        }
        return token;
    }

    /** Forgets the kept token (the API answered 401). */
    synchronized void invalidate() {
        token = null;
    }

    private void fetch() {
        Instant now = clock.instant();
        String form = "grant_type=" + Api.encode(GRANT_TYPE) + "&assertion=" + jwt(now);
        JsonNode answer = api.postForm(key.tokenUri(), form,
                () -> "requesting an access token for service account " + key.clientEmail() + " at " + key.tokenUri());
        JsonNode t = answer.get("access_token");
        if (t == null || !t.isTextual() || t.asText().isEmpty()) {
            throw new SheetsException("the token endpoint " + key.tokenUri() + " answered without an access_token"
                    + " for " + key.clientEmail(), 200, 1, null);
        }
        long expiresIn = answer.path("expires_in").asLong(3600);
        Duration lifetime = Duration.ofSeconds(Math.max(expiresIn, 1));
        // refresh 5 minutes early, or half-way for short-lived tokens
        Duration margin = lifetime.compareTo(MARGIN.multipliedBy(2)) < 0 ? lifetime.dividedBy(2) : MARGIN;
        token = t.asText();
        refreshAt = now.plus(lifetime).minus(margin);
        LOG.info("access token for service account {} fetched, valid {} s", key.clientEmail(), lifetime.toSeconds());
    }

    /** The signed assertion: {@code base64url(header).base64url(claims).base64url(RS256 signature)}. */
    String jwt(Instant now) {
        ObjectNode header = Api.JSON.createObjectNode().put("alg", "RS256").put("typ", "JWT");
        if (key.privateKeyId() != null) {
            header.put("kid", key.privateKeyId());
        }
        long iat = now.getEpochSecond();
        ObjectNode claims = Api.JSON.createObjectNode()
                .put("iss", key.clientEmail())
                .put("scope", SCOPE)
                .put("aud", key.tokenUri().toString())
                .put("iat", iat)
                .put("exp", iat + LIFETIME.toSeconds());
        String signingInput = B64.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + '.'
                + B64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(key.privateKey());
            rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + '.' + B64.encodeToString(rs256.sign());
        } catch (GeneralSecurityException e) {
            throw new SheetsException("cannot sign the token request of service account " + key.clientEmail() + ": "
                    + e.getClass().getSimpleName(), 0, 0, e);
        }
    }
}
