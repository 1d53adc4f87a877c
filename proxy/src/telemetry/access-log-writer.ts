import type { Logger } from 'pino';
import type { ExchangeRecord } from '../route/proxy-context.js';
import { accessLogJson, compileAccessLogFormat } from './access-log.js';

/** Writes one access line per record in the configured format (compiled once per format, so a reload may change it). */
export class AccessLogWriter {
  private format = '';
  private line: ((r: ExchangeRecord) => string) | null = null;

  constructor(
    private readonly log: Logger,
    private readonly writeLine: (line: string) => void,
  ) {}

  write(format: string, r: ExchangeRecord): void {
    if (format === 'json') {
      this.log.info(accessLogJson(r), 'access');
      return;
    }
    if (format !== this.format || this.line === null) {
      this.format = format;
      this.line = compileAccessLogFormat(format);
    }
    this.writeLine(this.line(r));
  }
}
