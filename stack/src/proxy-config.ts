import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '@tsgi/proxy';
import { stringify } from 'yaml';

/**
 * The tsgi-proxy config the stack writes when the user brings none: one
 * listener, the admin port, every appserver in one upstream with the retries,
 * passive ejection and active /healthz checks of proxy/proxy.example.yaml, so
 * a tier that dies and comes back costs clients nothing.
 */
export function generatedProxyConfig(host: string, proxyPort: number, adminPort: number, appPorts: readonly number[]): Record<string, unknown> {
  return {
    listeners: [{ address: `${host}:${proxyPort}` }],
    admin: { address: `${host}:${adminPort}` },
    workers: 1,
    upstreams: {
      app: {
        servers: appPorts.map((p) => `${host}:${p}`),
        balance: 'round_robin',
        // Below the appserver's keep-alive (2 s), so the proxy never reuses a connection the app just closed.
        pool: { maxConnections: 0, maxIdle: 64, idleTimeout: '1500ms' },
        retries: { attempts: 2, budget: 0.2, minPerSecond: 5, statuses: [502, 503, 504] },
        passive: { maxFails: 2, failWindow: '10s', ejectBase: '5s', ejectMax: '5m' },
        active: { path: '/healthz', interval: '5s', timeout: '2s', healthyThreshold: 2, unhealthyThreshold: 3 },
        slowStart: '10s',
      },
    },
    routes: [{ host: '*', path: '/', upstream: 'app' }],
    accessLog: true,
  };
}

/** Writes the generated config into `dir`, checked by tsgi-proxy's own validator first; returns its path. */
export function writeProxyConfig(dir: string, config: Record<string, unknown>): string {
  validateConfig(config, 'the generated proxy config');
  const file = join(dir, 'proxy.yaml');
  writeFileSync(file, stringify(config));
  return file;
}
