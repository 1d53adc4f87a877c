import type { Environ, InputStream } from '@tsgi/gateway';
import { checkDeclaredLength, parseMultipart, readBody, type BodyLimits, type FormData, type UploadedFile } from './body.js';
import { requestCookies, type RequestCookies } from './cookies.js';
import { MimeAccept } from './accept.js';
import { parseAuthorization, type Authorization } from './authorization.js';
import { BadRequest, RequestEntityTooLarge, UnsupportedMediaType } from './http-exceptions.js';
import { MultiDict } from './multi-dict.js';
import { RequestHeaders } from './request-headers.js';

// Werkzeug's get_current_url safe sets (WHATWG path-segment set, plus '%' for already-quoted text).
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const PATH_SAFE = /[^A-Za-z0-9\-._~!$&'()*+,/:;=@%\u0080-\uffff]/g;
const QUERY_SAFE = /[^A-Za-z0-9\-._~!$&'()*+,/:;=?@%\u0080-\uffff]/g;
const ENCODED_UTF8 = /(?:%[C-Fc-f][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f])+)+/g;

/** Quotes unsafe ASCII, keeps non-ASCII readable and decodes percent-encoded UTF-8 (Werkzeug's quote + uri_to_iri). */
function quoteIri(text: string, unsafe: RegExp): string {
  const quoted = text.replace(unsafe, (ch) => encodeURIComponent(ch));
  return quoted.replace(ENCODED_UTF8, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

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
  private argsCache: MultiDict | undefined;
  private acceptCache: MimeAccept | undefined;
  private headersCache: RequestHeaders | undefined;
  private cookiesCache: RequestCookies | undefined;
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
  get args(): MultiDict {
    return (this.argsCache ??= MultiDict.fromQuery(this.environ.QUERY_STRING));
  }

  get headers(): RequestHeaders {
    return (this.headersCache ??= new RequestHeaders(this.environ));
  }

  /** Cookies by name (`cookies.theme`), with `get(name, fallback)` and `has(name)` as Flask's `request.cookies`. */
  get cookies(): RequestCookies {
    return (this.cookiesCache ??= requestCookies(this.environ.HTTP_COOKIE));
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
    // Werkzeug's get_host: the scheme's default port is dropped, so `example.com:80` is `example.com`.
    if (header) {
      const defaultPort = this.scheme === 'https' ? ':443' : ':80';
      return header.endsWith(defaultPort) ? header.slice(0, -defaultPort.length) : header;
    }
    const port = this.environ.SERVER_PORT;
    const standard = (this.scheme === 'http' && port === '80') || (this.scheme === 'https' && port === '443');
    return standard ? this.environ.SERVER_NAME : `${this.environ.SERVER_NAME}:${port}`;
  }

  /** `scheme://host` + script root. */
  get hostUrl(): string {
    return `${this.scheme}://${this.host}`;
  }

  /** Path and query as Werkzeug's `full_path`: always with `?` (`/x?` without a query), no mount point. */
  get fullPath(): string {
    return `${this.path}?${this.environ.QUERY_STRING}`;
  }

  /** The full URL as Werkzeug's `request.url`: an IRI (non-ASCII left readable), unsafe ASCII percent-encoded. */
  get url(): string {
    const query = this.environ.QUERY_STRING;
    const root = quoteIri(this.environ.SCRIPT_NAME.replace(/\/+$/, ''), PATH_SAFE);
    return `${this.hostUrl}${root}/${quoteIri(this.path.replace(/^\/+/, ''), PATH_SAFE)}${query ? `?${quoteIri(query, QUERY_SAFE)}` : ''}`;
  }

  /** URL without the query (Werkzeug's `base_url`). */
  get baseUrl(): string {
    const url = this.url;
    const q = url.indexOf('?');
    return q === -1 ? url : url.slice(0, q);
  }

  /** Query arguments, then form fields (Werkzeug's `request.values`; GET requests use only the query). */
  async values(): Promise<MultiDict> {
    const out = MultiDict.fromQuery(this.environ.QUERY_STRING);
    if (this.method === 'GET') return out;
    for (const [key, value] of await this.form()) out.append(key, value);
    return out;
  }

  /** Basic or Bearer credentials from Authorization (Werkzeug's `request.authorization`), or undefined. */
  get authorization(): Authorization | undefined {
    return parseAuthorization(this.environ.HTTP_AUTHORIZATION);
  }

  /** The Accept header for content negotiation: `request.acceptMimetypes.bestMatch(['text/html', 'application/json'])`. */
  get acceptMimetypes(): MimeAccept {
    return (this.acceptCache ??= new MimeAccept(this.environ.HTTP_ACCEPT));
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
  async json<T = unknown>(options: { force?: boolean; silent?: boolean } = {}): Promise<T> {
    if (!options.force && !this.isJson) {
      if (options.silent) return undefined as T;
      throw new UnsupportedMediaType("Did not attempt to load JSON data because the request Content-Type was not 'application/json'.");
    }
    const body = await this.body();
    try {
      // As Python's json.loads on bytes: a UTF-8 BOM is skipped, invalid UTF-8 is a 400 (not U+FFFD).
      return JSON.parse(STRICT_UTF8.decode(body)) as T;
    } catch (error) {
      if (options.silent) return undefined as T;
      // Flask outside debug: the generic 400 page (the parser's message stays in `cause`).
      throw new BadRequest(undefined, { cause: error });
    }
  }

  /** Flask's `get_json(silent=True)`: undefined instead of 400/415. */
  getJson<T = unknown>(options: { force?: boolean; silent?: boolean } = {}): Promise<T> {
    return this.json<T>(options);
  }

  /** Form fields from an urlencoded or multipart body (Flask's `request.form`); empty for other types. */
  async form(): Promise<MultiDict> {
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
      if (type === 'application/x-www-form-urlencoded') {
        // The whole body is the form: held in memory, so it gets the form memory limit (413 beyond).
        checkDeclaredLength(this.environ, this.limits.maxFormMemorySize);
        const body = await this.body();
        if (body.length > this.limits.maxFormMemorySize) throw new RequestEntityTooLarge();
        return { fields: MultiDict.fromQuery(body.toString('utf8')), files: new Map() };
      }
      return { fields: new MultiDict(), files: new Map() };
    })());
  }
}
