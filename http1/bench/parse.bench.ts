/**
 * CPU time of parseRequestHead per head, in process: a GET whose path takes
 * the percent-decoding branch, and a chunked POST. Seven rounds of 400 000
 * heads each, median and minimum, so a loaded machine does not inflate it.
 * Run: npm run bench -w @tsgi/http1
 */
import { DEFAULT_HEAD_LIMITS, parseRequestHead } from '../src/index.ts';

const HEADS = [
  'GET /static/caf%C3%A9%20menu.txt?x=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n',
  'POST /upload HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n',
].map((head) => Buffer.from(head, 'latin1'));
const PER_ROUND = 400_000;
const ROUNDS = 7;

const perHead: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = process.cpuUsage();
  for (let i = 0; i < PER_ROUND; i++) {
    const head = HEADS[i & 1]!;
    parseRequestHead(head, 0, head.length, DEFAULT_HEAD_LIMITS);
  }
  const used = process.cpuUsage(start);
  perHead.push(((used.user + used.system) * 1000) / PER_ROUND);
}
perHead.sort((a, b) => a - b);
console.log(`node ${process.version}: median ${perHead[ROUNDS >> 1]!.toFixed(0)} ns/head, min ${perHead[0]!.toFixed(0)} ns/head`);
