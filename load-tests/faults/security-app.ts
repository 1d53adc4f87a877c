// The counting app behind the middleware a deployment puts in front of it:
// proxyFix trusting one hop (the proxy), and the redirects middleware for
// paths an open-redirect attack would use (leading `//`, backslashes, /r/).
// Loaded by the security tests as `load-tests/faults/security-app.ts:app`.
import { proxyFix, redirects } from '@tsgi/middleware';
import { app as counting } from './counting-app.js';

type TsgiApp = Parameters<typeof redirects>[0];
const inner = counting as unknown as TsgiApp;

const redirecting = redirects(inner, { trailingSlash: 'add', map: { '/r/old': '/r/new' } });

/** Paths shaped like open-redirect probes go through the redirects middleware. */
function redirectProbe(path: string): boolean {
  return path.startsWith('//') || path.includes('\\') || path.startsWith('/r/');
}

export const app: TsgiApp = proxyFix(
  (environ, startResponse) => (redirectProbe(environ.PATH_INFO) ? redirecting : inner)(environ, startResponse),
  { xFor: 1, xProto: 1 },
);
