// The capacity advice's Kustomize patch (load-tests --target-rate) applied to the
// production overlay: it renders, every object still matches its schema, and the
// rendered objects carry the advised numbers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { findRenderer, render, type KubeObject } from '../src/kube.js';
import { schemaProblems } from '../src/k8s-schema.js';
import { REPO_ROOT } from '../src/repo.js';

const renderer = findRenderer();
const LOADTEST_CLI = join(REPO_ROOT, 'load-tests/src/cli.ts');
const SYNTHETIC = join(REPO_ROOT, 'load-tests/test/fixtures/capacity-synthetic-result.json');

describe('capacity advice as a Kustomize patch on the production overlay', { skip: 'skip' in renderer ? renderer.skip : false }, () => {
  it('renders, validates, and sets the advised replicas, CPU and workers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-capacity-k8s-'));
    try {
      cpSync(join(REPO_ROOT, 'k8s'), join(dir, 'k8s'), { recursive: true });
      const overlay = join(dir, 'k8s/overlays/production');
      const r = spawnSync(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', LOADTEST_CLI, '--capacity-from', SYNTHETIC, '--target-rate', '30000', '--out', overlay], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const kustomization = join(overlay, 'kustomization.yaml');
      // Last, so the advice wins over the overlay's own HPA patches.
      const k = parseYaml(readFileSync(kustomization, 'utf8')) as { patches?: unknown[] };
      k.patches = [...(k.patches ?? []), { path: 'capacity-patch.yaml' }];
      writeFileSync(kustomization, stringifyYaml(k));
      const objs = render(renderer as { argv: [string, ...string[]] }, overlay);
      assert.deepEqual(objs.flatMap(schemaProblems), []);
      const find = (kind: string, name: string): KubeObject => {
        const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
        assert.ok(o, `${kind} ${name} rendered`);
        return o;
      };
      const hpa = (name: string): unknown => {
        const s = find('HorizontalPodAutoscaler', name).spec as { minReplicas: number; maxReplicas: number };
        return [s.minReplicas, s.maxReplicas];
      };
      assert.deepEqual(hpa('tsgi-proxy'), [3, 6]);
      assert.deepEqual(hpa('tsgi-app'), [5, 10]);
      type Containers = { template: { spec: { containers: Array<{ name: string; env?: Array<{ name: string; value?: string }>; resources: { requests: Record<string, string>; limits: Record<string, string> } }> } } };
      const container = (deployment: string, name: string) => (find('Deployment', deployment).spec as Containers).template.spec.containers.find((c) => c.name === name);
      const app = container('tsgi-app', 'app');
      assert.equal(app?.resources.requests.cpu, '1200m');
      assert.equal(app?.resources.limits.cpu, '2');
      assert.ok(app?.resources.limits.memory, 'the base memory limit is kept');
      assert.deepEqual(app?.env?.find((e) => e.name === 'TSGI_WORKERS'), { name: 'TSGI_WORKERS', value: '2' });
      const proxy = container('tsgi-proxy', 'proxy');
      assert.equal(proxy?.resources.requests.cpu, '1000m');
      assert.deepEqual(proxy?.env?.find((e) => e.name === 'TSGI_PROXY_WORKERS'), { name: 'TSGI_PROXY_WORKERS', value: '2' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
