#!/usr/bin/env node
import { messageOf } from '@tsgi/errors';
import { runConformance } from './runner.js';

const USAGE = `usage: tsgi-conformance [--only RULE_OR_TEXT]... [--timeout MS] [--start-timeout MS] -- <start command>

The start command runs the server under test. Placeholders:
  {app}   absolute path of the conformance app module (exports \`app\` and default)
  {port}  a free port on 127.0.0.1 the server must listen on
  {host}  127.0.0.1
One argument after -- runs through /bin/sh -c; several run as argv.
Example: tsgi-conformance -- node my-server.js --app {app} --port {port}`;

function fail(message: string): never {
  process.stderr.write(`tsgi-conformance: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const flags = dash === -1 ? argv : argv.slice(0, dash);
const command = dash === -1 ? [] : argv.slice(dash + 1);
const only: string[] = [];
let timeoutMs: number | undefined;
let startTimeoutMs: number | undefined;
for (let i = 0; i < flags.length; i++) {
  const flag = flags[i];
  const value = flags[i + 1];
  if (flag === '--help' || flag === '-h') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  } else if (flag === '--only' && value !== undefined) {
    only.push(value);
    i++;
  } else if ((flag === '--timeout' || flag === '--start-timeout') && value !== undefined) {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) fail(`${flag} must be a positive integer of milliseconds, got ${JSON.stringify(value)}`);
    if (flag === '--timeout') timeoutMs = n;
    else startTimeoutMs = n;
    i++;
  } else {
    fail(`unknown or incomplete option ${JSON.stringify(flag)}`);
  }
}
if (command.length === 0) fail('no start command after --');

try {
  const report = await runConformance({ command: command.length === 1 ? command[0]! : command, only, timeoutMs, startTimeoutMs });
  process.exit(report.failed === 0 && report.passed > 0 ? 0 : 1);
} catch (error) {
  process.stderr.write(`tsgi-conformance: ${messageOf(error)}\n`);
  process.exit(1);
}
