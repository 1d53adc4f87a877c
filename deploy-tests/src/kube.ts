import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** One rendered Kubernetes object, as plain data. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** How to render a kustomization here, or why it can't be. */
export type Renderer = { argv: [string, ...string[]]; name: string } | { skip: string };

/**
 * Finds `kubectl kustomize` with an embedded kustomize >= v4 (kubectl >= 1.21;
 * the overlays use `patches`), else a standalone `kustomize build`; `KUBECTL`
 * overrides the kubectl path. Returns a skip reason when neither is usable.
 */
export function findRenderer(env: NodeJS.ProcessEnv = process.env): Renderer {
  const kubectl = env.KUBECTL ?? 'kubectl';
  const k = spawnSync(kubectl, ['version', '--client'], { encoding: 'utf8', timeout: 20_000 });
  const embedded = /Kustomize Version: v(\d+)/.exec(k.stdout ?? '');
  if (k.status === 0 && embedded && Number(embedded[1]) >= 4) {
    return { argv: [kubectl, 'kustomize'], name: `${kubectl} kustomize (${firstLine(k.stdout)})` };
  }
  const z = spawnSync('kustomize', ['version'], { encoding: 'utf8', timeout: 20_000 });
  if (z.status === 0) return { argv: ['kustomize', 'build'], name: `kustomize build (${firstLine(z.stdout)})` };
  if (k.status === 0) return { skip: `${kubectl} (${firstLine(k.stdout)}) embeds a kustomize older than v4; kubectl >= 1.21 or kustomize is needed` };
  return { skip: 'neither kubectl nor kustomize is installed' };
}

/** Renders a kustomization folder into its YAML text; throws with kustomize's stderr on failure. */
export function renderText(renderer: { argv: [string, ...string[]] }, dir: string): string {
  const [cmd, ...args] = renderer.argv;
  const r = spawnSync(cmd, [...args, dir], { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${renderer.argv.join(' ')} ${dir} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Renders a kustomization folder into its objects; throws with kustomize's stderr on failure. */
export function render(renderer: { argv: [string, ...string[]] }, dir: string): KubeObject[] {
  return parseAllDocuments(renderText(renderer, dir))
    .map((doc) => {
      const [error] = doc.errors;
      if (error) throw new Error(`rendered YAML of ${dir} does not parse: ${error.message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** True when every key/value of `selector` is among `labels`. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
