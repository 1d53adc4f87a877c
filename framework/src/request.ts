import type { Environ, InputStream } from '@tsgi/gateway';
import { parseMultipart, readBody, type BodyLimits, type FormData, type UploadedFile } from './body.js';
import { parseCookieHeader } from './cookies.js';
import { BadRequest, UnsupportedMediaType } from './http-exceptions.js';
import { RequestHeaders } from './request-headers.js';

/**
 * The incoming request, as Flask's `request`. Everything is computed on
 * first use from the environ; bodies are read from `tsgi.input` only when
 * asked for (`body()`, `json()`, `form()`, `files()`), within the size limit.
 */
export class Request {
  readonly environ: Environ;
  readonly method: string;
  /** PATH_INFO: the path below the app's mount point ('/' when empty). */
  readonly path: string;
  private readonly limits: BodyLimits;
  private argsCache: URLSearchParams | undefined;
  private headersCache: RequestHeaders | undefined;
  private cookiesCache: Record<string, string> | undefined;
  private bodyPromise: Promise<Buffer> | undefined;
  private formPromise: Promise<FormData> | undefined;

  constructor(environ: Environ, limits: BodyLimits) {
    this.environ = environ;
    this.method = environ.REQUEST_METHOD;
    this.path = environ.PATH_INFO || '/';
    this.limits = limits;
  }

  /** SCRIPT_NAME: where the app is mounted ('' at the root). */
  get scriptRoot(): string {
    return this.environ.SCRIPT_NAME;
  }

  /** The raw query string (not decoded). */
  get queryString(): string {
    return this.environ.QUERY_STRING;
  }

  /** Query parameters (Flask's `request.args`); repeated keys via `getAll`. */
  get args(): URLSearchParams {
    return (this.argsCache ??= new URLSearchParams(this.environ.QUERY_STRING));
  }

  get headers(): RequestHeaders {
    return (this.headersCache ??= new RequestHeaders(this.environ));
  }

  get cookies(): Readonly<Record<string, string>> {
    return (this.cookiesCache ??= parseCookieHeader(this.environ.HTTP_COOKIE));
  }

  get contentType(): string | undefined {
    return this.environ.CONTENT_TYPE;
  }

  /** The media type without parameters, lower-cased: `application/json`. */
  get mimetype(): string {
    const type = this.environ.CONTENT_TYPE ?? '';
    const semi = type.indexOf(';');
    return (semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase();
  }

  get contentLength(): number | undefined {
    const value = this.environ.CONTENT_LENGTH;
    return value === undefined || value === '' ? undefined : Number(value);
  }

  get isJson(): boolean {
    const type = this.mimetype;
    return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
  }

  get scheme(): 'http' | 'https' {
    return this.environ['tsgi.url_scheme'];
  }

  /** Host header, or SERVER_NAME[:SERVER_PORT] when absent. */
  get host(): string {
    const header = this.environ.HTTP_HOST;
    if (header) return header;
    const port = this.environ.SERVER_PORT;
    const standard = (this.scheme === 'http' && port === '80') || (this.scheme === 'https' && port === '443');
    return standard ? this.environ.SERVER_NAME : `${this.environ.SERVER_NAME}:${port}`;
  }

  /** `scheme://host` + script root. */
  get hostUrl(): string {
    return `${this.scheme}://${this.host}`;
  }

  /** Path with the query string: SCRIPT_NAME + PATH_INFO + ?query. */
  get fullPath(): string {
    const query = this.environ.QUERY_STRING;
    return `${this.environ.SCRIPT_NAME}${this.path}${query ? `?${query}` : ''}`;
  }

  /** The full URL of the request. */
  get url(): string {
    return `${this.hostUrl}${this.fullPath}`;
  }

  get remoteAddr(): string {
    return this.environ.REMOTE_ADDR;
  }

  /** The raw body stream, for handlers that process uploads incrementally. */
  get stream(): InputStream {
    return this.environ['tsgi.input'];
  }

  /** The whole body (Flask's `get_data()`), read once, 413 over the limit. */
  body(): Promise<Buffer> {
    return (this.bodyPromise ??= readBody(this.environ, this.limits.maxContentLength));
  }

  async text(): Promise<string> {
    return (await this.body()).toString('utf8');
  }

  /**
   * The body parsed as JSON: 415 unless the Content-Type is JSON (pass
   * `{ force: true }` to skip that check), 400 when it does not parse.
   */
  async json<T = unknown>(options: { force?: boolean } = {}): Promise<T> {
    if (!options.force && !this.isJson) throw new UnsupportedMediaType("Did not attempt to load JSON data because the request Content-Type was not 'application/json'.");
    const text = await this.text();
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new BadRequest('Failed to decode JSON object.', { cause: error });
    }
  }

  /** Form fields from an urlencoded or multipart body (Flask's `request.form`); empty for other types. */
  async form(): Promise<URLSearchParams> {
    return (await this.parseForm()).fields;
  }

  /** Uploaded files of a multipart body by field name (Flask's `request.files`). */
  async files(): Promise<Map<string, UploadedFile[]>> {
    return (await this.parseForm()).files;
  }

  private parseForm(): Promise<FormData> {
    return (this.formPromise ??= (async () => {
      const type = this.mimetype;
      if (type === 'multipart/form-data') return parseMultipart(this.environ, this.limits);
      if (type === 'application/x-www-form-urlencoded') return { fields: new URLSearchParams(await this.text()), files: new Map() };
      return { fields: new URLSearchParams(), files: new Map() };
    })());
  }
}
