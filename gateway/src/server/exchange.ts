import { GatewayError, InterfaceViolation } from '../errors.js';
import type { RequestRecord, ServerHooks } from '../server-types.js';
import type { App, Environ, ErrorStream, ResponseBody, ResponseHeaders, StartResponse, Write } from '../types.js';
import { checkResponseHeaders, describeValue, type HeaderFacts } from './response-headers.js';
import { statusCode } from './status-line.js';

/**
 * How an engine puts a response on the wire. The exchange decides what is
 * sent (status, headers, bytes, truncation); the sink decides framing
 * (Content-Length, chunked, close-delimited) and owns the connection.
 * Methods marked terminal end the response; exactly one of them is called.
 */
export interface ResponseSink {
  /**
   * Terminal. Head and a complete body at once. `addLength` >= 0: add that
   * Content-Length header (the app set none); -1: add none. `chunks` null: no body bytes.
   */
  sendAll(code: number, status: string, headers: ResponseHeaders, addLength: number, chunks: Uint8Array[] | null): void;
  /** Head of a streamed body. `fixed`: the app declared Content-Length or the response has no body. */
  sendHead(code: number, status: string, headers: ResponseHeaders, fixed: boolean, noBody: boolean): void;
  /** A body chunk; false when the socket buffer is full (await waitDrain). */
  write(chunk: Uint8Array): boolean;
  /** Resolves when the socket drained or the client went away. */
  waitDrain(): Promise<void>;
  /** Terminal. End of a streamed body; `complete` false: fewer bytes than declared, close the connection (RESP-8). */
  endBody(complete: boolean): void;
  /** Terminal. Cut the connection mid-response so the client sees it incomplete (SRV-5). */
  cut(): void;
  /** Terminal. A server-made error response (nothing was sent yet); closes the connection. */
  sendError(code: number, message: string): void;
}

/** What an exchange needs from its server. */
export interface ExchangeHost {
  readonly errors: ErrorStream;
  readonly hooks: ServerHooks;
  /** Called once when the exchange is over (after onRequestEnd). */
  exchangeDone(): void;
}

const EMPTY_HEADERS: ResponseHeaders = [];
const RESOLVED = Promise.resolve();

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return `non-Error thrown: ${describeValue(err)}`;
}

/** One request/response: runs the app and enforces the app-facing rules (APP-*, RESP-*, SRV-2/5/8). */
export class Exchange {
  code = 0;
  status = '';
  headers: ResponseHeaders = EMPTY_HEADERS;
  /** Body bytes handed to the sink. */
  sent = 0;
  aborted = false;
  error: unknown = undefined;
  readonly startedAt: number;
  readonly startResponse: StartResponse;

  private started = false;
  private headersSent = false;
  private done = false;
  private bodyClosed = false;
  private declared = -1;
  private noBody = false;
  private violation: InterfaceViolation | null = null;
  private overrunLogged = false;
  private body: ResponseBody | null = null;
  private iterator: Iterator<unknown> | AsyncIterator<unknown> | null = null;
  private iteratorFinished = false;
  private writeFn: Write | null = null;
  private readonly facts: HeaderFacts = { contentLength: -1 };

  constructor(
    private readonly host: ExchangeHost,
    readonly environ: Environ,
    private readonly sink: ResponseSink,
    private readonly isHead: boolean,
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
    this.returnIterator();
    this.closeBody();
    this.finish();
  }

  get isDone(): boolean {
    return this.done;
  }

  /** The response head went out (or is going out): the status can no longer change. */
  get responseStarted(): boolean {
    return this.headersSent;
  }

  private record(v: InterfaceViolation): InterfaceViolation {
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
    const code = statusCode(status);
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
    return this.emit(chunk) ? RESOLVED : this.sink.waitDrain();
  }

  private consume(body: ResponseBody): void {
    if (this.done) {
      this.body = body;
      this.closeBody();
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
    if (Array.isArray(body) && !this.headersSent) this.sendArray(body);
    else void this.pump(body);
  }

  private sendArray(chunks: unknown[]): void {
    let total = 0;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      if (!(c instanceof Uint8Array)) {
        this.fail(new InterfaceViolation('RESP-7', `body chunk #${i} is ${describeValue(c)}`));
        return;
      }
      total += c.length;
    }
    if (!this.started) {
      this.fail(new InterfaceViolation('APP-4', 'the body ended before startResponse was called'));
      return;
    }
    if (this.violation !== null) {
      this.fail(this.violation);
      return;
    }
    if (this.declared !== -1 && this.declared !== total && !this.noBody) {
      void this.pump(chunks as Uint8Array[]);
      return;
    }
    this.headersSent = true;
    const bodyless = this.code === 204 || this.code === 304;
    this.sent = this.noBody ? 0 : total;
    this.sink.sendAll(
      this.code,
      this.status,
      this.headers,
      this.declared !== -1 || bodyless ? -1 : total,
      this.noBody || total === 0 ? null : (chunks as Uint8Array[]),
    );
    this.iteratorFinished = true;
    this.closeBody();
    this.finish();
  }

  /** Sends the head if needed, then the chunk within the declared length. False: wait for drain. */
  private emit(chunk: Uint8Array): boolean {
    if (!this.headersSent) {
      if (!this.started) throw this.record(new InterfaceViolation('APP-4', 'a body chunk came before startResponse was called'));
      if (this.violation !== null) throw this.violation;
      this.headersSent = true;
      this.sink.sendHead(this.code, this.status, this.headers, this.declared !== -1 || this.noBody, this.noBody);
    }
    if (this.noBody) return true;
    if (this.declared !== -1) {
      const room = this.declared - this.sent;
      if (chunk.length > room) {
        if (!this.overrunLogged) {
          this.overrunLogged = true;
          this.log(new InterfaceViolation('RESP-8', `body longer than its Content-Length ${this.declared}; extra bytes dropped`).message);
        }
        if (room <= 0) return true;
        chunk = chunk.subarray(0, room);
      }
    }
    this.sent += chunk.length;
    return this.sink.write(chunk);
  }

  private async pump(body: ResponseBody): Promise<void> {
    const isAsync = typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function';
    try {
      const it = isAsync
        ? (body as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (body as Iterable<unknown>)[Symbol.iterator]();
      this.iterator = it;
      for (;;) {
        let step = it.next() as IteratorResult<unknown> | Promise<IteratorResult<unknown>>;
        if (isThenable(step)) step = await step;
        if (this.done) return;
        if (step.done) {
          this.iteratorFinished = true;
          break;
        }
        const chunk = step.value;
        if (!(chunk instanceof Uint8Array)) {
          throw this.record(new InterfaceViolation('RESP-7', `body chunk is ${describeValue(chunk)}`));
        }
        if (chunk.length === 0) continue;
        if (!this.emit(chunk)) {
          await this.sink.waitDrain();
          if (this.done) return;
        }
        // HEAD, 204, 304: the head is out and no body byte will be sent, so stop producing.
        if (this.noBody) break;
      }
    } catch (err) {
      this.fail(err);
      return;
    }
    this.complete();
  }

  private complete(): void {
    if (this.done) return;
    if (!this.headersSent) {
      if (!this.started) {
        this.fail(new InterfaceViolation('APP-4', 'the body ended before startResponse was called'));
        return;
      }
      if (this.violation !== null) {
        this.fail(this.violation);
        return;
      }
      this.headersSent = true;
      if (this.declared <= 0 || this.noBody) {
        const bodyless = this.code === 204 || this.code === 304;
        this.sink.sendAll(this.code, this.status, this.headers, this.declared !== -1 || bodyless ? -1 : 0, null);
        this.returnIterator();
        this.closeBody();
        this.finish();
        return;
      }
      this.sink.sendHead(this.code, this.status, this.headers, true, false);
    }
    const complete = this.noBody || this.declared === -1 || this.sent === this.declared;
    if (!complete) {
      this.log(new InterfaceViolation('RESP-8', `body has ${this.sent} bytes, Content-Length said ${this.declared}; connection closed`).message);
    }
    this.sink.endBody(complete);
    this.returnIterator();
    this.closeBody();
    this.finish();
  }

  /** The app (or the request body) failed: 500 or the input error's status if nothing was sent, else cut (SRV-5, SRV-8). */
  private fail(err: unknown): void {
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
    this.returnIterator();
    this.closeBody();
    this.finish();
  }

  private returnIterator(): void {
    const it = this.iterator;
    if (it === null || this.iteratorFinished) return;
    this.iteratorFinished = true;
    if (typeof it.return !== 'function') return;
    try {
      const r = it.return();
      if (isThenable(r)) (r as Promise<unknown>).then(undefined, (err: unknown) => this.log(`TSGI APP-3 body return() failed: ${errorText(err)}`));
    } catch (err) {
      this.log(`TSGI APP-3 body return() failed: ${errorText(err)}`);
    }
  }

  private closeBody(): void {
    const body = this.body;
    // No body yet (aborted while the app was still working): consume() closes it when it arrives.
    if (this.bodyClosed || body === null) return;
    this.bodyClosed = true;
    if (typeof body.close !== 'function') return;
    try {
      const r = body.close();
      if (isThenable(r)) (r as Promise<void>).then(undefined, (err: unknown) => this.log(`TSGI APP-3 close() failed: ${errorText(err)}`));
    } catch (err) {
      this.log(`TSGI APP-3 close() failed: ${errorText(err)}`);
    }
  }

  private log(line: string): void {
    try {
      this.host.errors.write(line);
    } catch {
      // A broken error sink must not take the server down.
    }
  }

  private finish(): void {
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
