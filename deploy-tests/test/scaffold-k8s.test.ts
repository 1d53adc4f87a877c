import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { describeKustomizations } from '../src/k8s-checks.js';
import { findRenderer, renderText } from '../src/kube.js';
import { checkProxyConfig, checkStack, REPO_ROOT } from '../src/repo.js';

// The k8s/ that `create-tsgi` writes into a user's project passes the same checks as
// this repository's own (src/k8s-checks.ts), under the project's name: scaffolded
// here, from the sources, into a folder outside the repository.
const parent = mkdtempSync(join(tmpdir(), 'tsgi-scaffold-k8s-'));
after(() => rmSync(parent, { recursive: true, force: true }));
const project = join(parent, 'shop-app');
const created = spawnSync(
  process.execPath,
  ['--conditions=@tsgi/source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'create-tsgi/src/cli.ts'), 'shop-app'],
  { cwd: parent, encoding: 'utf8', timeout: 60_000 },
);

test('create-tsgi wrote the project', () => {
  assert.equal(created.status, 0, `${created.stdout}${created.stderr}`);
  assert.match(readFileSync(join(project, 'k8s/base/kustomization.yaml'), 'utf8'), /^namespace: shop-app$/m);
});

test("the project's Compose proxy.yaml passes tsgi-proxy --check-config", () => {
  const r = checkProxyConfig(readFileSync(join(project, 'proxy.yaml'), 'utf8'));
  assert.equal(r.status, 0, r.output);
});

describeKustomizations('a scaffolded project: Kubernetes manifests (kustomize render)', project, ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/production']);

// What the project's k8s/README tells its user to run before applying production.
const renderer = findRenderer();
test("tsgi-check-stack holds on the project's overlays; production is refused for its placeholder images only", { skip: 'skip' in renderer ? renderer.skip : false }, () => {
  const rendered = (overlay: string): string => renderText(renderer as { argv: [string, ...string[]] }, join(project, 'k8s', overlay));
  for (const overlay of ['base', 'overlays/dev']) {
    const r = checkStack(['--k8s', '-'], {}, rendered(overlay));
    assert.equal(r.status, 0, `${overlay}: ${r.lines.join('\n')}`);
  }
  const r = checkStack(['--k8s', '-'], {}, rendered('overlays/production'));
  assert.equal(r.status, 2, r.stdout);
  assert.equal(r.lines.length, 2, r.lines.join('\n'));
  for (const line of r.lines) assert.match(line, /image registry\.example\.invalid\/shop-app\/(app|proxy):0\.1\.0 is a placeholder/);
});
