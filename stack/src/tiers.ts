import { packageBin } from './package-bin.js';
import type { StackOptions } from './options.js';

/** One program of the stack: what to run, the port that says it is up, the URLs to show. */
export interface TierSpec {
  /** `app-a`, `app-b`, ..., `proxy`: the name on every console line. */
  readonly name: string;
  readonly bin: string;
  readonly args: readonly string[];
  readonly port: number;
  readonly urls: readonly (readonly [url: string, what: string])[];
}

export const HOST = '127.0.0.1';

/** The appservers in port order, then the proxy (started last, so its first health checks find them up). */
export function stackTiers(options: StackOptions, proxyConfig: string): TierSpec[] {
  const appserver = packageBin('@tsgi/appserver', 'tsgi-appserver', () => import.meta.resolve('@tsgi/appserver'));
  const proxy = packageBin('@tsgi/proxy', 'tsgi-proxy', () => import.meta.resolve('@tsgi/proxy'));
  const apps = options.appPorts.map((port, i): TierSpec => {
    const letter = i < 26 ? String.fromCharCode(97 + i) : String(i + 1);
    const metrics = options.metricsPorts[i]!;
    return {
      name: `app-${letter}`,
      bin: appserver,
      args: ['--bind', `${HOST}:${port}`, '--metrics-bind', `${HOST}:${metrics}`, '--workers', String(options.workers), options.app],
      port,
      urls: [
        [`http://${HOST}:${port}/`, `appserver ${letter.toUpperCase()}`],
        [`http://${HOST}:${metrics}/metrics`, `appserver ${letter.toUpperCase()} metrics`],
      ],
    };
  });
  const admin = options.adminPort;
  const proxyTier: TierSpec = {
    name: 'proxy',
    bin: proxy,
    args: ['--config', proxyConfig],
    port: options.proxyPort,
    urls: [
      [`http://${HOST}:${options.proxyPort}/`, 'edge proxy: start here'],
      ...(admin === undefined
        ? []
        : ([
            [`http://${HOST}:${admin}/metrics`, 'proxy metrics'],
            [`http://${HOST}:${admin}/upstreams`, 'proxy upstream state'],
          ] as const)),
    ],
  };
  return [...apps, proxyTier];
}
