// Security across the stack: header injection by the app refused (rule id
// logged), path traversal against static files, XSS through templates,
// X-Forwarded-For / -Proto spoofing beyond the trusted hop, open redirects.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { header, rawExchange, type RawExchange } from '../faults/raw-client.ts';
import { appAt, SECURITY_APP, stackMissing, startFaultStack, type FaultStack } from '../faults/stack.ts';
import { FaultLog } from '../faults/summary.ts';
import type { ManagedProcess } from '../src/managed-process.ts';
import { proxyMissing, sampleAppMissing } from '../src/topology/stack.ts';

const log = new FaultLog('security');
const skip = stackMissing(false) ?? false;
const proxySkip = proxyMissing() ?? false;
const sampleSkip = sampleAppMissing() ?? false;

function get(port: number, target: string, headers = ''): Promise<RawExchange> {
  return rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`, { timeoutMs: 8000 });
}

const TRAVERSALS = [
  '/static/../package.json',
  '/static/../../package.json',
  '/static/%2e%2e/package.json',
  '/static/%2e%2e%2fpackage.json',
  '/static/..%2f..%2fpackage.json',
  '/static/..%5c..%5cpackage.json',
  '/static/..\\..\\package.json',
  '/static/%252e%252e/package.json',
  '/static/%c0%ae%c0%ae/package.json',
  '/static/robots.txt%00.css',
  '/static/%2fetc%2fpasswd',
  '/static//etc/passwd',
  '/static/./../../../../etc/passwd',
];
const SECRETS = [/"name":\s*"@tsgi\//, /root:x:0:0/];

// Last segments without a dot, so the trailing-slash policy redirects them (a dotted one looks like a file and is left alone).
const REDIRECT_PROBES = ['//evil.example/x', '///evil.example/x', '/\\evil.example/x', '/%2F%2Fevil.example/x', '/%5Cevil.example/x', '/%5C%5Cevil.example/x', '//evil', '/r/old'];

describe('security', { skip }, () => {
  let stack: FaultStack;
  const targets = (): Array<{ name: string; port: number; skip: string | false }> => [
    { name: 'appserver', port: appAt(stack, 0).port, skip: false },
    { name: 'proxy', port: stack.proxy?.port ?? 0, skip: proxySkip },
  ];
  before(async () => {
    stack = await startFaultStack({ appservers: 1, workers: 1, proxy: proxySkip === false, app: SECURITY_APP });
  });
  after(async () => {
    await stack?.stop();
    await log.flush();
  });

  for (const t of ['appserver', 'proxy'] as const) {
    test(`${t}: response-header injection by the app is refused with 500 and RESP-3 logged`, { skip: t === 'proxy' ? proxySkip : false }, async () => {
      const port = targets().find((x) => x.name === t)!.port;
      const r = await get(port, '/__faults/inject-header');
      const status = r.responses[0]?.status ?? 0;
      const leaked = /set-cookie:\s*pwned/i.test(r.raw.toString('latin1'));
      const appLog = (appAt(stack, 0).proc as ManagedProcess).log;
      const ruleLogged = /RESP-3/.test(appLog);
      const pass = status === 500 && !leaked && ruleLogged;
      log.add({ area: `security/${t}`, case: 'app injects CR/LF into a response header', expected: '500, no injected header, RESP-3 in the log',
        seen: `${status}; injected header reached client ${leaked}; RESP-3 logged ${ruleLogged}`, pass });
      assert.equal(status, 500);
      assert.ok(!leaked, 'the injected Set-Cookie reached the client');
      assert.ok(ruleLogged, 'no log line naming RESP-3');
    });

    test(`${t}: status-line injection by the app is refused with 500 and RESP-1 logged`, { skip: t === 'proxy' ? proxySkip : false }, async () => {
      const port = targets().find((x) => x.name === t)!.port;
      const r = await get(port, '/__faults/inject-status');
      const status = r.responses[0]?.status ?? 0;
      const leaked = /set-cookie:\s*pwned/i.test(r.raw.toString('latin1'));
      const ruleLogged = /RESP-1/.test((appAt(stack, 0).proc as ManagedProcess).log);
      const pass = status === 500 && !leaked && ruleLogged;
      log.add({ area: `security/${t}`, case: 'app injects CR/LF into the status line', expected: '500, nothing injected, RESP-1 in the log',
        seen: `${status}; injected ${leaked}; RESP-1 logged ${ruleLogged}`, pass });
      assert.equal(status, 500);
      assert.ok(!leaked);
      assert.ok(ruleLogged, 'no log line naming RESP-1');
    });

    test(`${t}: path traversal against /static is refused (${TRAVERSALS.length} shapes)`, { skip: (t === 'proxy' ? proxySkip : false) || sampleSkip }, async () => {
      const port = targets().find((x) => x.name === t)!.port;
      const bad: string[] = [];
      const seen: string[] = [];
      for (const target of TRAVERSALS) {
        const r = await get(port, target);
        const res = r.responses[0];
        const status = res?.status ?? 0;
        const body = res?.body.toString('latin1') ?? '';
        seen.push(`${status}`);
        if (![400, 403, 404].includes(status) || SECRETS.some((re) => re.test(body))) bad.push(`${target} -> ${status}`);
      }
      const ok = await get(port, '/static/robots.txt');
      const robots = ok.responses[0]?.status ?? 0;
      log.add({ area: `security/${t}`, case: `static traversal, ${TRAVERSALS.length} shapes`, expected: '400/403/404, no file outside the root; robots.txt 200',
        seen: `${[...new Set(seen)].join('/')}; escaped: ${bad.length}; robots ${robots}`, pass: bad.length === 0 && robots === 200 });
      assert.deepEqual(bad, []);
      assert.equal(robots, 200, 'a file inside the root is still served');
    });

    test(`${t}: XSS through the hello template is escaped`, { skip: (t === 'proxy' ? proxySkip : false) || sampleSkip }, async () => {
      const port = targets().find((x) => x.name === t)!.port;
      // No '/' in the payloads: an encoded slash makes a second path segment and the route does not match (404, as in Flask).
      const payloads = ['<script>alert(1)', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>"];
      const failures: string[] = [];
      for (const p of payloads) {
        const r = await get(port, `/hello/${encodeURIComponent(p)}`);
        const res = r.responses[0];
        const body = res?.body.toString('utf8') ?? '';
        if (res?.status !== 200 || body.includes(p) || /<script>alert|<img src=x|<svg onload/i.test(body)) failures.push(`${p} -> ${res?.status}`);
      }
      log.add({ area: `security/${t}`, case: 'XSS via /hello/<name>', expected: '200, markup escaped', seen: failures.length ? failures.join('; ') : `${payloads.length}/${payloads.length} escaped`,
        pass: failures.length === 0 });
      assert.deepEqual(failures, []);
    });
  }

  test('proxy: X-Forwarded-For / -Proto from an untrusted client do not reach the app as the client', { skip: proxySkip }, async () => {
    const r = await get(stack.proxy!.port, '/__faults/env', 'X-Forwarded-For: 6.6.6.6, 7.7.7.7\r\nX-Forwarded-Proto: https\r\n');
    const env = JSON.parse(r.responses[0]?.body.toString('utf8') || '{}') as { REMOTE_ADDR?: string; url_scheme?: string; HTTP_X_FORWARDED_FOR?: string };
    const pass = env.REMOTE_ADDR === '127.0.0.1' && env.url_scheme === 'http';
    log.add({ area: 'security/proxy', case: 'X-Forwarded-For/-Proto spoofing', expected: 'app sees REMOTE_ADDR 127.0.0.1, scheme http',
      seen: `REMOTE_ADDR ${env.REMOTE_ADDR}; scheme ${env.url_scheme}; XFF "${env.HTTP_X_FORWARDED_FOR}"`, pass });
    assert.equal(env.REMOTE_ADDR, '127.0.0.1');
    assert.equal(env.url_scheme, 'http');
  });

  for (const t of ['appserver', 'proxy'] as const) {
    test(`${t}: the redirects middleware never sends a client to another host`, { skip: t === 'proxy' ? proxySkip : false }, async () => {
      const port = targets().find((x) => x.name === t)!.port;
      const off: string[] = [];
      let redirected = 0;
      const locations: string[] = [];
      for (const target of REDIRECT_PROBES) {
        const r = await get(port, target);
        const res = r.responses[0];
        const loc = res ? header(res, 'location') : undefined;
        if (res && res.status >= 300 && res.status < 400 && loc !== undefined) {
          redirected++;
          locations.push(loc);
          const dest = new URL(loc, `http://127.0.0.1:${port}/`);
          if (dest.host !== `127.0.0.1:${port}`) off.push(`${target} -> ${loc}`);
        }
      }
      log.add({ area: `security/${t}`, case: `open redirect, ${REDIRECT_PROBES.length} shapes`, expected: 'every Location stays on this host',
        seen: `${redirected} redirected (${locations.join(' ')}); off-host ${off.length}${off.length ? `: ${off.join(', ')}` : ''}`, pass: off.length === 0 && redirected > 0 });
      assert.deepEqual(off, []);
      assert.ok(redirected > 0, 'the probes did reach the redirects middleware');
    });
  }
});
