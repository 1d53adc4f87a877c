import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Arbiter, StackDump } from '@tsgi/arbiter';
import { messageOf } from '@tsgi/errors';
import { BindError } from '../errors.js';
import { clearStaleUnixSocket } from '../listen-targets.js';
import { parseControlCommand, type ControlCommand } from './commands.js';

/** One worker as `ctl status` shows it. */
export interface WorkerStatus {
  pid: number;
  generation: number;
  state: string;
  ageMs: number;
  /** Requests finished, as of its last heartbeat. */
  requests: number;
  inFlight: number;
  rss: number;
  heapUsed: number;
}

export interface MasterStatus {
  pid: number;
  workerTarget: number;
  workers: WorkerStatus[];
}

/** The answer line: `{ ok: true, result }` or `{ ok: false, error }`. */
export type ControlReply = { ok: true; result: unknown } | { ok: false; error: string };

/** A request line longer than this is not a control command. */
const MAX_REQUEST_BYTES = 4096;
/** A connection idle this long is closed (the longest command, a dump, answers within 2 s). */
const REQUEST_WAIT_MS = 10_000;

/**
 * `--control-socket PATH`: the master's control plane (gunicorn has none;
 * HAProxy's runtime API is the model). A unix socket, mode 0600 from the
 * moment it exists (the umask is narrowed around the bind), removed on exit.
 * One JSON request line `{"args": [...]}` per connection, one JSON reply line.
 */
export class ControlServer {
  private readonly server: Server;
  private listening = false;

  constructor(
    private readonly path: string,
    private readonly arbiter: () => Arbiter | undefined,
  ) {
    // Half-open: a client may end its side after the request line; the answer (a dump takes up to 1 s) still goes out.
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.serve(socket));
  }

  async listen(): Promise<void> {
    await clearStaleUnixSocket(this.path, '--control-socket');
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err) => reject(new BindError('--control-socket', `unix:${this.path}`, err)));
      // The bind creates the file: with umask 077 it is never readable or writable by others, not even for a moment.
      const umask = process.umask(0o177);
      try {
        this.server.listen({ path: this.path }, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    chmodSync(this.path, 0o600);
    this.listening = true;
  }

  close(): void {
    this.server.close();
    if (!this.listening) return;
    this.listening = false;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  private serve(socket: Socket): void {
    let text = '';
    let answered = false;
    const answer = (line: string): void => {
      if (answered) return;
      answered = true;
      void this.answer(line).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    };
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    // A client that never finishes its line does not hold a connection open for ever.
    socket.setTimeout(REQUEST_WAIT_MS, () => socket.destroy());
    socket.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl !== -1 || text.length > MAX_REQUEST_BYTES) answer(nl === -1 ? '' : text.slice(0, nl));
    });
    socket.on('end', () => answer(text));
  }

  private async answer(line: string): Promise<ControlReply> {
    let command: ControlCommand;
    try {
      const request = JSON.parse(line) as { args?: unknown };
      if (!Array.isArray(request.args) || !request.args.every((a) => typeof a === 'string')) throw new Error('not a control request');
      command = parseControlCommand(request.args as string[]);
    } catch (err) {
      return { ok: false, error: err instanceof SyntaxError ? 'not a control request' : messageOf(err) };
    }
    const arbiter = this.arbiter();
    if (!arbiter) return { ok: false, error: 'the master is not running its workers yet' };
    return run(arbiter, command);
  }
}

async function run(arbiter: Arbiter, c: ControlCommand): Promise<ControlReply> {
  switch (c.command) {
    case 'status':
      return { ok: true, result: status(arbiter) };
    case 'reload':
      arbiter.signal('SIGHUP');
      return { ok: true, result: { reloading: true } };
    case 'workers':
      if (arbiter.isStopping) return { ok: false, error: 'the master is stopping' };
      if ('change' in c) arbiter.signal(c.change > 0 ? 'SIGTTIN' : 'SIGTTOU');
      else arbiter.setWorkerTarget(c.set);
      return { ok: true, result: { workerTarget: 'set' in c ? c.set : Math.max(1, arbiter.workerTarget + c.change) } };
    case 'dump': {
      if (!arbiter.workers.some((w) => w.pid === c.pid)) return { ok: false, error: `no worker with pid ${c.pid}` };
      const dump: StackDump | undefined = await arbiter.dumpStack(c.pid);
      if (!dump) return { ok: false, error: `worker ${c.pid} did not answer within 2 s (still booting, or gone)` };
      return { ok: true, result: dump };
    }
  }
}

function status(arbiter: Arbiter): MasterStatus {
  const now = Date.now();
  const workers = arbiter.workers
    .sort((a, b) => a.id - b.id)
    .map((w) => ({
      pid: w.pid,
      generation: w.generation,
      state: w.state,
      ageMs: now - w.spawnedAt,
      requests: w.served,
      inFlight: w.inFlight,
      rss: w.rss,
      heapUsed: w.heapUsed,
    }));
  return { pid: process.pid, workerTarget: arbiter.workerTarget, workers };
}
