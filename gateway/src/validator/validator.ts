import type { App, Environ, ResponseBody, StartResponse } from '../types.js';
import { show } from './check-environ.js';
import { ValidatedRequest, type Step } from './validated-request.js';

/** Options of {@link validator}. */
export interface ValidatorOptions {
  /**
   * Where the one line per violation goes. Default: the request's
   * `tsgi.errors` (stderr when that is unusable).
   */
  log?: (line: string) => void;
}

/**
 * The `wsgiref.validate` counterpart: wraps any app and checks, at run time,
 * the environ the server passed (ENV-*, INPUT-*) and everything the app does
 * (APP-*, RESP-*). On a violation it writes one line naming the rule id
 * (`describeViolation`) and answers 500 when nothing was sent yet; once the
 * headers are out it throws, so the server cuts the response (SRV-5).
 */
export function validator(app: App, options: ValidatorOptions = {}): App {
  const log = options.log;
  return (environ: Environ, startResponse: StartResponse) => {
    const req = new ValidatedRequest(environ, startResponse, log);
    if (typeof app !== 'function') {
      req.report({ rule: 'APP-1', seen: `the app is ${show(app)}, not a function` });
      return req.failureBody();
    }
    if (!req.admitEnviron()) return req.failureBody();
    let result: ResponseBody | Promise<ResponseBody>;
    try {
      result = app(environ, req.startResponse);
    } catch (error) {
      return req.recover(error);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (body) => wrapBody(req, body),
        (error: unknown) => req.recover(error),
      );
    }
    return wrapBody(req, result);
  };
}

function isThenable(value: unknown): value is Promise<ResponseBody> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

function wrapBody(req: ValidatedRequest, body: unknown): ResponseBody {
  const appBody = body as ResponseBody;
  if (
    body === null ||
    body === undefined ||
    typeof body !== 'object' ||
    ArrayBuffer.isView(body) ||
    (typeof (body as Iterable<unknown>)[Symbol.iterator] !== 'function' &&
      typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function')
  ) {
    req.report({ rule: 'APP-2', seen: `the app returned ${show(body)}` });
    return req.failureBody(isCloseable(body) ? appBody : null);
  }
  const close = (body as { close?: unknown }).close;
  if (close !== undefined && typeof close !== 'function') {
    req.report({ rule: 'APP-2', seen: `the body's close is ${show(close)}, not a function` });
    return req.failureBody();
  }
  if (req.failed) return req.failureBody(appBody);
  if (Array.isArray(body)) return checkArray(req, appBody, body as unknown[]);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return new CheckedAsyncBody(req, appBody);
  return new CheckedSyncBody(req, appBody);
}

function isCloseable(body: unknown): boolean {
  return body !== null && typeof body === 'object' && typeof (body as { close?: unknown }).close === 'function';
}

/** Arrays are checked whole, up front, and stay arrays so the server can still frame them with Content-Length (SRV-1). */
function checkArray(req: ValidatedRequest, appBody: ResponseBody, chunks: unknown[]): ResponseBody {
  const out: Uint8Array[] = [];
  try {
    for (const chunk of chunks) {
      const step = req.step({ done: false, value: chunk });
      if ('emit' in step) out.push(step.emit);
    }
    req.step({ done: true, value: undefined });
  } catch (error) {
    const failure: ResponseBody = req.recover(error);
    failure.close = () => req.close(appBody);
    return failure;
  }
  const body: ResponseBody = out;
  body.close = () => req.close(appBody);
  return body;
}

/** The 500 (or the cut) that replaces the rest of a body once a violation was found mid-stream. */
function failureSteps(req: ValidatedRequest, error: unknown): Uint8Array[] {
  return req.recover(error);
}

/** What the sync and async checked bodies share: the 500-or-cut tail after a violation, and close(). */
abstract class CheckedBody {
  protected tail: Uint8Array[] | null = null;

  constructor(
    protected readonly req: ValidatedRequest,
    protected readonly appBody: ResponseBody,
  ) {}

  /** Turns one step of the app's iterator into the next result, or starts the failure tail. */
  protected settle(step: () => Step): IteratorResult<Uint8Array> | null {
    let s: Step;
    try {
      s = step();
    } catch (error) {
      return this.failWith(error);
    }
    if ('emit' in s) return { done: false, value: s.emit };
    if ('done' in s) return { done: true, value: undefined };
    return null;
  }

  /** A violation (or an app error) mid-body: the rest of the body is the 500 or the cut. */
  protected failWith(error: unknown): IteratorResult<Uint8Array> {
    this.tail = failureSteps(this.req, error);
    return this.drainTail();
  }

  protected drainTail(): IteratorResult<Uint8Array> {
    const chunk = this.tail!.shift();
    return chunk ? { done: false, value: chunk } : { done: true, value: undefined };
  }

  close(): void | Promise<void> {
    return this.req.close(this.appBody);
  }
}

class CheckedSyncBody extends CheckedBody implements Iterable<Uint8Array>, Iterator<Uint8Array> {
  private readonly inner: Iterator<unknown>;

  constructor(req: ValidatedRequest, appBody: ResponseBody) {
    super(req, appBody);
    this.inner = (appBody as Iterable<unknown>)[Symbol.iterator]();
  }

  [Symbol.iterator](): Iterator<Uint8Array> {
    return this;
  }

  next(): IteratorResult<Uint8Array> {
    if (this.tail) return this.drainTail();
    for (;;) {
      const result = this.settle(() => this.req.step(this.inner.next()));
      if (result) return result;
    }
  }

  return(): IteratorResult<Uint8Array> {
    this.inner.return?.();
    return { done: true, value: undefined };
  }
}

class CheckedAsyncBody extends CheckedBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  private readonly inner: AsyncIterator<unknown>;

  constructor(req: ValidatedRequest, appBody: ResponseBody) {
    super(req, appBody);
    this.inner = (appBody as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.tail) return this.drainTail();
    for (;;) {
      // The await stays outside settle(): a rejected next() must reach the same failure tail as a throw.
      let item: IteratorResult<unknown>;
      try {
        item = await this.inner.next();
      } catch (error) {
        return this.failWith(error);
      }
      const result = this.settle(() => this.req.step(item));
      if (result) return result;
    }
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    await this.inner.return?.();
    return { done: true, value: undefined };
  }
}
