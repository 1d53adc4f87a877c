import { createRequire } from 'node:module';

interface MimeEntry {
  compressible?: boolean;
}

// mime-db is the table `compressible` (Express) reads; loaded once.
const db = createRequire(import.meta.url)('mime-db') as Record<string, MimeEntry>;
const FALLBACK = /^text\/|\+(?:json|text|xml)$/;
const cache = new Map<string, boolean>();

/** Whether a Content-Type is worth compressing (text, JSON, JS, SVG... not images, video, archives). */
export function isCompressible(contentType: string): boolean {
  let hit = cache.get(contentType);
  if (hit !== undefined) return hit;
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  hit = db[type]?.compressible ?? FALLBACK.test(type);
  if (cache.size < 512) cache.set(contentType, hit);
  return hit;
}
