/** The `Date` header line, rebuilt at most once per second rather than per response. */
let cachedSecond = -1;
let cachedLine = '';

export function dateHeaderLine(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedLine = `Date: ${new Date(now).toUTCString()}\r\n`;
  }
  return cachedLine;
}
