import { z } from 'zod';

/** Durations are milliseconds, or strings such as `500ms`, `5s`, `2m`, `1h`. */
export const duration = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+(?:\.\d+)?\s*(?:ms|s|m|h)$/, 'must be a duration such as 500ms, 5s or 2m')
    .transform((s) => {
      const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(s) as RegExpExecArray;
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
      return Math.round(Number(m[1]) * unit);
    }),
]);

/** Byte sizes: integers, or strings such as `16k`, `10m`, `1g` (binary multiples). */
export const size = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+\s*[kmg]?i?b?$/i, 'must be a size such as 16k, 10m or 1g')
    .transform((s) => {
      const m = /^(\d+)\s*([kmg]?)/i.exec(s) as RegExpExecArray;
      const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']; // ([kmg]?) always takes part
      return Number(m[1]) * mult;
    }),
]);
