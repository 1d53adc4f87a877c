import { statusCodeOf } from '@tsgi/http1';
import { GatewayError, InterfaceViolation } from '../errors.js';
import type { RequestRecord } from '../server-types.js';
import type { App, Environ, ResponseBody, ResponseHeaders, StartResponse, Write } from '../types.js';
import { errorText, isThenable } from './app-values.js';
import type { BodyExchange, ExchangeHost, ResponseSink } from './exchange-ports.js';
import { closeBody, emitChunk, pumpBody, returnIterator, sendArray } from './response-body.js';
import { checkResponseHeaders, describeValue, type HeaderFacts } from './response-headers.js';

export type { ExchangeHost, ResponseSink } from './exchange-ports.js';

const EMPTY_HEADERS: ResponseHeaders = [];
const RESOLVED = Promise.resolve();

/**
 * One request/response: runs the app and enforces the app-facing rules
 * (APP-*, RESP-*, SRV-2/5/8). This file holds the lifecycle (run, startResponse,
 * write, fail, abort, finish); response-body.ts iterates, writes and releases the body.
 */
export class Exchange implements BodyExchange {
  code = 0;
  status = '';
  headers: ResponseHeaders = EMPTY_HEADERS;
  /** Body bytes handed to the sink. */
  sent = 0;
  aborted = false;
  error: unknown = undefined;
  readonly startedAt: number;
  readonly startResponse: StartResponse;

  // Response state, shared with response-body.ts; the engines use only the members above and the methods.
  started = false;
  headersSent = false;
  done = false;
  bodyClosed = false;
  declared = -1;
  noBody = false;
  violation: InterfaceViolation | null = null;
  overrunLogged = false;
  body: ResponseBody | null = null;
  iterator: Iterator<unknown> | AsyncIterator<unknown> | null = null;
  iteratorFinished = false;
  private writeFn: Write | null = null;
  private readonly facts: HeaderFacts = { contentLength: -1 };

  constructor(
    private readonly host: ExchangeHost,
    readonly environ: Environ,
    readonly sink: ResponseSink,
    readonly isHead: boolean,
    startedAt: number,
  ) {
    this.startedAt = startedAt;
    this.startResponse = this.doStartResponse.bind(this);
  }

  /** Calls the app and sends its response. */
  run(app: App): void {
    this.host.hooks.onRequestStart?.(this.environ);
    let result: ResponseBody | Promise<ResponseBody>;
    try {
      result = app(this.environ, this.startResponse);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (isThenable(result)) {
      (result as Promise<ResponseBody>).then(
        (body) => this.consume(body),
        (err: unknown) => this.fail(err),
      );
    } else {
      this.consume(result);
    }
  }

  /** The client went away (socket closed) before the response finished (APP-3). */
  abort(): void {
    if (this.done) return;
    this.aborted = true;
    returnIterator(this);
    closeBody(this);
    this.finish();
  }

  get isDone(): boolean {
    return this.done;
  }

  /** The response head went out (or is going out): the status can no longer change. */
  get responseStarted(): boolean {
    return this.headersSent;
  }

  /** Remembers the first interface violation: it becomes the 500's cause even if the app catches it. */
  record(v: InterfaceViolation): InterfaceViolation {
    if (this.violation === null) this.violation = v;
    return v;
  }

  private doStartResponse(status: string, headers: ResponseHeaders, excInfo?: unknown): Write {
    if (this.done) throw new InterfaceViolation('RESP-5', 'startResponse called after the response ended');
    if (this.started) {
      if (excInfo === undefined || excInfo === null) {
        throw this.record(new InterfaceViolation('RESP-5', 'startResponse called a second time without excInfo'));
      }
      if (this.headersSent) throw excInfo;
    }
    const code = statusCodeOf(status);
    if (code === 0) throw this.record(new InterfaceViolation('RESP-1', `status ${JSON.stringify(status)}`));
    try {
      checkResponseHeaders(headers, this.facts);
    } catch (err) {
      throw this.record(err as InterfaceViolation);
    }
    this.started = true;
    this.code = code;
    this.status = status;
    this.headers = headers;
    this.declared = this.facts.contentLength;
    this.noBody = this.isHead || code === 204 || code === 304;
    if (this.writeFn === null) this.writeFn = this.doWrite.bind(this);
    return this.writeFn;
  }

  private doWrite(chunk: Uint8Array): Promise<void> {
    if (this.aborted) return RESOLVED;
    if (this.done) throw new InterfaceViolation('RESP-9', 'write() called after the response ended');
    if (!(chunk instanceof Uint8Array)) {
      throw this.record(new InterfaceViolation('RESP-9', `write() got ${describeValue(chunk)}, not a Uint8Array`));
    }
    if (chunk.length === 0) return RESOLVED;
    return emitChunk(this, chunk) ? RESOLVED : this.sink.waitDrain();
  }

  private consume(body: ResponseBody): void {
    if (this.done) {
      this.body = body;
      closeBody(this);
      return;
    }
    if (
      body === null ||
      (typeof body !== 'object' && typeof body !== 'function') ||
      body instanceof Uint8Array ||
      (typeof (body as Iterable<unknown>)[Symbol.iterator] !== 'function' &&
        typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function')
    ) {
      this.fail(new InterfaceViolation('APP-2', `the app returned ${describeValue(body)}`));
      return;
    }
    this.body = body;
    if (Array.isArray(body) && !this.headersSent) sendArray(this, body);
    else void pumpBody(this, body);
  }

  /** The app (or the request body) failed: 500 or the input error's status if nothing was sent, else cut (SRV-5, SRV-8). */
  fail(err: unknown): void {
    if (this.done) return;
    this.error = err;
    let code = 500;
    let message = 'Internal Server Error';
    if (err instanceof InterfaceViolation) {
      if (!err.reported) this.log(`${err.message} [${this.environ.REQUEST_METHOD} ${String(this.environ.RAW_URI ?? this.environ.PATH_INFO)}]`);
    } else if (err instanceof GatewayError && err.status < 500) {
      // The request body was malformed or too large (seen while the app read it): the client's fault, not the app's.
      code = err.status;
      message = err.message;
    } else {
      this.log(`TSGI SRV-5 app error [${this.environ.REQUEST_METHOD} ${String(this.environ.RAW_URI ?? this.environ.PATH_INFO)}]: ${errorText(err)}`);
    }
    if (!this.headersSent) {
      this.headersSent = true;
      this.code = code;
      this.sent = 0;
      this.sink.sendError(code, message);
    } else {
      this.sink.cut();
    }
    returnIterator(this);
    closeBody(this);
    this.finish();
  }

  log(line: string): void {
    try {
      this.host.errors.write(line);
    } catch {
      // A broken error sink must not take the server down.
    }
  }

  /** Ends the exchange once: the onRequestEnd record, then the host's bookkeeping. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    const onEnd = this.host.hooks.onRequestEnd;
    if (onEnd !== undefined) {
      const record: RequestRecord = {
        environ: this.environ,
        status: this.headersSent ? this.code : 0,
        responseHeaders: this.headers,
        bytesSent: this.sent,
        startedAt: this.startedAt,
        durationMs: performance.now() - this.startedAt,
        aborted: this.aborted,
      };
      if (this.error !== undefined) record.error = this.error;
      try {
        onEnd(record);
      } catch (err) {
        this.log(`TSGI onRequestEnd hook failed: ${errorText(err)}`);
      }
    }
    this.host.exchangeDone();
  }
}
