/** One media range of an Accept header with its quality. */
interface AcceptItem {
  value: string;
  type: string;
  subtype: string;
  quality: number;
  specificity: readonly boolean[];
}

function specificity(value: string): boolean[] {
  return value.split(/[/+]/).map((part) => part !== '*');
}

function compare(a: readonly boolean[], b: readonly boolean[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] ? 1 : -1;
  return a.length - b.length;
}

function split(mimetype: string): [string, string] {
  const lower = mimetype.toLowerCase();
  const slash = lower.indexOf('/');
  return slash === -1 ? [lower, '*'] : [lower.slice(0, slash), lower.slice(slash + 1)];
}

function matches(offer: readonly [string, string], item: AcceptItem): boolean {
  return (item.type === '*' || item.type === offer[0]) && (item.subtype === '*' || item.subtype === offer[1]);
}

/**
 * The Accept header (Werkzeug's MIMEAccept): media ranges sorted by
 * specificity and quality, `bestMatch(offers)` picks what the client prefers.
 */
export class MimeAccept {
  readonly items: readonly AcceptItem[];

  constructor(header: string | undefined) {
    const items: AcceptItem[] = [];
    for (const raw of (header ?? '').split(',')) {
      const [range, ...params] = raw.split(';').map((part) => part.trim());
      if (!range || !range.includes('/') && range !== '*') continue;
      let quality = 1;
      for (const param of params) {
        const [key, value] = param.split('=').map((part) => part.trim());
        if (key === 'q' && value !== undefined) {
          const q = Number(value);
          quality = Number.isFinite(q) ? Math.max(0, Math.min(1, q)) : 0;
        }
      }
      const [type, subtype] = split(range);
      items.push({ value: range.toLowerCase(), type, subtype, quality, specificity: specificity(range) });
    }
    this.items = items.sort((a, b) => compare(b.specificity, a.specificity) || b.quality - a.quality);
  }

  /** The quality the client gives `mimetype` (0 when not accepted). */
  quality(mimetype: string): number {
    const offer = split(mimetype);
    for (const item of this.items) if (matches(offer, item)) return item.quality;
    return 0;
  }

  /** The offer the client prefers (first offer on ties), or `fallback`. */
  bestMatch(offers: readonly string[], fallback?: string): string | undefined {
    let result = fallback;
    let bestQuality = -1;
    let bestSpecificity: readonly boolean[] = [];
    for (const offer of offers) {
      const parts = split(offer);
      for (const item of this.items) {
        if (item.quality <= 0 || item.quality < bestQuality) continue;
        if (matches(parts, item) && (item.quality > bestQuality || compare(item.specificity, bestSpecificity) > 0)) {
          bestQuality = item.quality;
          bestSpecificity = item.specificity;
          result = offer;
        }
      }
    }
    return result;
  }

  /** Whether the client accepts `mimetype` at all. */
  accepts(mimetype: string): boolean {
    return this.quality(mimetype) > 0;
  }
}
