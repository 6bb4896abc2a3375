/**
 * Native TLS for both listeners ({@code docs/TLS.md}): {@link io.switchboard.gateway.tls.ServerTls} loads the PEM
 * certificate chain and key, picks OpenSSL or the JDK, re-reads the files when they change, and puts an
 * {@code SslHandler} at the head of each accepted connection's pipeline. It may use {@code config} and
 * {@code metrics}; {@code pipeline} and {@code api} use it.
 */
package io.switchboard.gateway.tls;
