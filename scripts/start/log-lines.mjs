// One human line per log event for `npm start` in a terminal: the tiers write
// pino JSON (and a few plain lines); this turns each into
//   09:41:02.123 app-a  INFO  master  Listening at: http://127.0.0.1:8001 (4242)
//   09:41:05.010 proxy  GET / 200 1.3 ms → 127.0.0.1:8001
// with the tier's name in its own colour. Pure functions: the formatter
// process (log-formatter.mjs) and start.mjs itself use them.
import { styleText } from 'node:util';

const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_STYLE = { TRACE: 'gray', DEBUG: 'gray', INFO: 'green', WARN: 'yellow', ERROR: 'red', FATAL: 'red' };
const KNOWN_TIERS = { start: 'bold', 'app-a': 'cyan', 'app-b': 'magenta', proxy: 'yellow' };
const TIER_STYLES = ['cyan', 'magenta', 'blue', 'yellow', 'green'];
/** Keys every record has or that the line shows in its own place. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'role', 'v']);

/** The colour of a tier's name: fixed per name, so app-a is the same colour in every run. */
export function tierStyle(name) {
  if (KNOWN_TIERS[name]) return KNOWN_TIERS[name];
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return TIER_STYLES[h % TIER_STYLES.length];
}

/**
 * A painter for one stream: `paint(style, text)` colours when the stream is a
 * terminal that takes colour (NO_COLOR, FORCE_COLOR and TERM=dumb respected).
 */
export function painterFor(stream) {
  const colour = typeof stream.hasColors === 'function' ? stream.hasColors() : false;
  return colour ? (style, text) => styleText(style, text, { validateStream: false }) : (_style, text) => text;
}

function clock(time) {
  const d = time === undefined ? new Date() : new Date(time);
  const at = Number.isNaN(d.getTime()) ? new Date() : d;
  const two = (n) => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function valueText(v) {
  if (v instanceof Object && typeof v.message === 'string') return JSON.stringify(v.message);
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** The proxy's access record (`msg: "access"`) as a short line. */
function accessLine(r) {
  const ms = typeof r.ms === 'number' ? `${r.ms < 10 ? r.ms.toFixed(1) : Math.round(r.ms)} ms` : '';
  const via = r.endpoint ? `→ ${r.endpoint}` : r.error ? `(${r.error})` : '';
  return [r.method, r.target, r.status, ms, via].filter((p) => p !== undefined && p !== '').join(' ');
}

/**
 * One line of a tier's output as a human line, or null to drop it. `recent`
 * (a small array per tier) holds the messages just shown, so a plain stdout
 * line that repeats a JSON record ("Listening at: ...") appears once.
 */
export function humanLine(tier, line, paint, recent = []) {
  const label = paint(tierStyle(tier), tier.padEnd(6));
  let record = null;
  if (line.startsWith('{')) {
    try {
      record = JSON.parse(line);
    } catch {
      record = null;
    }
  }
  if (record === null || typeof record !== 'object' || typeof record.msg !== 'string') {
    if (recent.includes(line.trim())) return null;
    return `${paint('gray', clock())} ${label} ${line}`;
  }
  const level = LEVELS[record.level] ?? String(record.level ?? '').toUpperCase();
  recent.push(record.msg.trim());
  if (recent.length > 8) recent.shift();
  if (record.msg === 'access' && record.method !== undefined) {
    return `${paint('gray', clock(record.time))} ${label} ${accessLine(record)}`;
  }
  const extras = Object.entries(record)
    .filter(([k, v]) => !SHOWN.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${paint('gray', `${k}=`)}${valueText(v)}`);
  const who = typeof record.role === 'string' ? `${record.role}${record.pid ? ` ${record.pid}` : ''}` : '';
  const role = who ? `${paint('gray', who.padEnd(13))} ` : '';
  const levelText = level ? `${paint(LEVEL_STYLE[level] ?? 'white', level.padEnd(5))} ` : '';
  return `${paint('gray', clock(record.time))} ${label} ${levelText}${role}${record.msg}${extras.length ? ` ${extras.join(' ')}` : ''}`;
}

/** A start-script event as a pino-shaped JSON line (the non-terminal format). */
export function jsonLine(level, msg, fields = {}) {
  return JSON.stringify({ level: { info: 30, warn: 40, error: 50 }[level] ?? 30, time: Date.now(), pid: process.pid, tier: 'start', ...fields, msg });
}
