import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../src/repo.js';
import { describeKustomizations } from '../src/k8s-checks.js';

// The kustomizations a user applies; each must render, match the schemas and
// keep the promises checked in src/k8s-checks.ts.
describeKustomizations('Kubernetes manifests (kustomize render)', REPO_ROOT, ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/production']);

// The peaks measured for k8s/README.md ("Memory"): master + 2 workers per tier, wrk -c100, 16 KiB answers,
// in containers. The limits sat 14 % (proxy) over them before; each must leave at least 30 %, and each
// request must cover the working set (cgroup memory) at the peak.
const MEASURED_MIB = { app: { cgroup: 208, summedRss: 357 }, proxy: { cgroup: 179, summedRss: 337 } } as const;

function mib(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  assert.ok(m, `memory quantity ${quantity} in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

it('sizes each tier\'s memory from the measurement: limit >= 1.3 x the summed-RSS peak, request >= the working-set peak', () => {
  for (const [tier, peak] of Object.entries(MEASURED_MIB)) {
    const d = parseYaml(readFileSync(join(REPO_ROOT, `k8s/base/${tier}-deployment.yaml`), 'utf8')) as {
      spec: { template: { spec: { containers: { resources: { requests: { memory: string }; limits: { memory: string } } }[] } } };
    };
    const { requests, limits } = d.spec.template.spec.containers[0]!.resources; // one container per tier
    assert.ok(mib(limits.memory) >= 1.3 * peak.summedRss, `${tier}: limit ${limits.memory} >= 1.3 x ${peak.summedRss} MiB`);
    assert.ok(mib(requests.memory) >= peak.cgroup, `${tier}: request ${requests.memory} >= ${peak.cgroup} MiB`);
  }
});
