import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import * as compose from 'docker-compose';
import { composeExecutable } from '@tsgi/test-support';
import { MissingProgramError } from '../errors.js';
import { REPO_ROOT } from '../repo.js';

const run = promisify(execFile);

/** The base image `docker/Dockerfile` builds on where no registry can be reached (shared/containers/docker-up.sh). */
const LOCAL_BASE_IMAGE = 'tsgi/node-base:local';


/**
 * How every Compose command of one project runs: the CLI found here, the
 * project name, the files, the repository root as the project directory, and
 * the environment the files interpolate. `BASE_IMAGE` is the local base where
 * it exists and none was given (no registry on an offline machine).
 */
export async function composeProject(project: string, files: string[], env: NodeJS.ProcessEnv): Promise<compose.IDockerComposeOptions> {
  const [exec, engine] = await Promise.all([composeExecutable(), run('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 30_000 }).then(() => true, () => false)]);
  if (!engine) throw new MissingProgramError('containers: no Docker engine answers (`docker version` failed); start one, e.g. bash ../shared/containers/docker-up.sh');
  if (exec === null) throw new MissingProgramError('containers: neither `docker compose` nor `docker-compose` is installed');
  const localBase = env.BASE_IMAGE === undefined && (await run('docker', ['image', 'inspect', LOCAL_BASE_IMAGE], { timeout: 30_000 }).then(() => true, () => false));
  return {
    executable: exec,
    cwd: REPO_ROOT,
    config: files,
    composeOptions: [['-p', project]],
    env: { ...env, ...(localBase ? { BASE_IMAGE: LOCAL_BASE_IMAGE } : {}) },
  };
}

/** One `docker inspect` of the given containers: what the runner needs of each. */
export interface ContainerInfo {
  id: string;
  /** The Compose service (`app`, `proxy`). */
  service: string;
  /** The host pid of the container's init (its processes are measured from this host's /proc). */
  pid: number;
  /** Published host port of each `port/tcp`, e.g. `{ '8080/tcp': 32769 }`. */
  published: Record<string, number>;
}

interface InspectJson {
  Id: string;
  State: { Pid: number };
  Config: { Labels: Record<string, string> | null };
  NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
}

/** The running containers of a Compose project, found by Compose's labels. */
export async function projectContainers(project: string): Promise<ContainerInfo[]> {
  const { stdout: ids } = await run('docker', ['ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`], { timeout: 30_000 });
  const list = ids.split('\n').filter(Boolean);
  if (list.length === 0) return [];
  const { stdout } = await run('docker', ['inspect', ...list], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout) as InspectJson[]).map((c) => ({
    id: c.Id,
    service: c.Config.Labels?.['com.docker.compose.service'] ?? '',
    pid: c.State.Pid,
    published: Object.fromEntries(
      Object.entries(c.NetworkSettings.Ports ?? {}).flatMap(([port, binds]) => (binds?.[0] ? [[port, Number(binds[0].HostPort)]] : [])),
    ),
  }));
}

/**
 * The pid of Docker's userland relay for a port published on loopback
 * (`docker-proxy ... -host-port N`), or undefined where the engine publishes by
 * NAT alone. Every connection to a loopback-published port passes through it,
 * so the runner measures it: the cloud load balancer's share of the host's CPU.
 */
export function portRelayPid(hostPort: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args[0]?.endsWith('docker-proxy')) continue;
    const at = args.indexOf('-host-port');
    if (at >= 0 && args[at + 1] === String(hostPort)) return Number(entry);
  }
  return undefined;
}

export { compose };
