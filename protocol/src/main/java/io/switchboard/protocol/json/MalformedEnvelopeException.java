package io.switchboard.protocol.json;

import java.io.IOException;

/** The input is not a valid envelope: not one JSON object, a non-string field, trailing bytes, or over a limit. */
public final class MalformedEnvelopeException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, without echoing the input
     * @param cause   the parser's exception, if any
     */
    public MalformedEnvelopeException(String message, Throwable cause) {
        super(message, cause);
    }
}
