import { existsSync } from 'node:fs';
import { MissingProgramError } from '../errors.js';
import { repoPath } from '../repo.js';
import type { ScenarioResult } from '../result-types.js';
import { runSideBySide, type ScenarioContext } from '../scenarios/side-by-side.js';
import { ExternalProcess, Topology } from '../topology/topology.js';
import { compose, composeProject, projectContainers } from './compose.js';

const COMPOSE_FILE = repoPath('docker-compose.yml');

/**
 * `--containers` for the scenarios other than the scaling ones (those run their
 * matrix in containers, compose-cells.ts): brings up the project's compose stack
 * under a throw-away project name, loads the proxy's published loopback port,
 * measures each container's processes from /proc (same host), and takes the
 * stack down.
 */
export async function containersRun(ctx: ScenarioContext): Promise<ScenarioResult> {
  if (!existsSync(COMPOSE_FILE)) throw new MissingProgramError('containers: docker-compose.yml not present at the repository root');
  const project = `tsgilt${process.pid}`;
  // Loopback only, host ports chosen by Docker.
  const opts = await composeProject(project, [COMPOSE_FILE], { ...process.env, PROXY_HOST: '127.0.0.1', PROXY_PORT: '0', PUBLISH_HOST: '127.0.0.1', PROXY_ADMIN_PORT: '0' });
  const path = ctx.cfg.path ?? '/';
  try {
    return await runSideBySide(ctx, {
      scenario: `${ctx.cfg.scenario}-containers`,
      description: `GET ${path} through the compose stack's proxy (containers on this host).`,
      shape: { path, connections: ctx.cfg.connections ?? 50 },
      variants: [
        {
          name: 'compose',
          params: { stack: 'docker-compose.yml' },
          start: async () => {
            // Only the two tiers: the monitoring images cannot be pulled on an offline machine.
            await compose.upMany(['app', 'proxy'], { ...opts, commandOptions: ['--build'] });
            const t = new Topology();
            const containers = await projectContainers(project);
            const proxy = containers.find((c) => c.service === 'proxy');
            const port = proxy?.published['8080/tcp'];
            if (!proxy || !port) throw new MissingProgramError('containers: the proxy publishes no port 8080');
            t.entry(t.add({ role: 'proxy', proc: new ExternalProcess(proxy.pid), port }));
            for (const c of containers.filter((x) => x !== proxy)) t.add({ role: c.service, proc: new ExternalProcess(c.pid), port });
            return t;
          },
        },
      ],
      notes: ['Containers run on this host; CPU per container is read from /proc of the container processes.'],
    });
  } finally {
    await compose.downAll({ ...opts, commandOptions: ['-v', '--remove-orphans'] }).catch(() => undefined);
  }
}
