import { spawn, spawnSync } from 'node:child_process';
import { REPO_ROOT } from './repo.js';

/** Result of one CLI run. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without a shell, bounded by `timeoutMs`; resolves with its
 * output whatever the exit code (callers decide what failure means).
 */
export function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string }): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${opts.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}

/** Runs and throws (with the tail of the output) unless the exit code is 0. */
export async function runOk(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  const r = await run(argv, opts);
  if (r.status !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${argv.join(' ')} exited ${r.status}:\n${tail}`);
  }
  return r.stdout;
}

/**
 * Why the container tests can't run here, or null when a Docker engine answers
 * and a Compose CLI is installed.
 */
export function dockerSkipReason(): string | null {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
  if (info.error) return `docker CLI not found (${info.error.message}); start an engine with: bash ../shared/containers/docker-up.sh`;
  if (info.status !== 0) return 'no Docker engine answers; start one with: bash ../shared/containers/docker-up.sh';
  if (composeCommand() === null) return 'neither `docker compose` nor `docker-compose` is installed';
  return null;
}

let composeCmd: string[] | null | undefined;

/** `docker compose` (v2 plugin) when present, else Compose v1's `docker-compose`, else null. */
export function composeCommand(): string[] | null {
  if (composeCmd !== undefined) return composeCmd;
  const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 20_000 });
  if (v2.status === 0) return (composeCmd = ['docker', 'compose']);
  const v1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8', timeout: 20_000 });
  return (composeCmd = v1.status === 0 ? ['docker-compose'] : null);
}

/** True when the engine has this image locally. */
export function imageExists(ref: string): boolean {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** One Compose project (its own name, env and ports), driven through the CLI. */
export class ComposeProject {
  constructor(
    readonly name: string,
    readonly env: NodeJS.ProcessEnv,
    readonly file = 'docker-compose.yml',
  ) {}

  private argv(args: string[]): string[] {
    const cmd = composeCommand();
    if (cmd === null) throw new Error('no Compose CLI');
    return [...cmd, '-f', this.file, '-p', this.name, ...args];
  }

  run(args: string[], timeoutMs: number): Promise<string> {
    return runOk(this.argv(args), { env: this.env, timeoutMs });
  }

  runLoose(args: string[], timeoutMs: number): Promise<RunResult> {
    return run(this.argv(args), { env: this.env, timeoutMs });
  }

  /**
   * Full ids of a service's running replicas (Compose v1's `ps -q` lists stopped
   * ones too, so ask the engine by Compose's labels).
   */
  async ids(service: string): Promise<string[]> {
    const out = await runOk(
      ['docker', 'ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${this.name}`, '--filter', `label=com.docker.compose.service=${service}`],
      { timeoutMs: 30_000 },
    );
    return out.split('\n').map((s) => s.trim()).filter(Boolean);
  }

  /** `127.0.0.1:PORT` published for a service's container port. */
  async hostPort(service: string, port: number): Promise<number> {
    const out = (await this.run(['port', service, String(port)], 30_000)).trim();
    const m = /:(\d+)$/.exec(out);
    if (!m) throw new Error(`compose port ${service} ${port} printed "${out}"`);
    return Number(m[1]);
  }
}
