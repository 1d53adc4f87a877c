// The terminal side of tsgi-stack: reads each tier's output from its own pipe
// (fd 3, 4, ... in the order of the names in argv) and prints one human line
// per event (@tsgi/arbiter's console). A process of its own, so that if the
// runner is killed outright the tiers still have a reader while they drain.
// Ignores INT/TERM/HUP (Ctrl-C reaches the whole foreground group; the tiers'
// last lines still need printing) and exits once every pipe has closed, that
// is once every tier and the runner are gone.
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { humanLine, painterFor } from '@tsgi/arbiter';

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

const paint = painterFor(process.stdout);
const tiers = process.argv.slice(2);

tiers.forEach((tier, i) => {
  const recent: string[] = [];
  const lines = createInterface({ input: new Socket({ fd: 3 + i, readable: true, writable: false }), crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.length === 0) return;
    const out = humanLine(tier, line, paint, recent);
    if (out !== null) process.stdout.write(`${out}\n`);
  });
});
