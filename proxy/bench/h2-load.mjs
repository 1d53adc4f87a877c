#!/usr/bin/env node
// A bounded HTTP/2 load loop against https://localhost:PORT/ on loopback:
// SESSIONS connections, each keeping STREAMS requests in flight, for SECONDS.
// Prints `RESULT <req/s> <p99 ms> <errors>`.
import * as http2 from 'node:http2';

const [port, sessions, streams, seconds] = process.argv.slice(2).map(Number);
const deadline = Date.now() + seconds * 1000;
const latencies = [];
let errors = 0;
const MAX_REQUESTS = 5_000_000;
let started = 0;

async function session() {
  // nginx sends GOAWAY after keepalive_requests (1000) streams: reconnect as browsers do.
  let s = null;
  let gone = true;
  const live = () => {
    if (gone) {
      s?.close();
      s = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
      gone = false;
      const mine = s;
      s.on('error', () => {});
      s.on('goaway', () => {
        if (s === mine) gone = true;
      });
      s.on('close', () => {
        if (s === mine) gone = true;
      });
    }
    return s;
  };
  const one = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      let req;
      try {
        req = live().request({ ':path': '/' });
      } catch {
        gone = true;
        errors++;
        resolve();
        return;
      }
      req.on('response', () => {});
      req.on('data', () => {});
      req.on('end', () => {
        latencies.push(performance.now() - t0);
        resolve();
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const lane = async () => {
    while (Date.now() < deadline && started < MAX_REQUESTS) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: streams }, lane));
  s?.close();
}

const t0 = Date.now();
await Promise.all(Array.from({ length: sessions }, session));
const elapsed = (Date.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? NaN;
console.log(`RESULT ${(latencies.length / elapsed).toFixed(0)} ${p99.toFixed(2)} ${errors}`);
