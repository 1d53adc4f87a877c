import type { ProxyConfig } from './config.js';

/** The `--check-config` summary: one line per listener, route and upstream. */
export function describeConfig(config: ProxyConfig, path: string): string {
  const lines = [`config ok: ${path}`, `workers: ${config.workers}`];
  for (const l of config.listeners) {
    const extras = [l.tls !== undefined ? `tls ${l.tls.minVersion}+${l.tls.http2 ? ' h2' : ''} (${l.tls.certs.length} cert${l.tls.certs.length > 1 ? 's' : ''})` : '', l.proxyProtocol ? 'proxy-protocol' : ''].filter((x) => x !== '');
    lines.push(`listen: ${l.address}${extras.length > 0 ? ` [${extras.join(', ')}]` : ''}`);
  }
  lines.push(`admin: ${config.admin.address ?? 'off'}`);
  for (const r of config.routes) {
    const z = { ...config.compression, ...r.compression };
    lines.push(`route: ${r.host}${r.path} -> ${r.upstream}${z.enabled ? ` [compression ${z.encodings.join(',')} >= ${z.minBytes} B]` : ''}`);
  }
  for (const [name, u] of Object.entries(config.upstreams)) {
    const sticky = u.sticky === undefined ? '' : `, sticky cookie ${u.sticky.cookie}`;
    lines.push(`upstream ${name}: ${u.balance}${sticky}, ${u.servers.map((s) => (s.weight === 1 ? s.address : `${s.address}*${s.weight}`)).join(' ')}`);
  }
  return lines.join('\n');
}
