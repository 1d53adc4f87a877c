import type { ChildProcess } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The one place the appserver reads private fields of Node's. Here: headers
 * passed straight to `writeHead()` (as Fastify does) are not kept by
 * node:http, only serialised into `_header`, the response head as sent; no
 * public API returns it. Checked on Node 22 and 24 by
 * test/node-internals.test.ts; without the field the value is undefined and
 * the access log shows '-'.
 */
export function serializedHeader(res: ServerResponse, name: string): string | undefined {
  const head: unknown = Reflect.get(res, '_header');
  if (typeof head !== 'string') return undefined;
  const m = new RegExp(`\\r\\n${name.replace(/[^a-z0-9-]/gi, '')}:[ \\t]*([^\\r]*)`, 'i').exec(head);
  return m ? m[1] : undefined;
}

/** A socket's file descriptor (libuv handle's `fd`, Unix); undefined once the handle moved or closed. */
export function socketFd(socket: Socket): number | undefined {
  const handle: unknown = Reflect.get(socket, '_handle');
  const fd: unknown = typeof handle === 'object' && handle !== null ? Reflect.get(handle, 'fd') : undefined;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

const guarded = new WeakSet<ChildProcess>();

/**
 * Node 22's handle passing asserts (`ERR_INTERNAL_ASSERTION` in
 * internal/child_process, an uncaught exception that ended the master) when a
 * NODE_HANDLE_ACK/NACK arrives while it has no handle send in progress
 * (`_handleQueue` null), which a worker out of file descriptors (MSG_CTRUNC,
 * retransmitted handles) produces. Such an acknowledgement acknowledges
 * nothing, so it is dropped before Node's listeners see it.
 */
export function dropStrayHandleAcks(child: ChildProcess): void {
  if (guarded.has(child)) return;
  guarded.add(child);
  const listeners = child.listeners('internalMessage') as Array<(message: unknown, handle: unknown) => void>;
  child.removeAllListeners('internalMessage');
  child.on('internalMessage', (message: unknown, handle: unknown) => {
    const cmd = (message as { cmd?: unknown } | null)?.cmd;
    if ((cmd === 'NODE_HANDLE_ACK' || cmd === 'NODE_HANDLE_NACK') && !Array.isArray(Reflect.get(child, '_handleQueue'))) return;
    for (const l of listeners) l.call(child, message, handle);
  });
}

/**
 * Stops libuv reading a socket now and for good in this process (its
 * handle's `readStop()`, and a no-op `_read` so Node's read-ahead, which a
 * `pause()` or a `read()` schedules, cannot start it again): bytes read in
 * the master are not in the kernel any more when the socket moves to a
 * worker. The --sticky master reads a PROXY protocol header this way and
 * forwards exactly the bytes it read; `read()` still returns what is
 * buffered. Checked on Node 22 and 24 by test/node-internals.test.ts.
 */
export function stopReading(socket: Socket): void {
  socket.pause();
  Reflect.set(socket, '_read', () => {});
  const handle: unknown = Reflect.get(socket, '_handle');
  const readStop: unknown = typeof handle === 'object' && handle !== null ? Reflect.get(handle, 'readStop') : undefined;
  if (typeof readStop === 'function') {
    Reflect.set(handle as object, 'reading', false);
    Reflect.apply(readStop, handle, []);
  }
}
