// One human line per log event: the tiers write pino JSON (and a few plain
// lines); this turns each into
//   09:41:02.123 app-a  INFO  master 4242   Listening at: http://127.0.0.1:8001 (4242)
//   09:41:05.010 proxy  GET / 200 1.3 ms → 127.0.0.1:8001
// with the tier's name in its own colour. Pure functions: both CLIs' console
// and `npm start`'s formatter use them.
import type { Painter, Style } from './painter.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_STYLE: Record<string, Style> = { TRACE: 'gray', DEBUG: 'gray', INFO: 'green', WARN: 'yellow', ERROR: 'red', FATAL: 'red' };
const KNOWN_TIERS: Record<string, Style> = { start: 'bold', 'app-a': 'cyan', 'app-b': 'magenta', app: 'cyan', proxy: 'yellow' };
const TIER_STYLES: Style[] = ['cyan', 'magenta', 'blue', 'yellow', 'green'];
/** Keys every record has or that the line shows in its own place. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'role', 'v']);

type LogRecord = Record<string, unknown> & { msg: string };

/** The colour of a tier's name: fixed per name, so app-a is the same colour in every run. */
export function tierStyle(name: string): Style {
  const known = KNOWN_TIERS[name];
  if (known !== undefined) return known;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return TIER_STYLES[h % TIER_STYLES.length]!;
}

/** Local wall-clock time with milliseconds; `time` is the record's (epoch ms or ISO text), else now. */
function clock(time: unknown): string {
  const d = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  const at = Number.isNaN(d.getTime()) ? new Date() : d;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function valueText(v: unknown): string {
  if (v instanceof Object && typeof (v as { message?: unknown }).message === 'string') return JSON.stringify((v as { message: string }).message);
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** The proxy's access record (`msg: "access"`) as a short line. */
function accessLine(r: LogRecord): string {
  const ms = typeof r.ms === 'number' ? `${r.ms < 10 ? r.ms.toFixed(1) : Math.round(r.ms)} ms` : '';
  const via = r.endpoint ? `→ ${String(r.endpoint)}` : r.error ? `(${String(r.error)})` : '';
  return [r.method, r.target, r.status, ms, via]
    .filter((p) => p !== undefined && p !== null && p !== '')
    .map(String)
    .join(' ');
}

function parseRecord(line: string): LogRecord | null {
  if (!line.startsWith('{')) return null;
  try {
    const record: unknown = JSON.parse(line);
    return record !== null && typeof record === 'object' && typeof (record as { msg?: unknown }).msg === 'string' ? (record as LogRecord) : null;
  } catch {
    return null;
  }
}

/**
 * One line of a tier's output (a pino JSON record or a plain line, without its
 * newline) as a human line, or null to drop it. `recent` (a small array per
 * tier, optional) holds the messages just shown, so a plain line that repeats
 * a JSON record appears once.
 */
export function humanLine(tier: string, line: string, paint: Painter, recent: string[] = []): string | null {
  const label = paint(tierStyle(tier), tier.padEnd(6));
  const record = parseRecord(line);
  if (record === null) {
    if (recent.includes(line.trim())) return null;
    return `${paint('gray', clock(undefined))} ${label} ${line}`;
  }
  const level = typeof record.level === 'number' ? (LEVELS[record.level] ?? String(record.level)) : String(record.level ?? '').toUpperCase();
  recent.push(record.msg.trim());
  if (recent.length > 8) recent.shift();
  if (record.msg === 'access' && record.method !== undefined) {
    return `${paint('gray', clock(record.time))} ${label} ${accessLine(record)}`;
  }
  const extras = Object.entries(record)
    .filter(([k, v]) => !SHOWN.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${paint('gray', `${k}=`)}${valueText(v)}`);
  const pid = typeof record.pid === 'number' ? ` ${record.pid}` : '';
  const who = typeof record.role === 'string' ? `${record.role}${pid}` : '';
  const role = who ? `${paint('gray', who.padEnd(13))} ` : '';
  const levelText = level ? `${paint(LEVEL_STYLE[level] ?? 'white', level.padEnd(5))} ` : '';
  return `${paint('gray', clock(record.time))} ${label} ${levelText}${role}${record.msg}${extras.length ? ` ${extras.join(' ')}` : ''}`;
}

const LEVEL_NUMBERS: Record<string, number> = { info: 30, warn: 40, error: 50 };

/** An event of a tool's own (the start script's) as a pino-shaped JSON line: the non-terminal format. */
export function jsonLine(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ level: LEVEL_NUMBERS[level] ?? 30, time: Date.now(), pid: process.pid, tier: 'start', ...fields, msg });
}
