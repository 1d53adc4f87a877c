import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The fields of a packed package.json the generator reads. */
export interface PackedManifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
}

/**
 * Reads `package/package.json` out of an `npm pack` tarball (gzip + ustar: 512-byte
 * headers, name at 0, octal size at 124, prefix at 345, data padded to 512).
 * Returns null for a file that is not such a tarball.
 */
export function readPackedManifest(file: string): PackedManifest | null {
  let tar: Buffer;
  try {
    tar = gunzipSync(readFileSync(file));
  } catch {
    return null;
  }
  const field = (header: Buffer, from: number, to: number): string => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return null;
    const name = field(header, 0, 100);
    const prefix = field(header, 345, 500);
    const size = parseInt(field(header, 124, 136).trim() || '0', 8);
    if ((prefix ? `${prefix}/${name}` : name) === 'package/package.json') {
      try {
        return JSON.parse(tar.subarray(at + 512, at + 512 + size).toString('utf8')) as PackedManifest;
      } catch {
        return null;
      }
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return null;
}
