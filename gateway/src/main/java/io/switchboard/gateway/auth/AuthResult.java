package io.switchboard.gateway.auth;

import static java.util.Objects.requireNonNull;

import io.switchboard.gateway.session.Role;

/** The outcome of {@link TokenVerifier#verify}: a {@link Verified} identity or a {@link Rejected} token. */
public sealed interface AuthResult {

    /** Why a token was refused, with the HTTP status the handshake answers. */
    enum Failure {
        /** No token in {@code ?token=} nor {@code Authorization: Bearer}. */
        MISSING(401, "missing token"),
        /** Not a JWT, unsigned ({@code alg: none}), a wrong algorithm, a bad signature or bad claims. */
        INVALID(401, "invalid token"),
        /** {@code exp} is in the past, beyond the clock skew. */
        EXPIRED(401, "expired token"),
        /** {@code nbf} is in the future, beyond the clock skew. */
        NOT_YET_VALID(401, "token not yet valid"),
        /** {@code aud} does not name this gateway's {@code auth-audience}. */
        WRONG_AUDIENCE(401, "token audience not accepted"),
        /** {@code iss} is not this gateway's {@code auth-issuer}. */
        WRONG_ISSUER(401, "token issuer not accepted"),
        /** {@code exp} lies further than {@code auth-max-lifetime} after {@code iat} (or now, without {@code iat}). */
        TOO_LONG_LIVED(401, "token lifetime too long"),
        /** A valid token for another user: its {@code sub} is not the {@code {userId}} of the path. */
        SUBJECT_MISMATCH(403, "token subject does not match the userId");

        private final int status;
        private final String message;

        Failure(int status, String message) {
            this.status = status;
            this.message = message;
        }

        /** The HTTP status of the rejection: 401 or 403. */
        public int status() {
            return status;
        }

        /** A short text for the response body and the log; never includes the token. */
        public String message() {
            return message;
        }
    }

    /** A token that proved {@code userId} with {@code role}. */
    record Verified(String userId, Role role) implements AuthResult {
        public Verified {
            requireNonNull(userId, "userId");
            requireNonNull(role, "role");
        }
    }

    /** A refused token. */
    record Rejected(Failure failure) implements AuthResult {
        public Rejected {
            requireNonNull(failure, "failure");
        }
    }
}
