#!/usr/bin/env node
// npm run loadtest -- --scenario <name> [options]: starts the topology,
// runs the bounded interleaved stages, writes results/<scenario>.json + .html.
import { ConfigError, LoadTestError, type LoadTestErrorCode } from './errors.js';
import { loadConfig } from './config.js';
import { writeResults } from './report/write-results.js';
import { SCENARIO_RUNNERS } from './scenarios/index.js';
import { textSummary } from './summary.js';
import { containersRun } from './containers.js';

async function main(): Promise<number> {
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const progress = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const command = `npm run loadtest -- ${process.argv.slice(2).join(' ')}`;
  const ctx = { cfg, progress, command };
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    progress(`${sig}: stopping (children are killed on exit)`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const result = cfg.containers ? await containersRun(ctx) : await SCENARIO_RUNNERS[cfg.scenario](ctx);
  const paths = await writeResults(cfg.outDir, result, cfg.html);
  console.log(textSummary(result));
  console.log(`results: ${paths.json}${paths.html ? ` and ${paths.html}` : ''}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code: LoadTestErrorCode = err instanceof LoadTestError ? err.code : 'LT_ERR_UNEXPECTED';
    console.error(`loadtest: ${code}: ${(err as Error).message}`);
    process.exit(1);
  },
);
