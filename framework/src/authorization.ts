/** Credentials from an Authorization header (Werkzeug's `Authorization`). */
export interface Authorization {
  /** Lower-cased scheme: `basic`, `bearer`, ... */
  type: string;
  /** Basic: the user name and password. */
  username?: string;
  password?: string;
  /** Other schemes: the token after the scheme. */
  token?: string;
}

/** Parses Basic (base64 `user:password`) and token schemes; undefined when absent or malformed. */
export function parseAuthorization(header: string | undefined): Authorization | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space <= 0) return undefined;
  const type = header.slice(0, space).toLowerCase();
  const rest = header.slice(space + 1).trim();
  if (type !== 'basic') return rest ? { type, token: rest } : undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(rest)) return undefined;
  const decoded = Buffer.from(rest, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { type, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
