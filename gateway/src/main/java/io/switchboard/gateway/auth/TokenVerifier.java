package io.switchboard.gateway.auth;

/**
 * Verifies the bearer token of a WebSocket upgrade ({@code PROTOCOL.md} §1) and says who it proves the client is.
 *
 * <p>Implementations must be thread-safe, and {@link #verify} must be pure CPU: it runs on the event loop of the
 * connection being upgraded, so keys are cached and any reloading happens elsewhere. Non-blocking; safe to call from
 * an event loop.
 */
public interface TokenVerifier {

    /**
     * Verifies {@code token}.
     *
     * @param token the raw token from {@code ?token=} or {@code Authorization: Bearer}, or {@code null} if the request
     *              carried none
     * @return the verified identity (userId = the {@code sub} claim, role = the {@code role} claim, default user), or
     *         the rejection with its HTTP status
     */
    AuthResult verify(String token);

    /**
     * Verifies {@code token} for a connection to {@code userId}: as {@link #verify}, plus a 403 when the token's
     * subject is another user.
     */
    default AuthResult verifyFor(String token, String userId) {
        final AuthResult result = verify(token);
        if (result instanceof AuthResult.Verified verified && !verified.userId().equals(userId)) {
            return new AuthResult.Rejected(AuthResult.Failure.SUBJECT_MISMATCH);
        }
        return result;
    }
}
