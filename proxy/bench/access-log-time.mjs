// The cost of one proxy access record with pino's ISO `time` (the proxy
// before) against pino's default epoch-ms `time` (both tiers now), same run,
// same async destination (/dev/null). `node proxy/bench/access-log-time.mjs`
import pino from 'pino';

const N = 300_000;
const RECORD = { method: 'GET', target: '/', status: 200, ms: 1.2, endpoint: '127.0.0.1:8001', bytes: 20 };

function nsPerRecord(options) {
  const log = pino({ base: { pid: 1, role: 'worker' }, ...options }, pino.destination({ dest: '/dev/null', sync: false }));
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) log.info(RECORD, 'access');
  return Number(process.hrtime.bigint() - start) / N;
}

const iso = [];
const epoch = [];
for (let round = 0; round < 5; round++) {
  iso.push(nsPerRecord({ timestamp: pino.stdTimeFunctions.isoTime }));
  epoch.push(nsPerRecord({}));
}
const median = (a) => a.sort((x, y) => x - y)[2];
console.log(
  `ns per access record (median of 5 x ${N}): ISO time ${median(iso).toFixed(0)}, epoch ms ${median(epoch).toFixed(0)}, ratio ${(median(epoch) / median(iso)).toFixed(2)}`,
);
