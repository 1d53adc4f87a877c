import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type * as Testcontainers from 'testcontainers';
import type { ContainerRuntimeClient, StartedDockerComposeEnvironment } from 'testcontainers';
import { installOffline, packAll, removeTemp, scaffoldProject } from '../../create-tsgi/test/project.js';
import { composeContainerName, composeExecutable, containerSkipReason, loadTestcontainers, runtimeClient, serviceContainerIds } from '../src/containers.js';
import { get, servedHost, waitFor } from '../src/load.js';
import { targetsUp } from '../src/prometheus.js';
import { REPO_ROOT } from '../src/repo.js';

// A project create-tsgi wrote, in containers: scaffolded from the packed tarball into a
// folder outside the repository, installed with no network, then its own compose.yaml
// brought up with `--scale app=3` (images built from its own Dockerfile on BASE_IMAGE),
// served through its proxy, Prometheus scraping both tiers. Skips, saying why, when no
// engine answers (src/containers.ts).

const BASE_IMAGE = process.env.BASE_IMAGE ?? 'tsgi/node-base:local';
const PROMETHEUS_IMAGE = process.env.PROMETHEUS_IMAGE ?? 'tsgi/prometheus:local';
// npm inside the build needs this network's CA when TLS is intercepted; the local base image
// carries the host's bundle at this path.
const NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS ?? (BASE_IMAGE === 'tsgi/node-base:local' ? '/etc/ssl/certs/ca-certificates.crt' : '');

const skip = await containerSkipReason(BASE_IMAGE, process.env.BASE_IMAGE !== undefined);
const { DockerComposeEnvironment, Wait } = skip ? ({} as typeof Testcontainers) : await loadTestcontainers();

describe('a scaffolded project: docker compose up --scale app=3 (real Docker engine)', { skip, timeout: 20 * 60_000 }, () => {
  const composeProject = `tsgi-scaffold-test-${process.pid}`;
  let tarballs = '';
  let project = '';
  let client: ContainerRuntimeClient;
  let stack: StartedDockerComposeEnvironment | undefined;

  before(async () => {
    client = (await runtimeClient())!;
    if (process.env.PROMETHEUS_IMAGE === undefined) {
      await promisify(execFile)('bash', [join(REPO_ROOT, 'docker/prometheus/build-local.sh'), PROMETHEUS_IMAGE], { timeout: 5 * 60_000 });
    }
    tarballs = packAll();
    project = scaffoldProject(tarballs, 'shop-app', ['--tsgi-packages', tarballs]);
    installOffline(project);
  });

  after(async () => {
    await stack?.down({ removeVolumes: true, timeout: 5_000 }).catch((err: Error) => console.error(`compose down failed: ${err.message}`));
    removeTemp(project);
    removeTemp(tarballs);
  });

  it('builds both images, serves the app through the proxy from three replicas, and Prometheus scrapes both tiers', { timeout: 15 * 60_000 }, async () => {
    stack = await new DockerComposeEnvironment(project, 'compose.yaml')
      .withProjectName(composeProject)
      .withBuild()
      .withClientOptions({ executable: (await composeExecutable()) ?? undefined, commandOptions: ['--scale', 'app=3'] })
      .withEnvironment({
        BASE_IMAGE,
        PROMETHEUS_IMAGE,
        NODE_EXTRA_CA_CERTS,
        APP_IMAGE: 'tsgi-scaffold-test/app:local',
        PROXY_IMAGE: 'tsgi-scaffold-test/proxy:local',
        // Published on loopback, on ports the engine picks: no clash with a running stack.
        PROXY_HOST: '127.0.0.1',
        PROXY_PORT: '0',
        PROXY_ADMIN_PORT: '0',
        PROMETHEUS_PORT: '0',
        PUBLISH_HOST: '127.0.0.1',
      })
      .withDefaultWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(180_000)
      .up();
    const exec = await composeExecutable();
    const proxyUrl = `http://127.0.0.1:${stack.getContainer(composeContainerName(exec, composeProject, 'proxy')).getMappedPort(8080)}`;
    const prometheusUrl = `http://127.0.0.1:${stack.getContainer(composeContainerName(exec, composeProject, 'prometheus')).getMappedPort(9090)}`;

    const root = await waitFor('a 200 through the proxy', 90_000, async () => {
      const r = await get(`${proxyUrl}/`);
      return r.status === 200 ? r : undefined;
    });
    assert.equal(root.body, '<p>Hello, World!</p>');
    assert.equal((await get(`${proxyUrl}/post/5`)).body, 'Post 5');
    assert.match((await get(`${proxyUrl}/hello/x`)).body, /<h1>Hello x!<\/h1>/);
    assert.equal((await get(`${proxyUrl}/static/robots.txt`)).status, 200, 'templates/ and static/ are in the image');

    const ids = await serviceContainerIds(client, composeProject, 'app');
    assert.equal(ids.length, 3);
    const seen = await waitFor('3 distinct X-Served-By hosts', 120_000, async () => {
      const hosts = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const r = await get(`${proxyUrl}/`);
        const host = servedHost(r.servedBy);
        if (r.status === 200 && host) hosts.add(host);
      }
      return hosts.size >= 3 ? hosts : undefined;
    });
    assert.deepEqual([...seen].sort(), ids.map((id) => id.slice(0, 12)).sort());

    const up = await waitFor('tsgi-proxy and 3 tsgi-app targets up', 90_000, async () => {
      const u = await targetsUp(prometheusUrl);
      return (u.get('tsgi-proxy') ?? 0) >= 1 && (u.get('tsgi-app') ?? 0) >= 3 ? u : undefined;
    });
    assert.equal(up.get('tsgi-app'), 3);
  });
});
