// What a person sees when starting tsgi-proxy: in a terminal one human line
// per event (the access line short); through a pipe pino JSON whose `time` is
// epoch ms, as tsgi-appserver writes it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runInTerminal, terminalLines } from '@tsgi/test-support';
import { basicConfig, get, root, runCli, startProxy, startUpstream, until } from './helpers.js';

describe('console output', () => {
  it('prints one human line per event in a terminal, the access line short', { timeout: 60_000 }, async () => {
    const upstream = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-console-'));
    const configPath = join(dir, 'proxy.yaml');
    writeFileSync(configPath, basicConfig([upstream.port]).replace('accessLog: false', 'accessLog: true'));
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', FORCE_COLOR: '1' };
    delete env.NO_COLOR;
    delete env.LOG_FORMAT;
    const run = runInTerminal(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', join(root, 'proxy/src/process/cli.ts'), '--config', configPath], { cwd: root, env });
    try {
      await until(() => /tsgi-proxy listening/.test(run.output()), 30_000, `listening\n${run.output()}`);
      const plain = terminalLines(run.output()).join('\n');
      const port = Number(/listeners=\["127\.0\.0\.1:(\d+)"\]/.exec(plain)![1]);
      const pid = Number(/INFO {2}master (\d+) +tsgi-proxy listening/.exec(plain)![1]);
      assert.equal((await get(port, '/hello')).status, 200);
      await until(() => /GET \/hello 200/.test(terminalLines(run.output()).join('\n')), 10_000, 'access line');
      process.kill(pid, 'SIGTERM');
      await run.exited;
      // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
      assert.match(run.output(), /\x1b\[\d+m/, 'coloured');
      const lines = terminalLines(run.output());
      assert.deepEqual(lines.filter((l) => !/^\d\d:\d\d:\d\d\.\d{3} proxy {2}/.test(l)), [], 'every line is "time tier ..."');
      assert.ok(!lines.some((l) => l.includes('{"level"')), 'no raw JSON record');
      const access = lines.find((l) => /GET \/hello 200/.test(l))!;
      assert.match(access, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} proxy  GET /hello 200 [\\d.]+ ms → 127\\.0\\.0\\.1:${upstream.port}$`));
    } finally {
      run.child.kill('SIGKILL');
      await upstream.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints pino JSON with an epoch-ms time through a pipe', { timeout: 60_000 }, async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy(basicConfig([upstream.port]).replace('accessLog: false', 'accessLog: true'));
    try {
      assert.equal((await get(proxy.port, '/')).status, 200);
      await until(() => proxy.output().includes('"msg":"access"'), 10_000, 'access record');
      for (const line of proxy.output().split('\n').filter((l) => l !== '')) {
        const record = JSON.parse(line) as { time: unknown };
        assert.equal(typeof record.time, 'number', line);
      }
    } finally {
      await proxy.kill();
      await upstream.kill();
    }
  });

  it('refuses an unknown LOG_FORMAT in one line, exit 2', async () => {
    process.env.LOG_FORMAT = 'fancy';
    try {
      const r = await runCli(['--config', join(root, 'proxy/proxy.example.yaml')]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, 'config: LOG_FORMAT must be json or pretty, got "fancy"\n');
    } finally {
      delete process.env.LOG_FORMAT;
    }
  });
});
