#!/usr/bin/env node
// Runs first in `npm start` and `npm test`. Node 24 LTS is the primary runtime
// and 22.12 the oldest supported line (package.json engines). On an older Node
// (20 left support on 2026-04-30) say so in one line and go on: the stack still
// runs there, but it is not what CI tests in full and parts that need a newer
// Node (testcontainers 12) skip and say why.
import { readFileSync } from 'node:fs';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const floor = /^>=\s*(\d+)\.(\d+)/.exec(engines.node);
if (!floor) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR", got "${engines.node}"`);
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const [needMajor, needMinor] = [Number(floor[1]), Number(floor[2])];
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  console.error(`tsgi: warning: Node ${process.version} is past its end of life and unsupported; use Node ${engines.node} (Node 24 LTS recommended)`);
}
