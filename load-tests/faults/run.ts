// npm run test:faults [-- --long]: runs the fault campaign's test files one
// at a time (each starts its own stack; the machine is small), then prints
// the merged summary table and writes load-tests/results/faults.json.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_DIR, REPO_ROOT } from '../src/repo.js';
import { formatTable, mergeParts, FAULTS_JSON, RESULTS_DIR } from './summary.js';

const { values } = parseArgs({ options: { long: { type: 'boolean', default: false } }, strict: true });
const testDir = join(PACKAGE_DIR, 'test');
const files = readdirSync(testDir).filter((f) => /^faults-.*\.test\.ts$/.test(f)).map((f) => join(testDir, f));
rmSync(join(RESULTS_DIR, 'faults.d'), { recursive: true, force: true });
const res = spawnSync(
  process.execPath,
  ['--conditions=@tsgi/source', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, ...(values.long ? { TSGI_FAULTS_LONG: '1' } : {}) } },
);
const rows = mergeParts();
console.log(`\nfault campaign summary (${rows.filter((r) => r.pass).length}/${rows.length} pass)\n`);
console.log(formatTable(rows));
console.log(`\nwritten: ${FAULTS_JSON}`);
process.exit(res.status ?? 1);
