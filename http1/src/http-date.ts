/**
 * HTTP-date (RFC 9110 §5.6.7) for conditional requests: the three forms a
 * recipient must accept, all in GMT, and nothing else. Date.parse is no
 * substitute: it takes `0` or `2030` as dates (so a garbage If-Modified-Since
 * gave 304) and reads asctime as local time (wrong by the server's offset).
 */

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = new RegExp(`^[a-z]{3}, (\\d{2}) ([a-z]{3}) (\\d{4}) ${TIME} GMT$`, 'i');
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 = new RegExp(`^[a-z]{6,9}, (\\d{2})-([a-z]{3})-(\\d{2}) ${TIME} GMT$`, 'i');
// Sun Nov  6 08:49:37 1994
const ASCTIME = new RegExp(`^[a-z]{3} ([a-z]{3}) ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

/**
 * Seconds since the epoch, or NaN when `value` is not an HTTP-date (the
 * caller then ignores the header, as §13.1.3 asks). A two-digit rfc850 year
 * more than 50 years ahead is taken as the most recent past one (§5.6.7).
 */
export function parseHttpDate(value: string, nowMs: number = Date.now()): number {
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m) return toSeconds(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(text);
  if (m) {
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    return toSeconds(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(text);
  if (m) return toSeconds(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return NaN;
}

function toSeconds(year: number, monthName: string, day: number, hh: string, mm: string, ss: string): number {
  const month = MONTHS[monthName.toLowerCase()];
  const [h, min, s] = [Number(hh), Number(mm), Number(ss)];
  // 60 is a leap second (the grammar allows it); Date.UTC rolls it into the next minute.
  if (month === undefined || day < 1 || h > 23 || min > 59 || s > 60) return NaN;
  // 31 Feb and the like: Date.UTC would roll into the next month.
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) return NaN;
  return Date.UTC(year, month, day, h, min, s) / 1000;
}
