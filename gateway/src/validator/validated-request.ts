import type { Environ, InputStream, ResponseBody, ResponseHeaders, StartResponse, Write } from '../types.js';
import { InterfaceViolation } from '../errors.js';
import { describeViolation } from '../rules.js';
import { checkEnviron, show, type Finding } from './check-environ.js';
import { checkHeaders, checkStatus, isFinding } from './check-response.js';
import { checkedInput } from './checked-input.js';

type Log = (line: string) => void;
/** What a body wrapper should do with one result of the app's iterator. */
export type Step = { emit: Uint8Array } | { skip: true } | { done: true };

const ENCODER = new TextEncoder();

/**
 * One request under the validator. The app's startResponse is held back and
 * forwarded to the server only when the first non-empty chunk leaves (RESP-6
 * allows exactly this), so any violation found before then can still turn
 * into a clean 500; after it, the response is cut by throwing (SRV-5).
 */
export class ValidatedRequest {
  private violation: InterfaceViolation | null = null;
  private appStarted = false;
  private status = '';
  private headers: ResponseHeaders = [];
  private code = 0;
  private contentLength = -1;
  private bytes = 0;
  /** The server's startResponse was called: from here on the response is (being) sent. */
  private sent = false;
  private realWrite: Write | null = null;
  private ended = false;
  private closeCalls = 0;
  private readonly isHead: boolean;

  constructor(
    private readonly environ: Environ,
    private readonly serverStart: StartResponse,
    private readonly injectedLog: Log | undefined,
  ) {
    this.isHead = typeof environ?.REQUEST_METHOD === 'string' && environ.REQUEST_METHOD === 'HEAD';
  }

  /** Logs the first finding of this request (one line) and returns the error that carries it. */
  report(finding: Finding): InterfaceViolation {
    const error = new InterfaceViolation(finding.rule, finding.seen);
    // Only the first finding is logged; later ones are consequences of it.
    error.reported = true;
    if (this.violation) return error;
    this.violation = error;
    this.log(describeViolation(finding.rule, finding.seen));
    return error;
  }

  private log(line: string): void {
    if (this.injectedLog) return this.injectedLog(line);
    const errors = (this.environ as Record<string, unknown> | null)?.['tsgi.errors'] as { write?: unknown } | undefined;
    if (errors && typeof errors.write === 'function') {
      try {
        (errors.write as (message: string) => void)(`${line}\n`);
        return;
      } catch {
        // A broken tsgi.errors is itself reported as ENV-14; the line still goes to stderr.
      }
    }
    process.stderr.write(`${line}\n`);
  }

  get failed(): boolean {
    return this.violation !== null;
  }

  /** Checks the environ, then wraps tsgi.input in place (the server may read keys back from the same object). */
  admitEnviron(): boolean {
    const finding = checkEnviron(this.environ as Record<string, unknown>);
    if (finding) {
      this.report(finding);
      return false;
    }
    const cl = this.environ.CONTENT_LENGTH;
    const input = this.environ['tsgi.input'] as InputStream;
    this.environ['tsgi.input'] = checkedInput(input, cl === undefined ? -1 : Number(cl), (f) => this.report(f));
    return true;
  }

  readonly startResponse: StartResponse = (status, headers, excInfo) => {
    if (this.violation) throw this.violation;
    const hasExc = excInfo !== undefined && excInfo !== null;
    if (hasExc && this.sent) {
      // Too late to replace anything: the server must rethrow excInfo (RESP-5).
      this.serverStart(status, headers, excInfo);
      this.report({ rule: 'RESP-5', seen: "server's startResponse returned instead of rethrowing excInfo after headers were sent" });
      throw excInfo;
    }
    if (!hasExc && this.appStarted) {
      throw this.report({ rule: 'RESP-5', seen: `startResponse called a second time without excInfo (status ${show(status)})` });
    }
    if (this.ended) throw this.report({ rule: 'RESP-5', seen: 'startResponse called after the body ended' });
    const st = checkStatus(status);
    if (isFinding(st)) throw this.report(st);
    const hd = checkHeaders(headers, st.code);
    if (isFinding(hd)) throw this.report(hd);
    this.status = status;
    this.headers = (headers as ResponseHeaders).map(([n, v]) => [n, v]);
    this.code = st.code;
    this.contentLength = hd.contentLength;
    this.appStarted = true;
    return this.write;
  };

  private readonly write: Write = (chunk) => {
    if (this.ended) throw this.report({ rule: 'RESP-9', seen: 'write() called after the body ended or was closed' });
    if (!(chunk instanceof Uint8Array)) throw this.report({ rule: 'RESP-9', seen: `write(${show(chunk)})` });
    if (this.violation) throw this.violation;
    if (chunk.length === 0) return Promise.resolve();
    this.account(chunk);
    if (!this.sent) this.forwardStart();
    // Typed as a promise, but a server breaking the interface may return anything: inspect it as unknown.
    const pending: unknown = this.realWrite!(chunk);
    if (typeof (pending as Partial<PromiseLike<void>> | null | undefined)?.then !== 'function') {
      this.report({ rule: 'RESP-9', seen: `server's write() returned ${show(pending)}, not a promise` });
      return Promise.resolve();
    }
    return pending as Promise<void>;
  };

  /** Counts a non-empty chunk against RESP-4/RESP-8/RESP-10; throws the violation. */
  private account(chunk: Uint8Array): void {
    if (!this.appStarted) throw this.report({ rule: 'APP-4', seen: `a ${chunk.length}-byte chunk before startResponse` });
    this.bytes += chunk.length;
    if (this.code === 204 || this.code === 304) {
      throw this.report({ rule: 'RESP-10', seen: `${this.code} response with a ${chunk.length}-byte body chunk` });
    }
    if (this.contentLength >= 0 && this.bytes > this.contentLength) {
      throw this.report({ rule: 'RESP-8', seen: `body reached ${this.bytes} bytes, Content-Length is ${this.contentLength}` });
    }
  }

  private forwardStart(): void {
    this.sent = true;
    this.realWrite = this.serverStart(this.status, this.headers);
  }

  /** Judges one result of the app's iterator. */
  step(result: IteratorResult<unknown>): Step {
    if (this.violation) throw this.violation;
    if (result.done) {
      this.finish();
      return { done: true };
    }
    const chunk = result.value;
    if (!(chunk instanceof Uint8Array)) throw this.report({ rule: 'RESP-7', seen: `body chunk is ${show(chunk)}` });
    if (chunk.length === 0) return this.sent ? { emit: chunk } : { skip: true };
    this.account(chunk);
    if (!this.sent) this.forwardStart();
    return { emit: chunk };
  }

  /** The body ended: the last checks, then the headers go out if nothing did yet. */
  finish(): void {
    if (this.ended) return;
    if (!this.appStarted) throw this.report({ rule: 'APP-4', seen: 'the body ended and startResponse was never called' });
    const bodyless = this.isHead || this.code === 204 || this.code === 304;
    if (!bodyless && this.contentLength >= 0 && this.bytes < this.contentLength) {
      throw this.report({ rule: 'RESP-8', seen: `body ended at ${this.bytes} bytes, Content-Length is ${this.contentLength}` });
    }
    this.ended = true;
    if (!this.sent) this.forwardStart();
  }

  /**
   * An error came out of the app. Ours (or any error once a violation is
   * recorded) becomes the 500 while nothing is sent; any other error is the
   * app's own and goes to the server untouched (SRV-5).
   */
  recover(error: unknown): Uint8Array[] {
    if (!this.violation || this.sent) throw error;
    return this.failureChunks();
  }

  /** Starts the 500 with the server and returns its body. */
  failureChunks(): Uint8Array[] {
    if (this.sent) throw this.violation ?? new Error('validator: response already sent');
    const body = ENCODER.encode(`500 Internal Server Error (TSGI validator: ${this.violation?.rule ?? 'unknown'})\n`);
    this.sent = true;
    this.ended = true;
    this.serverStart('500 Internal Server Error', [
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(body.length)],
    ]);
    return this.isHead ? [] : [body];
  }

  /** A 500 body for a response the app never got to stream; closes what the app returned, once. */
  failureBody(appBody?: ResponseBody | null): ResponseBody {
    const chunks: ResponseBody = this.failureChunks();
    chunks.close = () => this.close(appBody);
    return chunks;
  }

  /** close() as the server calls it on our wrapper; the app's close runs once (APP-3). */
  close(appBody: ResponseBody | null | undefined): void | Promise<void> {
    this.closeCalls++;
    if (this.closeCalls > 1) {
      this.report({ rule: 'APP-3', seen: `server called close() ${this.closeCalls} times` });
      return;
    }
    this.ended = true;
    const close = appBody && typeof appBody === 'object' ? (appBody as { close?: unknown }).close : undefined;
    if (typeof close === 'function') return (close as () => void | Promise<void>).call(appBody);
  }
}
