import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway CA and leaf certificates made with Debian's openssl at test time; nothing is shipped. */
export interface TestPki {
  dir: string;
  caFile: string;
  ca: Buffer;
  /** Issues a leaf for `names` (first is the CN); returns the cert and key paths. */
  issue(label: string, names: string[], opts?: { days?: number }): { cert: string; key: string };
  cleanup(): void;
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-edge-pki-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tsgi test CA']);
  let serial = 1;
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem')),
    issue(label, names, opts = {}) {
      const key = join(dir, `${label}.key`);
      const cert = join(dir, `${label}.pem`);
      const ext = join(dir, `${label}.ext`);
      writeFileSync(ext, `subjectAltName=${names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}\n`);
      run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', `${label}.csr`, '-subj', `/CN=${names[0]}`]);
      run(['x509', '-req', '-in', `${label}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-days', String(opts.days ?? 2), '-out', cert, '-extfile', ext]);
      return { cert, key };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
