import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';
import { messageOf, errorCode } from '@tsgi/errors';
import { ProxyError } from '../errors.js';

/** One certificate/key pair; `serverNames` empty means "names from the certificate". */
export interface CertSpec {
  cert: string;
  key: string;
  serverNames?: readonly string[];
}

/** TLS settings of one listener, as validated by the config schema. */
export interface TlsSettings {
  certs: readonly CertSpec[];
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults). */
  ciphers: string;
  /** Offer `h2` in ALPN. */
  http2: boolean;
  /** TLS handshake must finish within this many ms. */
  handshakeTimeout: number;
}

interface Loaded {
  /** The certificate file it came from. */
  file: string;
  context: SecureContext;
  /** Exact names (lower case) and `*.suffix` wildcards this pair serves. */
  exact: string[];
  wildcard: string[];
  notAfter: string;
}

/** What a reload did, for the log line. */
export interface ReloadResult {
  ok: boolean;
  /** Why the new material was refused (old contexts kept). */
  error?: string;
  certificates: { file: string; names: string[]; notAfter: string }[];
}

/**
 * The secure contexts of one TLS listener: the first certificate is the
 * default, the others are chosen by SNI (exact name, then `*.suffix`, then
 * the default, as nginx `server_name`). `reload()` re-reads every file; if
 * any pair is unreadable, mismatched or malformed, the running contexts are
 * kept and the result says why, so a bad deploy never takes TLS down.
 * Connections already open keep the context they handshook with.
 */
export class TlsContexts {
  /** The first pair answers clients without SNI or with a name no pair serves. */
  private loaded: [Loaded, ...Loaded[]];
  private exact = new Map<string, SecureContext>();
  private wildcard: [string, SecureContext][] = [];

  constructor(private readonly settings: TlsSettings) {
    this.loaded = loadAll(settings);
    this.index();
  }

  /** Options for `tls.createServer` / `tls.TLSSocket` (SNI callback included). */
  serverOptions(): TlsOptions {
    return {
      SNICallback: (name, cb) => cb(null, this.contextFor(name)),
      secureContext: this.loaded[0].context,
      ALPNProtocols: this.settings.http2 ? ['h2', 'http/1.1'] : ['http/1.1'],
      minVersion: this.settings.minVersion,
    };
  }

  get handshakeTimeout(): number {
    return this.settings.handshakeTimeout;
  }

  /** The context for an SNI name (absent name: the default). */
  contextFor(servername: string | undefined): SecureContext {
    if (servername) {
      const name = servername.toLowerCase();
      const hit = this.exact.get(name);
      if (hit !== undefined) return hit;
      for (const [suffix, ctx] of this.wildcard) {
        // `*.example.com` covers one label: a.example.com, not a.b.example.com.
        if (name.endsWith(suffix) && name.length > suffix.length && !name.slice(0, -suffix.length).includes('.')) return ctx;
      }
    }
    return this.loaded[0].context;
  }

  /** Re-reads every certificate and key; keeps the running ones if anything is wrong. */
  reload(): ReloadResult {
    let next: [Loaded, ...Loaded[]];
    try {
      next = loadAll(this.settings);
    } catch (err) {
      return { ok: false, error: messageOf(err), certificates: this.describe() };
    }
    this.loaded = next;
    this.index();
    return { ok: true, certificates: this.describe() };
  }

  describe(): ReloadResult['certificates'] {
    return this.loaded.map((l) => ({ file: l.file, names: [...l.exact, ...l.wildcard.map((w) => `*${w}`)], notAfter: l.notAfter }));
  }

  private index(): void {
    this.exact = new Map();
    this.wildcard = [];
    // Earlier pairs win a name they share with later ones.
    for (const l of this.loaded) {
      for (const n of l.exact) if (!this.exact.has(n)) this.exact.set(n, l.context);
      for (const w of l.wildcard) if (!this.wildcard.some(([s]) => s === w)) this.wildcard.push([w, l.context]);
    }
  }
}

function loadAll(settings: TlsSettings): [Loaded, ...Loaded[]] {
  const [first, ...more] = settings.certs;
  if (first === undefined) throw tlsError('no certificate configured');
  return [loadPair(first, settings), ...more.map((spec) => loadPair(spec, settings))];
}

function loadPair(spec: CertSpec, settings: TlsSettings): Loaded {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw tlsError(`cannot read ${what} ${file}: ${errorCode(err) ?? String(err)}`);
    }
  };
  const certPem = read(spec.cert, 'certificate');
  const keyPem = read(spec.key, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (err) {
    throw tlsError(`certificate ${spec.cert} is not a valid PEM certificate: ${messageOf(err)}`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('key does not match the certificate');
  } catch (err) {
    throw tlsError(`key ${spec.key} does not fit certificate ${spec.cert}: ${messageOf(err)}`);
  }
  let context: SecureContext;
  try {
    context = createSecureContext({ cert: certPem, key: keyPem, minVersion: settings.minVersion, ciphers: settings.ciphers, honorCipherOrder: true });
  } catch (err) {
    throw tlsError(`certificate ${spec.cert} with key ${spec.key} refused by OpenSSL: ${messageOf(err)}`);
  }
  const names = spec.serverNames !== undefined && spec.serverNames.length > 0 ? [...spec.serverNames] : certNames(x509);
  const exact: string[] = [];
  const wildcard: string[] = [];
  for (const raw of names) {
    const n = raw.toLowerCase();
    if (n.startsWith('*.')) wildcard.push(n.slice(1));
    else exact.push(n);
  }
  return { file: spec.cert, context, exact, wildcard, notAfter: x509.validTo };
}

/** DNS names from subjectAltName, else the subject CN. */
function certNames(x509: X509Certificate): string[] {
  const san = x509.subjectAltName;
  if (san) {
    const dns = san
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4));
    if (dns.length > 0) return dns;
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject);
  return cn?.[1] ? [cn[1]] : [];
}

function tlsError(message: string): ProxyError {
  return new ProxyError('PX_ERR_TLS_CERT', message);
}
