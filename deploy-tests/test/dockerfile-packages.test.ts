import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../src/repo.js';

// Each image runs compiled output of our own packages resolved through npm's
// workspace links; a package whose dist/ is not copied into a stage is a
// container that dies at import (ERR_MODULE_NOT_FOUND) and a stack that never
// turns healthy. Checked here without an engine.

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
}

const readJson = <T>(rel: string): T => JSON.parse(readFileSync(join(REPO_ROOT, rel), 'utf8')) as T;
const workspaces = readJson<{ workspaces: string[] }>('package.json').workspaces;
const dirOf = new Map<string, string>();
const manifestOf = new Map<string, Manifest>();
for (const dir of workspaces) {
  const m = readJson<Manifest>(`${dir}/package.json`);
  dirOf.set(m.name, dir);
  manifestOf.set(m.name, m);
}

/** The workspace directories a package needs at run time, itself included. */
function runtimeClosure(roots: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const dir = dirOf.get(name);
    if (dir === undefined || seen.has(dir)) return;
    seen.add(dir);
    for (const dep of Object.keys(manifestOf.get(name)?.dependencies ?? {})) visit(dep);
  };
  roots.forEach(visit);
  return seen;
}

/** The text of one stage of docker/Dockerfile. */
function stageText(stage: string): string {
  const text = readFileSync(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8');
  const start = text.search(new RegExp(`^FROM \\S+ AS ${stage}$`, 'm'));
  assert.ok(start >= 0, `docker/Dockerfile has a stage ${stage}`);
  const rest = text.slice(start + 1);
  const next = rest.search(/^FROM /m);
  return next === -1 ? rest : rest.slice(0, next);
}

/** The `COPY --from=build /app/<dir>/dist` lines of one stage of docker/Dockerfile. */
function copiedDists(stage: string): Set<string> {
  const body = stageText(stage);
  return new Set([...body.matchAll(/^COPY --from=build \/app\/([\w-]+)\/dist /gm)].map((m) => m[1] ?? ''));
}

for (const [stage, roots] of [
  ['app', ['@tsgi/appserver', '@tsgi/sample-app']],
  ['proxy', ['@tsgi/proxy']],
] as const) {
  test(`the ${stage} image copies the dist/ of every package of ours it runs`, () => {
    const needed = runtimeClosure([...roots]);
    const copied = copiedDists(stage);
    const missing = [...needed].filter((dir) => !copied.has(dir));
    assert.deepEqual(missing, [], `docker/Dockerfile stage ${stage} lacks COPY --from=build /app/<dir>/dist for: ${missing.join(', ')}`);
  });
}

// A HEALTHCHECK on /readyz marked a draining proxy unhealthy, and an orchestrator that restarts unhealthy
// containers killed it mid-drain; /healthz stays 200 for as long as the process answers (proxy/README.md).
test("the proxy image's HEALTHCHECK probes liveness (/healthz), not readiness", () => {
  const body = stageText('proxy');
  assert.match(body, /^HEALTHCHECK /m);
  assert.ok(body.includes('"$HEALTH_URL'), 'the HEALTHCHECK reads HEALTH_URL');
  assert.match(body, /HEALTH_URL=http:\/\/127\.0\.0\.1:9100\/healthz\b/);
});
