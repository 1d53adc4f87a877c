import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The conformance app reports what happened inside the server (close()
 * calls, errors seen by tsgi.input, excInfo rethrows) by appending JSON lines
 * to a file in the directory named by this variable. A file works across
 * processes, so servers that fork workers are checked the same way.
 */
export const CONFORMANCE_DIR_ENV = 'TSGI_CONFORMANCE_DIR';

export interface AppEvent {
  id: string;
  event: string;
  detail?: string;
}

const EVENTS_FILE = 'events.log';

export function recordEvent(dir: string, event: AppEvent): void {
  // One appendFileSync per line: O_APPEND keeps lines whole across processes.
  appendFileSync(join(dir, EVENTS_FILE), `${JSON.stringify(event)}\n`);
}

export function readEvents(dir: string, id: string): AppEvent[] {
  const file = join(dir, EVENTS_FILE);
  if (!existsSync(file)) return [];
  const out: AppEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as AppEvent;
    if (event.id === id) out.push(event);
  }
  return out;
}

export function releaseFile(dir: string, id: string): string {
  return join(dir, `release-${id.replace(/[^A-Za-z0-9-]/g, '_')}`);
}
