/**
 * CPU time of AccessList.allows per request (nginx allow/deny, on every request of a route with rules), in
 * process: four rules, peers of both families and IPv4-mapped ones. With `--baseline DIR` the same rounds
 * alternate with DIR's AccessList (a checkout of another commit), so both numbers come from one run.
 * Run: node --conditions=@tsgi/source --import tsx proxy/bench/access-list.bench.ts [--baseline DIR]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface AccessListLike {
  allows(address: string): boolean;
}
type AccessListClass = new (rules: readonly ({ allow: string } | { deny: string })[]) => AccessListLike;

const RULES = [{ deny: '192.168.1.1' }, { allow: '192.168.1.0/24' }, { allow: '10.0.0.0/8' }, { allow: '2001:db8::/32' }, { deny: 'all' }];
const PEERS = ['10.1.2.3', '192.168.1.1', '::ffff:192.168.1.20', '2001:db8::7', '203.0.113.9', '2001:db9::1', '10.200.0.4', '127.0.0.1'];
const PER_ROUND = 400_000;
const ROUNDS = 9;

async function load(dir: string): Promise<AccessListClass> {
  const mod = (await import(pathToFileURL(resolve(dir, 'proxy/src/policy/access-control.ts')).href)) as { AccessList: AccessListClass };
  return mod.AccessList;
}

function round(list: AccessListLike): number {
  let allowed = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < PER_ROUND; i++) if (list.allows(PEERS[i & 7]!)) allowed++;
  const used = process.cpuUsage(start);
  if (allowed !== PER_ROUND / 2) throw new Error(`unexpected verdicts: ${allowed} allowed`);
  return ((used.user + used.system) * 1000) / PER_ROUND;
}

const at = process.argv.indexOf('--baseline');
const trees: Array<[string, AccessListLike]> = [['this tree', new (await load(resolve(import.meta.dirname, '../..')))(RULES)]];
if (at !== -1) trees.push([`baseline ${process.argv[at + 1]}`, new (await load(process.argv[at + 1]!))(RULES)]);
const times = trees.map((): number[] => []);
// Alternating which tree goes first, so neither gets the warmer turn every round.
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? [...trees.keys()] : [...trees.keys()].reverse();
  for (const i of order) times[i]!.push(round(trees[i]![1]));
}
for (const [i, [name]] of trees.entries()) {
  const t = times[i]!.sort((a, b) => a - b);
  console.log(`${name}: median ${t[ROUNDS >> 1]!.toFixed(0)} ns per allows(), min ${t[0]!.toFixed(0)} ns (node ${process.version})`);
}
