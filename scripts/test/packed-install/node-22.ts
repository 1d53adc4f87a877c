import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder of a Node 22 binary: this one's when it is 22, else what shared/node/node-bin.sh
 * (found beside the repository or a folder above it) provides; null when neither can.
 */
export function node22Dir(root: string): string | null {
  if (process.versions.node.startsWith('22.')) return dirname(process.execPath);
  for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
    const script = join(dirname(dir), 'shared', 'node', 'node-bin.sh');
    if (!existsSync(script)) continue;
    const result = spawnSync('bash', [script, '22'], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : null;
  }
  return null;
}
