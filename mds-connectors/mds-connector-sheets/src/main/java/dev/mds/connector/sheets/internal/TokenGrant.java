package dev.mds.connector.sheets.internal;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;

/**
 * One way of getting OAuth 2.0 access tokens from a token endpoint, for {@link TokenSource}: the service account's
 * JWT bearer grant ({@link ServiceAccountKey}) or an OAuth user's refresh-token grant ({@link OAuthUser}). The form
 * holds secrets: it is sent, never logged nor put in messages; everything else here is safe to print.
 */
public interface TokenGrant {
    /** Where the form is posted. */
    URI tokenUri();

    /** The {@code application/x-www-form-urlencoded} body of a token request made at {@code now}. Secret. */
    String form(Instant now);

    /** Who the tokens are for, for messages and logs ({@code service account x@y.iam.gserviceaccount.com}). */
    String who();

    /**
     * What to do when the token endpoint refuses the grant (a 4xx other than 408 and 429): appended to the message.
     *
     * @param status the HTTP status
     * @param error the OAuth {@code error} code ({@code invalid_grant}, {@code invalid_client}), or empty
     */
    String whatToDo(int status, String error);

    /** What to do when the API answers 403 with this grant's tokens. */
    String whenForbidden();

    /** The project to bill quota to ({@code x-goog-user-project}), for user credentials that name one. */
    default Optional<String> quotaProject() {
        return Optional.empty();
    }

    /** {@code text} with any secret of this grant replaced by {@code ****} (for text that came back from a server). */
    String redact(String text);
}
