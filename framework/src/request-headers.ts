import type { Environ } from '@tsgi/gateway';

function environKey(name: string): string {
  const upper = name.toUpperCase().replace(/-/g, '_');
  if (upper === 'CONTENT_TYPE' || upper === 'CONTENT_LENGTH') return upper;
  return `HTTP_${upper}`;
}

/** Read-only, case-insensitive view of the request headers held in the environ (no copying). */
export class RequestHeaders implements Iterable<[string, string]> {
  private readonly environ: Environ;
  constructor(environ: Environ) {
    this.environ = environ;
  }

  get(name: string): string | undefined {
    const value = this.environ[environKey(name)];
    return typeof value === 'string' ? value : undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Header names in lower case with their values, as a plain object. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this);
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const key of Object.keys(this.environ)) {
      const value = this.environ[key];
      if (typeof value !== 'string') continue;
      if (key.startsWith('HTTP_')) yield [key.slice(5).toLowerCase().replace(/_/g, '-'), value];
      else if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') yield [key.toLowerCase().replace('_', '-'), value];
    }
  }
}
