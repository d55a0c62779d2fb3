package dev.parley.server.config;

import java.time.Duration;
import java.util.Set;

/**
 * How the HTTP side protects itself: who may call (Host names, browser origins), how long a client may
 * take to send a request, how many connections it may hold, and the heap that parsing bodies may take.
 *
 * @param allowedHosts    host names the Host header may carry; null: derived from the bound address; empty: any
 * @param allowedOrigins  browser origins (an Origin header) allowed to call ("*" for any); empty: none but the server's own
 * @param headerTimeout   from the request line to the end of the headers
 * @param bodyTimeout     for uploading a request body
 * @param idleTimeout     an idle keep-alive connection (or one trickling its request line) is closed after this
 * @param maxConnections  open connections at most; more wait to be accepted
 * @param bodyMemoryBytes heap that bodies being parsed may reserve at once; 0: half the heap
 * @param shutdownGrace   on shutdown, how long running generations may go on before they are cancelled
 */
public record HttpSettings(Set<String> allowedHosts, Set<String> allowedOrigins, Duration headerTimeout, Duration bodyTimeout,
                           Duration idleTimeout, int maxConnections, long bodyMemoryBytes, Duration shutdownGrace) {
}
