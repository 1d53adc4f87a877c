import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's prometheus package puts promtool. */
export const PROMTOOL = '/usr/bin/promtool';

/** Whether promtool is installed; tests that need it say why they skip its check. */
export function hasPromtool(): boolean {
  return existsSync(PROMTOOL);
}

/** `promtool check metrics` over an exposition text: ok, or what promtool printed. */
export function checkMetrics(text: string): { ok: boolean; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
