import type { ErrorStream } from '../types.js';

/** The default `tsgi.errors`: one line per write on stderr. */
export const stderrErrors: ErrorStream = Object.freeze({
  write(message: string): void {
    process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
  },
  flush(): void {},
});
