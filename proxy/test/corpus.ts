import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './helpers.js';

/**
 * The hostile-request corpus of issue #2, read in place from
 * gateway/test/fixtures/requests (never copied): each `.http` file starts
 * with `# key: value` lines (`expect`, optional `limit-body`), then the
 * request, where real newlines are ignored and `\r`, `\n`, `\t`, `\0`,
 * `\xHH`, `{{repeat:N:c}}`, `{{lines:N:text}}` are expanded. The proxy
 * imports nothing from the gateway package, so the format is read here.
 */
export const CORPUS_DIR = join(root, 'gateway/test/fixtures/requests');

export interface CorpusCase {
  name: string;
  expect: number;
  limitBody?: number;
  bytes: Buffer;
}

export function loadCorpus(): CorpusCase[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.http'))
    .sort()
    .map((file) => {
      const lines = readFileSync(join(CORPUS_DIR, file), 'latin1').split('\n');
      const meta: Record<string, string> = {};
      while (lines.length > 0 && lines[0].startsWith('# ')) {
        const line = lines.shift() as string;
        const colon = line.indexOf(':');
        meta[line.slice(2, colon).trim()] = line.slice(colon + 1).trim();
      }
      const c: CorpusCase = { name: file, expect: Number(meta.expect), bytes: expand(lines.join('\n')) };
      if (meta['limit-body'] !== undefined) c.limitBody = Number(meta['limit-body']);
      return c;
    });
}

function expand(source: string): Buffer {
  const text = source
    .replace(/\{\{repeat:(\d+):(.)\}\}/g, (_m, n: string, c: string) => c.repeat(Number(n)))
    .replace(/\{\{lines:(\d+):([^}]*)\}\}/g, (_m, n: string, line: string) => `${line}\\r\\n`.repeat(Number(n)));
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') continue;
    if (c !== '\\') {
      out.push(text.charCodeAt(i));
      continue;
    }
    const e = text[++i];
    if (e === 'r') out.push(13);
    else if (e === 'n') out.push(10);
    else if (e === 't') out.push(9);
    else if (e === '0') out.push(0);
    else if (e === '\\') out.push(0x5c);
    else if (e === 'x') {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new Error(`corpus: unknown escape \\${e}`);
  }
  return Buffer.from(out);
}
