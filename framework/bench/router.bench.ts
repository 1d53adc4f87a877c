/**
 * Route matching at scale: the framework's matcher vs fastify's find-my-way,
 * 1,000 routes of the same shapes, same lookups, interleaved rounds, one run.
 * Run: node --conditions=@tsgi/source --import tsx framework/bench/router.bench.ts
 */
import FindMyWay from 'find-my-way';
import { UrlMap } from '@tsgi/framework';

const ROUTES = 1000;
const ROUNDS = 11;
const LOOKUPS_PER_ROUND = 200_000;

function rules(): Array<{ ours: string; fmw: string }> {
  const out: Array<{ ours: string; fmw: string }> = [];
  for (let i = 0; i < ROUTES / 4; i++) {
    out.push({ ours: `/static${i}/list`, fmw: `/static${i}/list` });
    out.push({ ours: `/api/v1/res${i}/<int:id>`, fmw: `/api/v1/res${i}/:id` });
    out.push({ ours: `/users/<name>/item${i}`, fmw: `/users/:name/item${i}` });
    out.push({ ours: `/deep/${i}/<a>/<b>/x`, fmw: `/deep/${i}/:a/:b/x` });
  }
  return out;
}

const paths: string[] = [];
for (const i of [0, 63, 127, 191, 249]) paths.push(`/static${i}/list`, `/api/v1/res${i}/42`, `/users/ann/item${i}`, `/deep/${i}/p/q/x`);
paths.push('/missing/path', '/api/v1/res999/1');

const map = new UrlMap();
const fmw = FindMyWay();
for (const [i, rule] of rules().entries()) {
  map.add(rule.ours, { endpoint: `e${i}` });
  fmw.on('GET', rule.fmw, () => undefined);
}

// Both must agree on what matches before timing anything.
for (const path of paths) {
  const ours = map.match(path, 'GET').kind === 'match';
  const theirs = fmw.find('GET', path) !== null;
  if (ours !== theirs) throw new Error(`matchers disagree on ${path}: ours ${ours}, find-my-way ${theirs}`);
}

// The same lookups against only the routes they hit (~20): a linear scan would be ~50x faster here.
const small = new UrlMap();
const wanted = new Set([0, 63, 127, 191, 249]);
for (const [i, rule] of rules().entries()) if (wanted.has(Math.floor(i / 4))) small.add(rule.ours, { endpoint: `e${i}` });

let sink = 0;
function runSmall(): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS_PER_ROUND; i++) if (small.match(paths[i % paths.length]!, 'GET').kind === 'match') sink++;
  return Number(process.hrtime.bigint() - start) / 1e9;
}
function runOurs(): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS_PER_ROUND; i++) if (map.match(paths[i % paths.length]!, 'GET').kind === 'match') sink++;
  return Number(process.hrtime.bigint() - start) / 1e9;
}
function runFmw(): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS_PER_ROUND; i++) if (fmw.find('GET', paths[i % paths.length]!) !== null) sink++;
  return Number(process.hrtime.bigint() - start) / 1e9;
}

runOurs();
runFmw();
const smallRuns: number[] = [];
const ours: number[] = [];
const theirs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    ours.push(LOOKUPS_PER_ROUND / runOurs());
    theirs.push(LOOKUPS_PER_ROUND / runFmw());
    smallRuns.push(LOOKUPS_PER_ROUND / runSmall());
  } else {
    smallRuns.push(LOOKUPS_PER_ROUND / runSmall());
    theirs.push(LOOKUPS_PER_ROUND / runFmw());
    ours.push(LOOKUPS_PER_ROUND / runOurs());
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const o = median(ours);
const f = median(theirs);
console.log(`routes: ${ROUTES}, lookups/round: ${LOOKUPS_PER_ROUND}, rounds: ${ROUNDS} (median), node ${process.version}`);
console.log(`framework UrlMap.match : ${(o / 1e6).toFixed(2)} M lookups/s`);
console.log(`find-my-way find       : ${(f / 1e6).toFixed(2)} M lookups/s`);
console.log(`ratio framework / find-my-way: ${(o / f).toFixed(2)}`);
console.log(`framework with 1,000 routes vs with 20 routes: ${(o / median(smallRuns)).toFixed(2)} (1.00 = no cost from route count)`);
if (sink < 0) console.log(sink);
