import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from '../managed-process.js';
import { freePort } from '@tsgi/test-support';
import { PACKAGE_DIR, tsxArgs } from '../repo.js';
import type { Component } from './topology.js';

/** Servers the hello-server script can be. */
export type HelloKind = 'node-http' | 'fastify' | 'express';

/** node:http / fastify / express hello server with `workers` cluster workers. */
export async function startHello(role: string, kind: HelloKind, workers: number, bodyBytes = 0): Promise<Component> {
  // Cluster workers share one port, so it is chosen up front.
  const port = await freePort();
  const proc = new ManagedProcess({
    role,
    command: process.execPath,
    args: tsxArgs(join(PACKAGE_DIR, 'src/servers/hello-server.ts'), [
      '--kind', kind, '--port', String(port), '--workers', String(workers), '--body-bytes', String(bodyBytes),
    ]),
  });
  await proc.waitForOutput(new RegExp(`(?:listening ${port} [^\\n]*\\n[\\s\\S]*){${workers}}`));
  return { role, proc, port };
}

/** Why gunicorn+Flask cannot run here, or undefined when it can. */
export function gunicornMissing(): string | undefined {
  if (!existsSync('/usr/bin/gunicorn')) return 'gunicorn not installed (Debian: apt-get install gunicorn python3-flask)';
  return undefined;
}

/** Debian's gunicorn (sync workers) serving the Flask hello app. */
export async function startGunicornFlask(role: string, workers: number, bodyBytes = 0): Promise<Component> {
  const port = await freePort();
  const proc = new ManagedProcess({
    role,
    command: '/usr/bin/gunicorn',
    args: ['--workers', String(workers), '--bind', `127.0.0.1:${port}`, '--chdir', join(PACKAGE_DIR, 'servers'),
      '--log-level', 'warning', '--keep-alive', '30', 'flask_hello:app'],
    env: { ...process.env, TSGI_BODY_BYTES: String(bodyBytes), PYTHONDONTWRITEBYTECODE: '1' },
  });
  await proc.waitForPort(port);
  return { role, proc, port };
}

/** The http-proxy library in front of `targetPort`. */
export async function startHttpProxyEdge(role: string, targetPort: number): Promise<Component> {
  const proc = new ManagedProcess({
    role,
    command: process.execPath,
    args: tsxArgs(join(PACKAGE_DIR, 'src/servers/http-proxy-edge.ts'), ['--port', '0', '--target', `http://127.0.0.1:${targetPort}`]),
  });
  const m = await proc.waitForOutput(/listening (\d+)/);
  return { role, proc, port: Number(m[1]) };
}

/** Why nginx cannot run here, or undefined when it can. */
export function nginxMissing(): string | undefined {
  if (!existsSync('/usr/sbin/nginx')) return 'nginx not installed (Debian: apt-get install nginx)';
  return undefined;
}

/**
 * nginx as the alternative edge: upstream keepalive, HTTP/1.1 to upstreams,
 * `proxy_next_upstream` for idempotent requests, as the bundled config does.
 */
export async function startNginx(role: string, upstreamPorts: number[], workers: number): Promise<Component> {
  const dir = await mkdtemp(join(tmpdir(), 'tsgi-lt-nginx-'));
  const port = await freePort();
  const conf = `
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 30s;
  keepalive_requests 100000;
  upstream app {
${upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=3 fail_timeout=5s;`).join('\n')}
    keepalive 64;
    keepalive_requests 100000;
  }
  server {
    listen 127.0.0.1:${port} reuseport;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
      proxy_buffering on;
    }
  }
}
`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  const proc = new ManagedProcess({
    role,
    command: '/usr/sbin/nginx',
    args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off; user root;'],
  });
  await proc.waitForPort(port);
  return {
    role,
    proc,
    port,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
