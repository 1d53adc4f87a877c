import { InterfaceViolation } from '../errors.js';
import type { ResponseBody } from '../types.js';
import { errorText, isThenable } from './app-values.js';
import type { BodyExchange as Exchange } from './exchange-ports.js';
import { describeValue } from './response-headers.js';

// The body half of an Exchange: iterating the app's body, writing it within
// the declared length (RESP-7/8/10), and releasing it (APP-3). Plain functions
// over the exchange's fields rather than a second object, so a request costs
// no extra allocation.

/** An array body whose head is not out yet: sent in one go with its Content-Length. */
export function sendArray(ex: Exchange, chunks: unknown[]): void {
  let total = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    if (!(c instanceof Uint8Array)) {
      ex.fail(new InterfaceViolation('RESP-7', `body chunk #${i} is ${describeValue(c)}`));
      return;
    }
    total += c.length;
  }
  if (!ex.started) {
    ex.fail(new InterfaceViolation('APP-4', 'the body ended before startResponse was called'));
    return;
  }
  if (ex.violation !== null) {
    ex.fail(ex.violation);
    return;
  }
  if (ex.declared !== -1 && ex.declared !== total && !ex.noBody) {
    void pumpBody(ex, chunks as Uint8Array[]);
    return;
  }
  ex.headersSent = true;
  const bodyless = ex.code === 204 || ex.code === 304;
  if (bodyless && total > 0) logBodyOnBodyless(ex, total);
  ex.sent = ex.noBody ? 0 : total;
  ex.sink.sendAll(
    ex.code,
    ex.status,
    ex.headers,
    ex.declared !== -1 || bodyless ? -1 : total,
    ex.noBody || total === 0 ? null : (chunks as Uint8Array[]),
  );
  ex.iteratorFinished = true;
  closeBody(ex);
  ex.finish();
}

/** Sends the head if needed, then the chunk within the declared length. False: wait for drain. */
export function emitChunk(ex: Exchange, chunk: Uint8Array): boolean {
  if (!ex.headersSent) {
    if (!ex.started) throw ex.record(new InterfaceViolation('APP-4', 'a body chunk came before startResponse was called'));
    if (ex.violation !== null) throw ex.violation;
    ex.headersSent = true;
    ex.sink.sendHead(ex.code, ex.status, ex.headers, ex.declared !== -1 || ex.noBody, ex.noBody);
  }
  if (ex.noBody) {
    if (!ex.isHead) logBodyOnBodyless(ex, chunk.length);
    return true;
  }
  if (ex.declared !== -1) {
    const room = ex.declared - ex.sent;
    if (chunk.length > room) {
      if (!ex.overrunLogged) {
        ex.overrunLogged = true;
        ex.log(new InterfaceViolation('RESP-8', `body longer than its Content-Length ${ex.declared}; extra bytes dropped`).message);
      }
      if (room <= 0) return true;
      chunk = chunk.subarray(0, room);
    }
  }
  ex.sent += chunk.length;
  return ex.sink.write(chunk);
}

/** A 204 or 304 with body bytes (RESP-10): they are dropped, as the framing requires, and the app's mistake is logged once. */
function logBodyOnBodyless(ex: Exchange, bytes: number): void {
  if (ex.overrunLogged) return;
  ex.overrunLogged = true;
  ex.log(new InterfaceViolation('RESP-10', `${ex.code} response with a ${bytes}-byte body; body dropped`).message);
}

/** Iterates a (sync or async) body, writing each chunk and waiting for drain when the socket is full. */
export async function pumpBody(ex: Exchange, body: ResponseBody): Promise<void> {
  const isAsync = typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function';
  try {
    const it = isAsync
      ? (body as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (body as Iterable<unknown>)[Symbol.iterator]();
    ex.iterator = it;
    for (;;) {
      let step = it.next() as IteratorResult<unknown> | Promise<IteratorResult<unknown>>;
      if (isThenable(step)) step = await step;
      if (ex.done) return;
      if (step.done) {
        ex.iteratorFinished = true;
        break;
      }
      const chunk = step.value;
      if (!(chunk instanceof Uint8Array)) {
        throw ex.record(new InterfaceViolation('RESP-7', `body chunk is ${describeValue(chunk)}`));
      }
      if (chunk.length === 0) continue;
      if (!emitChunk(ex, chunk)) {
        await ex.sink.waitDrain();
        if (ex.done) return;
      }
      // HEAD, 204, 304: the head is out and no body byte will be sent, so stop producing.
      if (ex.noBody) break;
    }
  } catch (err) {
    ex.fail(err);
    return;
  }
  completeBody(ex);
}

/** The body iterator finished: send what is still owed (the head, the end) and check the declared length. */
function completeBody(ex: Exchange): void {
  if (ex.done) return;
  if (!ex.headersSent) {
    if (!ex.started) {
      ex.fail(new InterfaceViolation('APP-4', 'the body ended before startResponse was called'));
      return;
    }
    if (ex.violation !== null) {
      ex.fail(ex.violation);
      return;
    }
    ex.headersSent = true;
    if (ex.declared <= 0 || ex.noBody) {
      const bodyless = ex.code === 204 || ex.code === 304;
      // A HEAD answer without a declared length must not claim 0: the GET body's size is unknown (SRV-2).
      ex.sink.sendAll(ex.code, ex.status, ex.headers, ex.declared !== -1 || bodyless || ex.isHead ? -1 : 0, null);
      returnIterator(ex);
      closeBody(ex);
      ex.finish();
      return;
    }
    ex.sink.sendHead(ex.code, ex.status, ex.headers, true, false);
  }
  const complete = ex.noBody || ex.declared === -1 || ex.sent === ex.declared;
  if (!complete) {
    ex.log(new InterfaceViolation('RESP-8', `body has ${ex.sent} bytes, Content-Length said ${ex.declared}; connection closed`).message);
  }
  ex.sink.endBody(complete);
  returnIterator(ex);
  closeBody(ex);
  ex.finish();
}

/** Stops an iterator that did not finish (client gone, app error): runs its `finally` blocks (APP-3). */
export function returnIterator(ex: Exchange): void {
  const it = ex.iterator;
  if (it === null || ex.iteratorFinished) return;
  ex.iteratorFinished = true;
  if (typeof it.return !== 'function') return;
  try {
    const r = it.return();
    if (isThenable(r)) (r as Promise<unknown>).then(undefined, (err: unknown) => ex.log(`TSGI APP-3 body return() failed: ${errorText(err)}`));
  } catch (err) {
    ex.log(`TSGI APP-3 body return() failed: ${errorText(err)}`);
  }
}

/** Calls the body's `close()` exactly once (APP-3). */
export function closeBody(ex: Exchange): void {
  const body = ex.body;
  // No body yet (aborted while the app was still working): consume() closes it when it arrives.
  if (ex.bodyClosed || body === null) return;
  ex.bodyClosed = true;
  if (typeof body.close !== 'function') return;
  try {
    const r = body.close();
    if (isThenable(r)) (r as Promise<void>).then(undefined, (err: unknown) => ex.log(`TSGI APP-3 close() failed: ${errorText(err)}`));
  } catch (err) {
    ex.log(`TSGI APP-3 close() failed: ${errorText(err)}`);
  }
}
