package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mds.connector.sheets.SheetsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access tokens from a {@link TokenGrant} (a service account's JWT or an OAuth user's refresh token), the one cache
 * for both: a token is kept until five minutes before its {@code expires_in} (half-way for tokens that live less than
 * ten minutes), fetched again then or after {@link #invalidate()}. Requests go through {@link Api#postForm}, so the
 * token endpoint's 429, 408, 5xx and connection errors are retried as the API's are. Thread-safe.
 */
public final class TokenSource {
    private static final Logger LOG = LoggerFactory.getLogger(TokenSource.class);
    private static final Duration MARGIN = Duration.ofMinutes(5);

    private final TokenGrant grant;
    private final Api api;
    private final Clock clock;
    private String token;
    private Instant refreshAt = Instant.MIN;

    TokenSource(TokenGrant grant, Api api, Clock clock) {
        this.grant = grant;
        this.api = api;
        this.clock = clock;
    }

    /** Who the tokens are for ({@link TokenGrant#who()}). */
    String who() {
        return grant.who();
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
        JsonNode answer = api.postForm(grant, now);
        JsonNode t = answer.get("access_token");
        if (t == null || !t.isTextual() || t.asText().isEmpty()) {
            throw new SheetsException("the token endpoint " + grant.tokenUri() + " answered without an access_token"
                    + " for " + grant.who(), 200, 1, null);
        }
        long expiresIn = answer.path("expires_in").asLong(3600);
        Duration lifetime = Duration.ofSeconds(Math.max(expiresIn, 1));
        // refresh 5 minutes early, or half-way for short-lived tokens
        Duration margin = lifetime.compareTo(MARGIN.multipliedBy(2)) < 0 ? lifetime.dividedBy(2) : MARGIN;
        token = t.asText();
        refreshAt = now.plus(lifetime).minus(margin);
        LOG.info("access token for {} fetched, valid {} s", grant.who(), lifetime.toSeconds());
    }
}
