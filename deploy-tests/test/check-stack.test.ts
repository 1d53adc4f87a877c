import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { findRenderer, renderText } from '../src/kube.js';
import { checkStack, REPO_ROOT } from '../src/repo.js';

// tsgi-check-stack (stack/src/check/) on what this repository ships: each rendered overlay, the Compose
// pair and the local example must hold every cross-tier invariant. The production overlay's images are
// placeholders that must fail loudly until a user sets their registry; with the images set it is clean.
const renderer = findRenderer();
const parent = mkdtempSync(join(tmpdir(), 'tsgi-check-stack-deploy-'));
after(() => rmSync(parent, { recursive: true, force: true }));

/** The render of `kustomization` (written in a folder of its own under `parent`) or of a shipped folder. */
function rendered(target: string | { name: string; kustomization: Record<string, unknown> }): string {
  let dir: string;
  if (typeof target === 'string') dir = join(REPO_ROOT, target);
  else {
    dir = join(parent, target.name);
    mkdirSync(dir);
    const up = relative(dir, REPO_ROOT);
    const k = JSON.parse(JSON.stringify(target.kustomization).replaceAll('REPO/', `${up}/`)) as Record<string, unknown>;
    writeFileSync(join(dir, 'kustomization.yaml'), stringify(k));
  }
  if ('skip' in renderer) throw new Error(renderer.skip);
  return renderText(renderer, dir);
}

// An overlay over production renames the placeholder itself (`kustomize edit set image` in the production
// folder edits its entry instead).
const OWN_IMAGES = [
  { name: 'registry.example.invalid/tsgi/app', newName: 'ghcr.io/example/tsgi-app', newTag: '1.0.0' },
  { name: 'registry.example.invalid/tsgi/proxy', newName: 'ghcr.io/example/tsgi-proxy', newTag: '1.0.0' },
];

describe('tsgi-check-stack on the shipped Kubernetes overlays', { skip: 'skip' in renderer ? renderer.skip : false }, () => {
  for (const overlay of ['k8s/base', 'k8s/overlays/dev']) {
    it(`${overlay}: every invariant holds`, () => {
      const r = checkStack(['--k8s', '-'], {}, rendered(overlay));
      assert.equal(r.status, 0, r.lines.join('\n'));
      assert.match(r.stdout, /^tsgi-check-stack: ok: .*fenced by NetworkPolicy tsgi-app/);
    });
  }

  it('k8s/overlays/production as shipped: refused for its placeholder images, and for nothing else', () => {
    const r = checkStack(['--k8s', '-'], {}, rendered('k8s/overlays/production'));
    assert.equal(r.status, 2, r.stdout);
    assert.deepEqual(r.lines, [
      'tsgi-check-stack: Deployment tsgi-app: image registry.example.invalid/tsgi/app:0.1.0 is a placeholder: point it at your registry (kustomize edit set image ...)',
      'tsgi-check-stack: Deployment tsgi-proxy: image registry.example.invalid/tsgi/proxy:0.1.0 is a placeholder: point it at your registry (kustomize edit set image ...)',
    ]);
  });

  it('k8s/overlays/production with your registry set, with and without the monitoring component: every invariant holds', () => {
    for (const [name, components] of [['production-images', []], ['production-monitoring', ['REPO/k8s/components/monitoring']]] as const) {
      const render = rendered({ name, kustomization: { resources: ['REPO/k8s/overlays/production'], components, images: OWN_IMAGES } });
      const r = checkStack(['--k8s', '-'], {}, render);
      assert.equal(r.status, 0, `${name}: ${r.lines.join('\n')}`);
    }
  });
});

it('the Compose pair (docker/proxy/proxy.yaml, the app service environment): every invariant holds', () => {
  const compose = parseYaml(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: { app: { environment: Record<string, string> } } };
  // Compose's `${VAR:-default}` with nothing set is the default.
  const env = Object.fromEntries(Object.entries(compose.services.app.environment).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
  const r = checkStack(['--proxy-config', 'docker/proxy/proxy.yaml', '--', 'sample-app/dist/app.js:app'], env);
  assert.equal(r.status, 0, r.lines.join('\n'));
});

it("proxy/proxy.example.yaml with the appserver's defaults (the local stack): every invariant holds", () => {
  const r = checkStack(['--proxy-config', 'proxy/proxy.example.yaml', '--', 'sample-app/dist/app.js:app']);
  assert.equal(r.status, 0, r.lines.join('\n'));
});
