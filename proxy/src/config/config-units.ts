import { z } from 'zod';

/** Node's timers hold at most 2^31-1 ms (~24.8 days); a longer one fires after 1 ms (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const DURATION_HINT = 'must be a duration such as 500ms, 5s or 2m (a plain number is milliseconds)';
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

function durationMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(v);
  return m === null ? null : Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/**
 * Durations are milliseconds, or strings such as `500ms`, `5s`, `2m`, `1h`.
 * One schema (not a union) so a bad value gets the hint, not zod's "Invalid input".
 */
function durationSchema(min: 0 | 1) {
  return z.unknown().transform((v, ctx): number => {
    const ms = durationMs(v);
    if (ms === null) ctx.addIssue({ code: z.ZodIssueCode.custom, message: DURATION_HINT });
    else if (ms < min) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be more than 0 (0 would expire at once)' });
    else if (ms > MAX_TIMER_MS) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be at most ${MAX_TIMER_MS} ms (about 24 days)` });
    else return ms;
    return z.NEVER;
  });
}

/** A duration where 0 has a meaning of its own (off, never, no keep-alive). */
export const duration = durationSchema(0);
/** A duration that arms a timer or a probe: 0 would fail every time, or spin. */
export const positiveDuration = durationSchema(1);

const SIZE_MULT = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const;

/** Byte sizes: integers, or strings such as `16k`, `10m`, `1g` (binary multiples). */
export const size = z.unknown().transform((v, ctx): number => {
  let bytes: number | null = null;
  if (typeof v === 'number') bytes = Number.isSafeInteger(v) && v >= 0 ? v : null;
  else if (typeof v === 'string') {
    const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(v);
    if (m !== null) bytes = Number(m[1]) * SIZE_MULT[m[2]!.toLowerCase() as keyof typeof SIZE_MULT]; // ([kmg]?) always takes part
  }
  if (bytes !== null && Number.isSafeInteger(bytes)) return bytes;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a size such as 16k, 10m or 1g (a plain number is bytes)' });
  return z.NEVER;
});

/** Parses `10r/s`, `30r/m` or a plain number (per second); null when malformed or zero. */
export function parseRate(text: string | number): number | null {
  if (typeof text === 'number') return text > 0 && Number.isFinite(text) ? text : null;
  const m = /^(\d+(?:\.\d+)?)\s*r\/(s|m)$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]) / (m[2] === 'm' ? 60 : 1);
  return n > 0 ? n : null;
}

