/** One sample line of a Prometheus text exposition. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format (comments skipped). */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    // Groups 1 and 2 of the label pattern, and 1 and 3 of the line's, take part in every match.
    if (m[2]) {
      for (const lm of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Fetches `/metrics` from a loopback port; undefined when it does not answer. */
export async function scrape(port: number, path = '/metrics'): Promise<PromSample[] | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    return parsePrometheus(await res.text());
  } catch {
    return undefined;
  }
}

/** Sum of samples whose name matches `re` (e.g. all retry counters). */
export function sumMatching(samples: PromSample[] | undefined, re: RegExp): number {
  if (!samples) return 0;
  return samples.filter((s) => re.test(s.name) && !s.name.endsWith('_created')).reduce((a, s) => a + s.value, 0);
}
