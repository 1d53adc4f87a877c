// A built tsgi-appserver (dist/) with 2 workers on a free port, for the bench scripts.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tsgi/test-support';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));


/** Starts `-w 2 ...flags bench/pid-cpu-app.mjs:app`; resolves at its Ready line with `{ url, stop() }`. */
export async function startBenchAppserver(flags, label = flags.join(' ')) {
  const port = await freePort();
  const child = spawn(process.execPath, [cli, '-b', `127.0.0.1:${port}`, '-w', '2', ...flags, '--log-level', 'warning', `${here}pid-cpu-app.mjs:app`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not ready in 30 s`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (/Ready: /.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${label}: exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGINT');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
