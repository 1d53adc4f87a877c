import type { TLSSocket } from 'node:tls';

/**
 * The one place the proxy writes a private field of Node's (the other, client
 * reads through `onread`, is @tsgi/http1's node-internals.ts). A server-side
 * TLSSocket made with `new TLSSocket(socket, { isServer: true })` keeps
 * `secureConnecting` true after its handshake: only tls.Server clears it,
 * on 'secure'. node:http2's `performServerHandshake` waits for that flag, so
 * without this an h2 session on such a socket never starts. Checked on Node
 * 22 and 24 by test/node-internals.test.ts (an h2 request over a listener).
 */
export function markServerHandshakeDone(socket: TLSSocket): void {
  (socket as TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
}

