import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (scripts/test.mjs sets TSGI_REPO_ROOT; else two folders up from here). */
export const REPO_ROOT = process.env.TSGI_REPO_ROOT ?? resolve(import.meta.dirname, '..', '..');

/** The parts of a shipped tsgi-proxy YAML config the deploy checks read (as written, before validation). */
export interface ProxyYaml {
  listeners: { address: string }[];
  admin: { address: string };
  upstreams: Record<string, { servers: (string | { address: string })[]; resolve?: { servers?: string[] } }>;
  timeouts?: { drain?: string | number };
}

/**
 * Runs `tsgi-proxy --check-config` from the sources on a config text, the way
 * a user would before deploying it; `--no-resolve`, since the Compose and
 * Kubernetes service names only resolve inside their networks. Returns the
 * exit code and output.
 */
export function checkProxyConfig(text: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-deploy-'));
  try {
    const file = join(dir, 'proxy.yaml');
    writeFileSync(file, text);
    const r = spawnSync(
      process.execPath,
      ['--conditions=@tsgi/source', '--import', 'tsx', join(REPO_ROOT, 'proxy', 'src', 'process', 'cli.ts'), '--check-config', '--no-resolve', '--config', file],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `tsgi-check-stack` from the sources with these arguments (stdin: `input`, for `--k8s -`), in the
 * repository root, with only the given `TSGI_*` variables. Returns the exit code, stdout and stderr lines.
 */
export function checkStack(args: string[], env: Record<string, string> = {}, input?: string): { status: number | null; stdout: string; lines: string[] } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TSGI_') || k === 'TSGI_REPO_ROOT'));
  const r = spawnSync(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', join(REPO_ROOT, 'stack', 'src', 'check', 'cli.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 60_000,
    input,
  });
  return { status: r.status, stdout: r.stdout, lines: r.stderr.split('\n').filter(Boolean) };
}
