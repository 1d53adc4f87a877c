import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PACKAGE_DIR } from '../src/repo.js';

/** One row of the campaign's summary table. */
export interface FaultRow {
  area: string;
  case: string;
  expected: string;
  seen: string;
  pass: boolean;
  /** Load counts for fault tests: requests sent, failed, retried. */
  sent?: number;
  failed?: number;
  retried?: number;
}

export const RESULTS_DIR = join(PACKAGE_DIR, 'results');
const PARTS_DIR = join(RESULTS_DIR, 'faults.d');
export const FAULTS_JSON = join(RESULTS_DIR, 'faults.json');

/** Formats rows as the printed table. */
export function formatTable(rows: FaultRow[]): string {
  const cols: Array<[string, (r: FaultRow) => string]> = [
    ['case', (r) => `${r.area}: ${r.case}`],
    ['expected', (r) => r.expected],
    ['seen', (r) => r.seen],
    ['counts', (r) => (r.sent === undefined ? '' : `sent ${r.sent} failed ${r.failed ?? 0} retried ${r.retried ?? 0}`)],
    ['pass', (r) => (r.pass ? 'yes' : 'NO')],
  ];
  const cells = rows.map((r) => cols.map(([, f]) => f(r).replace(/\s+/g, ' ').slice(0, 70)));
  // Every row has one cell per column, so i indexes cells' rows and widths alike.
  const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  return [line(cols.map(([h]) => h)), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)].join('\n');
}

async function withLock<T>(fn: () => T): Promise<T> {
  const lock = join(RESULTS_DIR, '.faults.lock');
  for (let i = 0; i < 200; i++) {
    try {
      mkdirSync(lock);
      try {
        return fn();
      } finally {
        rmdirSync(lock);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await delay(25);
    }
  }
  return fn();
}

/** Reads every part file and writes the merged results/faults.json; returns all rows. */
export function mergeParts(): FaultRow[] {
  mkdirSync(PARTS_DIR, { recursive: true });
  const rows: FaultRow[] = [];
  for (const f of readdirSync(PARTS_DIR).sort()) {
    if (!f.endsWith('.json')) continue;
    try {
      rows.push(...(JSON.parse(readFileSync(join(PARTS_DIR, f), 'utf8')) as { rows: FaultRow[] }).rows);
    } catch {
      // A part being rewritten right now; the next merge picks it up.
    }
  }
  const tmp = `${FAULTS_JSON}.${process.pid}.tmp`;
  writeFileSync(
    tmp,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), total: rows.length, passed: rows.filter((r) => r.pass).length, rows }, null, 2)}\n`,
  );
  renameSync(tmp, FAULTS_JSON);
  return rows;
}

/**
 * Collects the rows of one test file; `flush()` writes its part file
 * (results/faults.d/<tag>.json), rebuilds results/faults.json and prints the file's table.
 */
export class FaultLog {
  readonly rows: FaultRow[] = [];
  constructor(private readonly tag: string) {}

  add(row: FaultRow): FaultRow {
    this.rows.push(row);
    return row;
  }

  async flush(): Promise<void> {
    mkdirSync(PARTS_DIR, { recursive: true });
    await withLock(() => {
      writeFileSync(join(PARTS_DIR, `${this.tag}.json`), `${JSON.stringify({ tag: this.tag, rows: this.rows }, null, 2)}\n`);
      mergeParts();
    });
    if (this.rows.length > 0) console.log(`\n${formatTable(this.rows)}\n`);
  }
}
