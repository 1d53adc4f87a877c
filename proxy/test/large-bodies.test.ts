import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { test } from 'node:test';
import { basicConfig, startProxy, startUpstream, type ProxyProc } from './helpers.ts';

const GiB = 1024 ** 3;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples the proxy child's RSS while `work` runs; returns the peak growth over the start. */
async function peakGrowth(proxy: ProxyProc, work: () => Promise<void>): Promise<number> {
  const pid = proxy.child.pid as number;
  const base = rssBytes(pid);
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rssBytes(pid)) - base;
}

test('1 GiB upload and 1 GiB download stream through with proxy RSS growth under 100 MiB', { timeout: 180_000 }, async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port], 'limits: { maxBodyBytes: 2g }'));
  try {
    const uploadGrowth = await peakGrowth(proxy, async () => {
      const received = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: proxy.port, path: '/upload', method: 'POST', agent: false, headers: { 'content-length': String(GiB) } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(JSON.parse(body).bytes));
        });
        req.on('error', reject);
        const chunk = Buffer.alloc(256 * 1024, 1);
        let left = GiB;
        const pump = (): void => {
          while (left > 0) {
            left -= chunk.length;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end();
        };
        pump();
      });
      assert.equal(received, GiB);
    });
    const downloadGrowth = await peakGrowth(proxy, async () => {
      const got = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: proxy.port, path: `/download?bytes=${GiB}`, agent: false }, (res) => {
          let n = 0;
          res.on('data', (d: Buffer) => (n += d.length));
          res.on('end', () => resolve(n));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(got, GiB);
    });
    const MiB = 1024 * 1024;
    assert.ok(uploadGrowth < 100 * MiB, `upload grew RSS by ${(uploadGrowth / MiB).toFixed(1)} MiB`);
    assert.ok(downloadGrowth < 100 * MiB, `download grew RSS by ${(downloadGrowth / MiB).toFixed(1)} MiB`);
  } finally {
    await proxy.kill();
    await up.kill();
  }
});

test('a client that stops reading holds back the upstream (backpressure) instead of buffering', { timeout: 60_000 }, async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port]));
  try {
    const growth = await peakGrowth(proxy, async () => {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: proxy.port, path: `/download?bytes=${GiB}`, agent: false }, (res) => {
          let n = 0;
          res.on('data', (d: Buffer) => {
            n += d.length;
            if (n > 1024 * 1024) {
              res.pause();
              // Hold the pause long enough for an unbounded buffer to show up in RSS.
              setTimeout(() => {
                req.destroy();
                resolve();
              }, 1500);
            }
          });
          res.on('error', () => {});
        });
        req.on('error', (e) => (e.message === 'socket hang up' ? resolve() : reject(e)));
        req.end();
      });
    });
    assert.ok(growth < 64 * 1024 * 1024, `RSS grew ${(growth / 1048576).toFixed(1)} MiB while the client was not reading`);
  } finally {
    await proxy.kill();
    await up.kill();
  }
});
