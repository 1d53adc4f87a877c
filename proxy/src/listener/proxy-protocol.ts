import { parseProxyHeader as parseWireProxyHeader, WireError, type ProxyHeader } from '@tsgi/http1';
import { ProxyError } from '../errors.js';

export { encodeProxyV1, encodeProxyV2, proxiedAddressOf, type ProxiedAddress, type ProxyHeader } from '@tsgi/http1';

/**
 * `@tsgi/http1`'s PROXY protocol parser (one for both tiers), its verdict in
 * the proxy's catalogue: PX_ERR_PROXY_PROTOCOL, the code the proxy's logs and
 * metrics have always carried.
 */
export function parseProxyHeader(buf: Buffer): ProxyHeader | null {
  try {
    return parseWireProxyHeader(buf);
  } catch (err) {
    if (err instanceof WireError) throw new ProxyError('PX_ERR_PROXY_PROTOCOL', err.message);
    throw err;
  }
}
