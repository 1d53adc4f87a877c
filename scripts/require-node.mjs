#!/usr/bin/env node
// Runs first in `npm start` and `npm test`: on a Node older than the root
// package.json's engines floor (Node 20 is past its end of life) stop with one
// line that says what to do, instead of a stack trace from deep in a test.
import { readFileSync } from 'node:fs';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const floor = /^>=\s*(\d+)\.(\d+)/.exec(engines.node);
if (!floor) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR", got "${engines.node}"`);
const [major, minor] = process.versions.node.split('.').map(Number);
const [needMajor, needMinor] = [Number(floor[1]), Number(floor[2])];
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  console.error(`tsgi: Node ${process.version} is not supported; use Node ${engines.node} (Node 24 LTS recommended) and rerun`);
  process.exit(1);
}
