#!/usr/bin/env node
// Renders nginx.conf.template. As a CLI:
//   node nginx/render.mjs --listen 127.0.0.1:8081 --upstream 127.0.0.1:8001 --upstream 127.0.0.1:8002 > /tmp/edge/nginx.conf
//   nginx -p /tmp/edge -c /tmp/edge/nginx.conf
// As a module: renderNginxConfig({ listen, upstreams, maxBody, workers, accessLog }).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const template = fileURLToPath(new URL('./nginx.conf.template', import.meta.url));

/**
 * @typedef {{ listen?: string, upstreams?: string[], maxBody?: string | number, workers?: string | number, accessLog?: string, maxFails?: number, failTimeout?: string }} NginxOptions
 */

/**
 * Fills the template; `upstreams` are host:port strings.
 * @param {NginxOptions} [options]
 */
export function renderNginxConfig({ listen = '127.0.0.1:8081', upstreams = ['127.0.0.1:8001', '127.0.0.1:8002'], maxBody = '100m', workers = 'auto', accessLog = 'access.log edge buffer=64k flush=1s', maxFails = 2, failTimeout = '10s' } = {}) {
  /** @type {Record<string, string>} */
  const values = {
    NGINX_LISTEN: listen,
    NGINX_UPSTREAM_SERVERS: upstreams.map((u) => `        server ${u} max_fails=${maxFails} fail_timeout=${failTimeout};`).join('\n'),
    NGINX_MAX_BODY: String(maxBody),
    NGINX_WORKERS: String(workers),
    NGINX_ACCESS_LOG: accessLog,
  };
  return readFileSync(template, 'utf8').replace(/\$\{(NGINX_[A-Z_]+)\}/g, (_m, /** @type {string} */ k) => {
    if (!(k in values)) throw new Error(`nginx template: unknown variable ${k}`);
    return values[k] ?? '';
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  /** @type {NginxOptions & { upstreams: string[] }} */
  const opts = { upstreams: [] };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) {
      console.error(`render: ${flag} needs a value`);
      process.exit(2);
    }
    if (flag === '--listen') opts.listen = value;
    else if (flag === '--upstream') opts.upstreams.push(value);
    else if (flag === '--max-body') opts.maxBody = value;
    else if (flag === '--workers') opts.workers = value;
    else {
      console.error(`render: unknown option ${flag}`);
      process.exit(2);
    }
  }
  const { upstreams, ...rest } = opts;
  process.stdout.write(renderNginxConfig(upstreams.length === 0 ? rest : opts));
}
