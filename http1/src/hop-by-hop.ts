/**
 * Hop-by-hop fields, defined once for both tiers. They describe one
 * connection, so a proxy never forwards them and an app never sets them.
 */

/**
 * The hop-by-hop set both tiers share: Connection and the fields RFC 9110
 * section 7.6.1 names as connection-specific (Keep-Alive, TE, Transfer-Encoding,
 * Upgrade), plus Trailer and the Proxy-Authenticate/Proxy-Authorization pair
 * (RFC 2616 section 13.5.1's list). The gateway's server refuses an app that sets one (SPEC RESP-4).
 */
export const HOP_BY_HOP_FIELDS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * What a proxy removes from requests and responses (and the validator refuses
 * from apps): the shared set plus Proxy-Connection, never standard but still
 * sent by old clients, which RFC 9110 section 7.6.1 says to remove as well.
 */
export const PROXY_HOP_BY_HOP_FIELDS: ReadonlySet<string> = new Set([...HOP_BY_HOP_FIELDS, 'proxy-connection']);
