import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * node:http's request with a body byte limit. node:http has no body limit
 * of its own and a chunked body declares no length, so the host hands
 * `http.createServer` this class (its public `IncomingMessage` option) and
 * counts the body bytes node:http's parser pushes. Past the limit nothing
 * more reaches the app and `onOverflow` answers 413.
 *
 * The counting `push` is an own property, not a prototype method: Express
 * swaps every request's prototype for its own (`Object.setPrototypeOf(req,
 * app.request)`), which would drop an override.
 */
export class LimitedIncomingMessage extends IncomingMessage {
  /** Largest body in bytes; set by the host when the request arrives. */
  bodyLimit = Number.POSITIVE_INFINITY;
  onOverflow: (() => void) | undefined;
  private received = 0;
  private overflowed = false;

  constructor(socket: Socket) {
    super(socket);
    const push = IncomingMessage.prototype.push;
    Object.defineProperty(this, 'push', {
      configurable: true,
      writable: true,
      value: (chunk: unknown, encoding?: BufferEncoding): boolean => {
        if (chunk !== null && this.bodyLimit !== Number.POSITIVE_INFINITY) {
          this.received += (chunk as Buffer).length;
          if (this.received > this.bodyLimit || this.overflowed) {
            if (!this.overflowed) {
              this.overflowed = true;
              this.onOverflow?.();
            }
            return false;
          }
        }
        return push.call(this, chunk, encoding);
      },
    });
  }
}
