import { readFileSync } from 'node:fs';
import type * as Testcontainers from 'testcontainers';
import type { ContainerRuntimeClient } from 'testcontainers';
import { composeExecutable, type ComposeExecutable } from '@tsgi/test-support';

// The container tests run through testcontainers (images, containers, networks,
// Compose) and docker-compose (the same Compose driver testcontainers uses).
// What is left here: deciding whether an engine is there at all, which Compose
// CLI to drive, and finding a Compose service's replicas by their labels.

// Ryuk, testcontainers' reaper, is an image pulled from a registry, and none can
// be reached here; every test removes what it started in its after() hook.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
// A local engine (no DOCKER_HOST) publishes on this machine's loopback. Said up front, because inside a
// container (CI here) testcontainers would otherwise look for the host by running alpine, a pull.
if (process.env.DOCKER_HOST === undefined) process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

/** testcontainers 12 needs a newer Node than the rest (deploy-tests/package.json engines): why not, or null. */
export function nodeTooOld(): string | null {
  const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
  const [needMajor = 0, needMinor = 0] = (/(\d+)\.(\d+)/.exec(engines.node) ?? ['', '0', '0']).slice(1).map(Number);
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > needMajor || (major === needMajor && minor >= needMinor);
  return ok ? null : `testcontainers 12 needs Node ${engines.node}, this is ${process.version}`;
}

/** testcontainers itself, imported only on a Node it runs on (on Node 20 the import throws). */
export function loadTestcontainers(): Promise<typeof Testcontainers> {
  const tooOld = nodeTooOld();
  return tooOld === null ? import('testcontainers') : Promise.reject(new Error(tooOld));
}

export { composeExecutable, type ComposeExecutable };

/** The engine's client, or null when no engine answers. */
export async function runtimeClient(): Promise<ContainerRuntimeClient | null> {
  try {
    return await (await loadTestcontainers()).getContainerRuntimeClient();
  } catch {
    return null;
  }
}

/** Why the container tests can't run here, or false when an engine, a Compose CLI and the base image are there. */
export async function containerSkipReason(baseImage: string, baseImageFromEnv: boolean): Promise<string | false> {
  if (process.env.TSGI_SKIP_CONTAINERS) return 'TSGI_SKIP_CONTAINERS is set';
  const tooOld = nodeTooOld();
  if (tooOld !== null) return tooOld;
  const client = await runtimeClient();
  if (client === null) return 'no Docker engine answers; start one with: bash ../shared/containers/docker-up.sh';
  if ((await composeExecutable()) === null) return 'neither `docker compose` nor `docker-compose` is installed';
  const { ImageName } = await loadTestcontainers();
  if (!baseImageFromEnv && !(await client.image.exists(ImageName.fromString(baseImage)))) {
    return `base image ${baseImage} is missing; build it with: bash ../shared/containers/docker-up.sh`;
  }
  return false;
}

/** Full ids of a Compose service's running replicas, found by Compose's labels. */
export async function serviceContainerIds(client: ContainerRuntimeClient, project: string, service: string): Promise<string[]> {
  const all = await client.container.list();
  return all
    .filter((c) => c.State === 'running' && c.Labels['com.docker.compose.project'] === project && c.Labels['com.docker.compose.service'] === service)
    .map((c) => c.Id);
}

/** The name testcontainers gives replica `n` of a Compose service (v2: `app-1`; v1: `project_app_1`). */
export function composeContainerName(exec: ComposeExecutable | null, project: string, service: string, n = 1): string {
  return exec && 'standalone' in exec && exec.standalone ? `${project}_${service}_${n}` : `${service}-${n}`;
}
