// The console both CLIs print with: which format, and what one record looks like as a human line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArbiterError, consoleFormat, humanLine, painterFor, prettyStreamWrite } from '@tsgi/arbiter';

const plain = painterFor({});

describe('consoleFormat', () => {
  it('is pretty on a terminal, JSON otherwise; LOG_FORMAT forces either', () => {
    assert.equal(consoleFormat({}, { isTTY: true }), 'pretty');
    assert.equal(consoleFormat({}, { isTTY: false }), 'json');
    assert.equal(consoleFormat({}, {}), 'json');
    assert.equal(consoleFormat({ LOG_FORMAT: 'json' }, { isTTY: true }), 'json');
    assert.equal(consoleFormat({ LOG_FORMAT: 'pretty' }, { isTTY: false }), 'pretty');
    assert.equal(consoleFormat({ LOG_FORMAT: '' }, { isTTY: true }), 'pretty');
  });

  it('refuses anything else with ARB_ERR_LOG_FORMAT', () => {
    assert.throws(
      () => consoleFormat({ LOG_FORMAT: 'text' }, { isTTY: true }),
      (err: unknown) => err instanceof ArbiterError && err.code === 'ARB_ERR_LOG_FORMAT' && err.message === 'LOG_FORMAT must be json or pretty, got "text"',
    );
  });
});

describe('humanLine', () => {
  const at = new Date(2026, 11, 8, 9, 41, 2, 123).getTime();

  it('an event: time, tier, level, role and pid, message, other fields as key=value', () => {
    const line = humanLine('app', JSON.stringify({ level: 30, time: at, pid: 4242, role: 'master', bind: 'http://127.0.0.1:8000', msg: 'Listening at: http://127.0.0.1:8000 (4242)' }), plain);
    assert.equal(line, '09:41:02.123 app    INFO  master 4242   Listening at: http://127.0.0.1:8000 (4242) bind=http://127.0.0.1:8000');
  });

  it("the proxy's access record is one short line; ISO time is read too", () => {
    const line = humanLine('proxy', JSON.stringify({ level: 30, time: new Date(at).toISOString(), msg: 'access', method: 'GET', target: '/', status: 200, ms: 1.26, endpoint: '127.0.0.1:8001' }), plain);
    assert.equal(line, '09:41:02.123 proxy  GET / 200 1.3 ms → 127.0.0.1:8001');
  });

  it('an error shows its message; a plain line keeps its text', () => {
    const line = humanLine('app', JSON.stringify({ level: 50, time: at, pid: 7, role: 'worker', err: { message: 'boom', stack: 'Error: boom' }, msg: 'failed' }), plain);
    assert.equal(line, '09:41:02.123 app    ERROR worker 7      failed err="boom"');
    assert.match(humanLine('app', 'not json', plain)!, /^\d\d:\d\d:\d\d\.\d{3} app {4}not json$/);
  });

  it('colours only a stream that takes colour; prettyStreamWrite ends each line with a newline', () => {
    const record = `${JSON.stringify({ level: 40, time: at, msg: 'careful' })}\n`;
    // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
    assert.match(prettyStreamWrite('app', { hasColors: () => true })(record), /\x1b\[33mWARN/);
    assert.equal(prettyStreamWrite('app', { hasColors: () => false })(record), '09:41:02.123 app    WARN  careful\n');
  });
});
