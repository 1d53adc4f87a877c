import type { Socket } from 'node:net';
import { encodeProxyV1, encodeProxyV2, proxiedAddressOf } from '@tsgi/http1';
import type { ClientInfo } from '../listener/edge-listener.js';

/** The PROXY protocol header naming the client, first on a fresh upstream connection (the group's `proxyProtocol`). */
export function writeProxyHeader(sock: Socket, version: 'v1' | 'v2', info: ClientInfo): void {
  const addr = proxiedAddressOf(info.address, info.port, info.localAddress, info.localPort);
  sock.write(version === 'v2' ? encodeProxyV2(addr) : encodeProxyV1(addr));
}
