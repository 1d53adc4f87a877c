import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';

const GiB = 1024 * 1024 * 1024;

interface UploadStats {
  bytes: number;
  baseline: number;
  peak: number;
}

/** Starts `fixture` in a child, streams 1 GiB to it, and returns what it reports about its RSS. */
async function uploadTo(fixture: string, request: (length: number) => string): Promise<{ reply: string; stats: UploadStats }> {
  const args = fixture.endsWith('.ts') ? ['--conditions=@tsgi/source', '--import', 'tsx', fixture] : [fixture];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`upload server exited early (${code})`)));
    });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const replyParts: Buffer[] = [];
    socket.on('data', (d: Buffer) => replyParts.push(d));
    const closed = once(socket, 'close');
    socket.write(request(GiB));
    const block = Buffer.alloc(256 * 1024, 0x61);
    for (let sent = 0; sent < GiB; sent += block.length) {
      if (!socket.write(block)) await once(socket, 'drain');
    }
    socket.end();
    await closed;
    const reply = Buffer.concat(replyParts).toString('latin1');
    const body = reply.includes('\r\n\r\n') ? reply.slice(reply.indexOf('\r\n\r\n') + 4) : reply;
    return { reply, stats: JSON.parse(body) as UploadStats };
  } finally {
    child.kill('SIGKILL');
  }
}

const MiB = 1024 * 1024;

test('a 1 GiB streamed upload is read through tsgi.input without growing RSS by 100 MiB', { timeout: 180_000 }, async () => {
  const served = await uploadTo(join(import.meta.dirname, 'fixtures', 'upload-server.ts'), (length) =>
    `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`,
  );
  assert.match(served.reply, /^HTTP\/1\.1 200 OK/);
  assert.equal(served.stats.bytes, GiB);
  const growthMiB = (served.stats.peak - served.stats.baseline) / MiB;
  // The same gigabyte through a bare node:net server that only counts bytes: the platform's own GC
  // headroom for read buffers (about 40 MiB on Node 20, about 85 MiB on Node 24). The server may add
  // at most 32 MiB to that, and must stay under 100 MiB wherever the platform leaves room for it.
  const bare = await uploadTo(join(import.meta.dirname, 'fixtures', 'raw-upload-server.mjs'), () => '');
  assert.equal(bare.stats.bytes, GiB);
  const bareMiB = (bare.stats.peak - bare.stats.baseline) / MiB;
  const limit = Math.max(100, bareMiB + 32);
  console.log(`upload: RSS growth ${growthMiB.toFixed(1)} MiB (bare node:net ${bareMiB.toFixed(1)} MiB, limit ${limit.toFixed(1)})`);
  assert.ok(growthMiB < limit, `RSS grew by ${growthMiB.toFixed(1)} MiB (bare node:net: ${bareMiB.toFixed(1)} MiB)`);
});
