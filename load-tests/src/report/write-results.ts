import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenarioResult } from '../result-types.js';
import { renderHtml } from './html-report.js';

/** Writes `<scenario>.json` (and `.html` unless disabled) into `dir`; returns the paths. */
export async function writeResults(dir: string, result: ScenarioResult, html = true): Promise<{ json: string; html?: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, `${result.scenario}.json`);
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  if (!html) return { json };
  const page = join(dir, `${result.scenario}.html`);
  await writeFile(page, renderHtml(result));
  return { json, html: page };
}
