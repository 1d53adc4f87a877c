import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** What the host sets on a request whose body is limited. */
export interface BodyLimited {
  /** Called once, when the body passes the limit; nothing more reaches the app. */
  onOverflow: (() => void) | undefined;
}

/**
 * node:http's request class with a body byte limit, for `http.createServer`'s
 * public `IncomingMessage` option (node:http has no body limit of its own and
 * a chunked body declares no length): counts the body bytes node:http's
 * parser pushes; past `limit` nothing more reaches the app and `onOverflow`
 * answers 413. Without a limit node:http's own class is used, at no cost.
 *
 * The counting `push` is an own property, not a prototype method: Express
 * swaps every request's prototype for its own (`Object.setPrototypeOf(req,
 * app.request)`), which would drop an override.
 */
export function limitedRequestClass(limit: number): typeof IncomingMessage {
  if (limit === Number.POSITIVE_INFINITY) return IncomingMessage;
  const push = IncomingMessage.prototype.push;
  return class LimitedIncomingMessage extends IncomingMessage implements BodyLimited {
    onOverflow: (() => void) | undefined;

    constructor(socket: Socket) {
      super(socket);
      let received = 0;
      let overflowed = false;
      Object.defineProperty(this, 'push', {
        configurable: true,
        writable: true,
        value: (chunk: unknown, encoding?: BufferEncoding): boolean => {
          if (chunk !== null) {
            received += (chunk as Buffer).length;
            if (received > limit || overflowed) {
              if (!overflowed) {
                overflowed = true;
                this.onOverflow?.();
              }
              return false;
            }
          }
          return push.call(this, chunk, encoding);
        },
      });
    }
  };
}
