import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { MissingProgramError } from './errors.js';
import { repoPath } from './repo.js';
import type { ScenarioResult } from './result-types.js';
import { DEFAULT_SCALING_PATH } from './scenarios/scaling.js';
import { runSideBySide, type ScenarioContext } from './scenarios/side-by-side.js';
import { ExternalProcess, Topology } from './topology/topology.js';

const run = promisify(execFile);
const COMPOSE_FILE = repoPath('docker-compose.yml');

async function composeCommand(): Promise<[string, ...string[]]> {
  const spellings: [string, ...string[]][] = [['docker-compose'], ['docker', 'compose']];
  for (const cmd of spellings) {
    try {
      await run(cmd[0], [...cmd.slice(1), 'version'], { timeout: 10_000 });
      return cmd;
    } catch {
      // Try the next spelling.
    }
  }
  throw new MissingProgramError('containers: neither docker-compose nor "docker compose" works here (see shared/containers/docker-up.sh)');
}

/**
 * `--containers`: brings up the project's compose stack under a throw-away
 * project name, loads the proxy's published loopback port, measures each
 * container's processes from /proc (same host), and takes the stack down.
 */
export async function containersRun(ctx: ScenarioContext): Promise<ScenarioResult> {
  if (!existsSync(COMPOSE_FILE)) throw new MissingProgramError('containers: docker-compose.yml not present at the repository root');
  const compose = await composeCommand();
  const project = `tsgilt${process.pid}`;
  // Loopback only, host ports chosen by Docker (read back with `port`), and the
  // locally built base image when there is one (no registry here).
  const localBase = await run('docker', ['image', 'inspect', 'tsgi/node-base:local'], { timeout: 30_000 }).then(() => true, () => false);
  const env = {
    ...process.env,
    PROXY_HOST: '127.0.0.1',
    PROXY_PORT: '0',
    PUBLISH_HOST: '127.0.0.1',
    PROXY_ADMIN_PORT: '0',
    ...(localBase && !process.env.BASE_IMAGE ? { BASE_IMAGE: 'tsgi/node-base:local' } : {}),
  };
  const dc = (args: string[], timeout = 600_000): Promise<{ stdout: string }> =>
    run(compose[0], [...compose.slice(1), '-p', project, '-f', COMPOSE_FILE, ...args], { timeout, env, maxBuffer: 16 * 1024 * 1024 });
  const path = ctx.cfg.path ?? (ctx.cfg.scenario.endsWith('scaling') || ctx.cfg.scenario === 'scaling-matrix' ? DEFAULT_SCALING_PATH : '/');
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
            await dc(['up', '-d', '--build', 'app', 'proxy']);
            const t = new Topology();
            const { stdout: portLine } = await dc(['port', 'proxy', '8080'], 30_000);
            const port = Number(portLine.trim().split(':').pop());
            if (!Number.isInteger(port) || port <= 0) throw new MissingProgramError(`containers: proxy publishes no port 8080 (${portLine.trim()})`);
            const { stdout: ids } = await dc(['ps', '-q'], 30_000);
            let first = true;
            for (const id of ids.split('\n').filter(Boolean)) {
              const { stdout } = await run('docker', ['inspect', '-f', '{{.State.Pid}} {{index .Config.Labels "com.docker.compose.service"}}', id]);
              const [pid, service] = stdout.trim().split(' ');
              const c = { role: service ?? id.slice(0, 12), proc: new ExternalProcess(Number(pid)), port };
              if (first && service === 'proxy') t.entry(t.add(c));
              else t.add(c);
              first = first && service !== 'proxy';
            }
            t.url = `http://127.0.0.1:${port}`;
            return t;
          },
        },
      ],
      notes: ['Containers run on this host; CPU per container is read from /proc of the container processes.'],
    });
  } finally {
    await dc(['down', '-v', '--remove-orphans'], 120_000).catch(() => undefined);
  }
}
