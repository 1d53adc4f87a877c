/** What one finished request looks like to the access log, whatever the interface. */
export interface AccessEntry {
  remote: string;
  method: string;
  /** The request target as sent, e.g. `/a?b=1`. */
  target: string;
  protocol: string;
  status: number;
  /** Response body bytes; -1 when unknown. */
  bytes: number;
  durationMs: number;
  /** Wall-clock time the request ended. */
  endedAt: Date;
  requestHeader(name: string): string | undefined;
  responseHeader(name: string): string | undefined;
  /** An environ variable (TSGI) for `%({NAME}e)s`. */
  variable?(name: string): string | undefined;
}

type Piece = (e: AccessEntry) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** gunicorn's `%(t)s`: `[10/Oct/2000:13:55:36 +0000]` in local time. */
export function accessTime(d: Date): string {
  const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `[${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}]`;
}

function dash(v: string | undefined): string {
  return v === undefined || v === '' ? '-' : v;
}

function user(e: AccessEntry): string {
  const auth = e.requestHeader('authorization');
  if (!auth || !/^basic /i.test(auth)) return '-';
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, colon) : '-';
}

const ATOMS: Record<string, Piece> = {
  h: (e) => e.remote || '-',
  l: () => '-',
  u: user,
  t: (e) => accessTime(e.endedAt),
  r: (e) => `${e.method} ${e.target} ${e.protocol}`,
  m: (e) => e.method,
  U: (e) => {
    const q = e.target.indexOf('?');
    return q < 0 ? e.target : e.target.slice(0, q);
  },
  q: (e) => {
    const q = e.target.indexOf('?');
    return q < 0 ? '' : e.target.slice(q + 1);
  },
  H: (e) => e.protocol,
  s: (e) => String(e.status),
  B: (e) => (e.bytes < 0 ? '-' : String(e.bytes)),
  b: (e) => (e.bytes <= 0 ? '-' : String(e.bytes)),
  f: (e) => dash(e.requestHeader('referer')),
  a: (e) => dash(e.requestHeader('user-agent')),
  T: (e) => String(Math.floor(e.durationMs / 1000)),
  D: (e) => String(Math.round(e.durationMs * 1000)),
  M: (e) => String(Math.round(e.durationMs)),
  L: (e) => (e.durationMs / 1000).toFixed(6),
  p: () => `<${process.pid}>`,
};

/**
 * Compiles a gunicorn `--access-logformat` once into a function. Atoms:
 * h l u t r m U q H s B b f a T D M L p, and `%({name}i)s` request header,
 * `%({name}o)s` response header, `%({NAME}e)s` environ variable. Unknown
 * atoms render as `-`, as gunicorn's do.
 */
export function compileAccessFormat(format: string): (e: AccessEntry) => string {
  const pieces: Array<string | Piece> = [];
  const re = /%\((\{([^}]*)\}([ioe])|[A-Za-z])\)s/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    if (m.index > last) pieces.push(format.slice(last, m.index));
    if (m[2] !== undefined) {
      const name = m[2].toLowerCase();
      const kind = m[3];
      if (kind === 'i') pieces.push((e) => dash(e.requestHeader(name)));
      else if (kind === 'o') pieces.push((e) => dash(e.responseHeader(name)));
      else {
        const raw = m[2];
        pieces.push((e) => dash(e.variable?.(raw)));
      }
    } else {
      pieces.push(ATOMS[m[1]!] ?? (() => '-'));
    }
    last = m.index + m[0].length;
  }
  if (last < format.length) pieces.push(format.slice(last));
  return (e) => {
    let out = '';
    for (const p of pieces) out += typeof p === 'string' ? p : p(e);
    return out;
  };
}
