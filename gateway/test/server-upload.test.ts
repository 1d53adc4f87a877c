import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';

const GiB = 1024 * 1024 * 1024;

test('a 1 GiB streamed upload is read through tsgi.input without growing RSS by 100 MiB', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', join(import.meta.dirname, 'fixtures', 'upload-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
    socket.write(`POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${GiB}\r\nConnection: close\r\n\r\n`);
    const block = Buffer.alloc(256 * 1024, 0x61);
    for (let sent = 0; sent < GiB; sent += block.length) {
      if (!socket.write(block)) await once(socket, 'drain');
    }
    await closed;
    const reply = Buffer.concat(replyParts).toString('latin1');
    assert.match(reply, /^HTTP\/1\.1 200 OK/);
    const stats = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { bytes: number; baseline: number; peak: number };
    assert.equal(stats.bytes, GiB);
    const growthMiB = (stats.peak - stats.baseline) / (1024 * 1024);
    assert.ok(growthMiB < 100, `RSS grew by ${growthMiB.toFixed(1)} MiB`);
    console.log(`upload: ${stats.bytes} bytes, RSS growth ${growthMiB.toFixed(1)} MiB`);
  } finally {
    child.kill('SIGKILL');
  }
});
