import { request } from 'node:http';

/** One GET's outcome. */
export interface GetResult {
  status: number;
  servedBy: string | null;
  body: string;
}

/** GET over a fresh connection (so every request is balanced anew), bounded by `timeoutMs`. */
export function get(url: string, timeoutMs = 10_000): Promise<GetResult> {
  return new Promise((resolveGet, reject) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const header = res.headers['x-served-by'];
        resolveGet({ status: res.statusCode ?? 0, servedBy: typeof header === 'string' ? header : null, body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `X-Served-By: host:pid` → host. */
export function servedHost(servedBy: string | null): string | null {
  if (servedBy === null) return null;
  const i = servedBy.lastIndexOf(':');
  return i > 0 ? servedBy.slice(0, i) : servedBy;
}

/** What a bounded load loop saw. */
export interface LoadReport {
  ok: number;
  failures: string[];
  hosts: Map<string, number>;
}

/**
 * GETs `url` from `concurrency` loops until `stop()` is called, `maxRequests`
 * were sent or `maxMs` passed, whichever comes first. A failure is any error or
 * a status other than 200.
 */
export function loadLoop(url: string, opts: { concurrency: number; maxRequests: number; maxMs: number }) {
  const report: LoadReport = { ok: 0, failures: [], hosts: new Map() };
  const deadline = Date.now() + opts.maxMs;
  let sent = 0;
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped && sent < opts.maxRequests && Date.now() < deadline) {
      sent++;
      try {
        const r = await get(url);
        if (r.status === 200) {
          report.ok++;
          const host = servedHost(r.servedBy) ?? '(none)';
          report.hosts.set(host, (report.hosts.get(host) ?? 0) + 1);
        } else {
          report.failures.push(`status ${r.status}: ${r.body.slice(0, 200)}`);
        }
      } catch (err) {
        report.failures.push((err as Error).message);
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency }, loop)).then(() => report);
  return {
    report,
    /** Stops the loops after their current request and resolves with the report. */
    stop: (): Promise<LoadReport> => {
      stopped = true;
      return done;
    },
    done,
  };
}

/** Polls `check` until it returns a value (not undefined) or `maxMs` passes; then throws with the last reason. */
export async function waitFor<T>(what: string, maxMs: number, check: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + maxMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${maxMs} ms waiting for ${what}${last ? ` (last: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
