// What a person sees when starting tsgi-appserver: in a terminal one human
// line per event (time, tier, level, role and pid, message); through a pipe
// pino JSON with an epoch-ms `time`. Each announcement once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpRequest, runInTerminal, terminalLines } from '@tsgi/test-support';
import { CLI, FIXTURES, runCli, until } from './helpers.js';

const APP = `${FIXTURES}pid-app.mjs:app`;
const ARGS = ['-b', '127.0.0.1:0', '-w', '1', '--access-logfile', '-', APP];
const TSX = ['--conditions=@tsgi/source', '--import', 'tsx', CLI];

describe('console output', () => {
  it('prints one human line per event in a terminal, each announcement once', { timeout: 60_000 }, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', FORCE_COLOR: '1' };
    delete env.NO_COLOR;
    delete env.LOG_FORMAT;
    const run = runInTerminal(process.execPath, [...TSX, ...ARGS], { env });
    try {
      await until(() => /Ready: /.test(run.output()), 30_000, `Ready\n${run.output()}`);
      const plain = terminalLines(run.output()).join('\n');
      const port = Number(/Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(plain)![1]);
      const masterPid = Number(/Listening at: \S+ \((\d+)\)/.exec(plain)![1]);
      const reply = await httpRequest(port, '/');
      assert.equal(reply.status, 200);
      await until(() => /"GET \/ HTTP\/1\.1" 200/.test(run.output()), 10_000, 'access line');
      process.kill(masterPid, 'SIGTERM');
      assert.equal(await run.exited, 0);
      // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
      assert.match(run.output(), /\x1b\[\d+m/, 'coloured');
      const lines = terminalLines(run.output());
      const human = /^\d\d:\d\d:\d\d\.\d{3} app\s+(INFO|WARN|ERROR|DEBUG) /;
      assert.deepEqual(lines.filter((l) => !human.test(l)), [], 'every line is "time tier level ..."');
      assert.equal(lines.filter((l) => l.includes('Listening at:')).length, 1, 'Listening at: once');
      assert.equal(lines.filter((l) => l.includes('Ready:')).length, 1, 'Ready: once');
      assert.match(lines.find((l) => l.includes('Listening at:'))!, new RegExp(`INFO  master ${masterPid} +Listening at`));
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('prints pino JSON through a pipe (epoch-ms time), each announcement once; LOG_FORMAT=pretty forces human lines', { timeout: 60_000 }, async () => {
    for (const format of ['json', 'pretty'] as const) {
      const env: NodeJS.ProcessEnv = { LOG_FORMAT: format === 'pretty' ? 'pretty' : '' };
      const r = runCli(ARGS, { env });
      try {
        await until(() => /Ready: /.test(r.stdout()), 30_000, `Ready\n${r.stdout()}${r.stderr()}`);
        r.proc.kill('SIGTERM');
        assert.equal((await r.exited).code, 0);
        const lines = [...r.stdout().split('\n'), ...r.stderr().split('\n')].filter((l) => l !== '');
        assert.equal(lines.filter((l) => l.includes('Listening at:')).length, 1, `${format}: Listening at: once`);
        if (format === 'json') {
          for (const line of lines) {
            const record = JSON.parse(line) as { time: unknown; msg: unknown };
            assert.equal(typeof record.time, 'number', line);
            assert.equal(typeof record.msg, 'string', line);
          }
        } else {
          // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
          assert.doesNotMatch(r.stdout(), /\x1b\[/, 'no colour on a pipe');
          assert.deepEqual(lines.filter((l) => !/^\d\d:\d\d:\d\d\.\d{3} app /.test(l)), []);
        }
      } finally {
        r.proc.kill('SIGKILL');
      }
    }
  });

  it('refuses an unknown LOG_FORMAT in one line, exit 2', async () => {
    const r = runCli(ARGS, { env: { LOG_FORMAT: 'fancy' } });
    assert.equal((await r.exited).code, 2);
    assert.equal(r.stderr(), 'config: LOG_FORMAT must be json or pretty, got "fancy"\n');
    assert.equal(r.stdout(), '');
  });
});
