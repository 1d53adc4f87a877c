/**
 * Respawn back-off: each worker that dies before it ever got ready doubles the
 * wait before the next spawn (from `baseMs` up to `maxMs`); a worker reaching
 * ready resets it. Keeps a crash-looping app from burning the CPU.
 */
export class BackOff {
  private failures = 0;
  private notBefore = 0;
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  failed(now = Date.now()): void {
    this.failures += 1;
    this.notBefore = now + Math.min(this.maxMs, this.baseMs * 2 ** (this.failures - 1));
  }

  succeeded(): void {
    this.failures = 0;
    this.notBefore = 0;
  }

  ready(now = Date.now()): boolean {
    return now >= this.notBefore;
  }
}
