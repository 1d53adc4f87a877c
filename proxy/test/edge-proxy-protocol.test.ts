import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { RawConnection } from '@tsgi/test-support';
import { parseProxyHeader, encodeProxyV1, encodeProxyV2, proxiedAddressOf } from '../src/listener/proxy-protocol.js';
import { EdgeListener, type ClientInfo } from '../src/listener/edge-listener.js';
import type { ProxyError } from '../src/errors.js';

const V2_SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(verCmd: number, fam: number, payload: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(payload.length);
  return Buffer.concat([V2_SIG, Buffer.from([verCmd, fam]), len, payload]);
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as ProxyError).code;
  }
  return 'none';
}

describe('PROXY protocol parser', () => {
  test('v1 TCP4, TCP6 and UNKNOWN', () => {
    const h = parseProxyHeader(Buffer.from('PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET / HTTP/1.1\r\n'));
    assert.deepEqual(h, { version: 1, address: { family: 4, sourceAddress: '192.0.2.1', sourcePort: 56324, destinationAddress: '198.51.100.2', destinationPort: 443 }, length: 45 });
    const h6 = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n'));
    assert.equal(h6?.address?.sourceAddress, '2001:db8::1');
    assert.equal(h6?.address?.destinationPort, 65535);
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n')), { version: 1, address: null, length: 35 });
  });

  test('incomplete headers ask for more bytes, byte by byte', () => {
    const full = Buffer.from('PROXY TCP4 10.0.0.1 10.0.0.2 1000 80\r\n');
    for (let i = 0; i < full.length; i++) assert.equal(parseProxyHeader(full.subarray(0, i)), null, `prefix ${i}`);
    assert.equal(parseProxyHeader(full)?.length, full.length);
    const bin = encodeProxyV2({ family: 6, sourceAddress: '2001:db8::5', sourcePort: 7, destinationAddress: '::1', destinationPort: 8 });
    for (let i = 0; i < bin.length; i++) assert.equal(parseProxyHeader(bin.subarray(0, i)), null, `v2 prefix ${i}`);
  });

  test('malformed v1 headers are refused', () => {
    for (const bad of [
      'GET / HTTP/1.1\r\n\r\n',
      'PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n',
      'PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n',
      'PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n',
      'PROXY TCP6 192.0.2.1 198.51.100.2 1 2\r\n',
      'PROXY TCP4 192.0.2.1 198.51.100.2 01 2\r\n',
      'PROXY TCP4 192.0.2.1 198.51.100.2 65536 2\r\n',
      'PROXY TCP4 192.0.2.1  198.51.100.2 1 2\r\n',
      'PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n',
      'PROXY TCP4 999.0.2.1 198.51.100.2 1 2\r\n',
      'proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n',
      `PROXY TCP4 ${'1'.repeat(120)}`,
      'PROXY TCP4 192.0.2.1 198.51.100.2 1 2\x00\r\n',
    ]) {
      assert.equal(code(() => parseProxyHeader(Buffer.from(bad, 'latin1'))), 'PX_ERR_PROXY_PROTOCOL', JSON.stringify(bad));
    }
  });

  test('v2 PROXY over IPv4/IPv6, LOCAL, unix and TLVs', () => {
    const p4 = Buffer.from([203, 0, 113, 9, 10, 0, 0, 1, 0x1f, 0x90, 0x01, 0xbb]);
    assert.deepEqual(parseProxyHeader(v2(0x21, 0x11, p4)), { version: 2, address: { family: 4, sourceAddress: '203.0.113.9', destinationAddress: '10.0.0.1', sourcePort: 8080, destinationPort: 443 }, length: 28 });
    // TLVs after the addresses are skipped; the stream starts after them.
    const withTlv = v2(0x21, 0x11, Buffer.concat([p4, Buffer.from([0x04, 0x00, 0x02, 0xab, 0xcd])]));
    assert.equal(parseProxyHeader(Buffer.concat([withTlv, Buffer.from('GET')]))?.length, withTlv.length);
    const local = parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0)));
    assert.deepEqual(local, { version: 2, address: null, length: 16 });
    assert.equal(parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(216)))?.address, null);
    const mapped = Buffer.alloc(36);
    mapped.writeUInt16BE(0xffff, 10);
    mapped.set([192, 0, 2, 33], 12);
    assert.equal(parseProxyHeader(v2(0x21, 0x21, mapped))?.address?.sourceAddress, '192.0.2.33');
  });

  test('malformed v2 headers are refused', () => {
    const p4 = Buffer.alloc(12);
    for (const [name, buf] of [
      ['version 1', v2(0x11, 0x11, p4)],
      ['command 2', v2(0x22, 0x11, p4)],
      ['family 4', v2(0x21, 0x41, p4)],
      ['short for IPv4', v2(0x21, 0x11, Buffer.alloc(11))],
      ['short for IPv6', v2(0x21, 0x21, Buffer.alloc(35))],
      ['bad signature', Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540b', 'hex'), Buffer.alloc(16)])],
      ['huge length', Buffer.concat([V2_SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])])],
    ] as const) {
      assert.equal(code(() => parseProxyHeader(buf)), 'PX_ERR_PROXY_PROTOCOL', name);
    }
  });

  test('emitted v1 and v2 headers parse back to the same addresses', () => {
    for (const a of [
      { family: 4 as const, sourceAddress: '198.51.100.7', sourcePort: 1, destinationAddress: '10.1.2.3', destinationPort: 65535 },
      { family: 6 as const, sourceAddress: '2001:db8:0:1::7', sourcePort: 443, destinationAddress: 'fe80::1', destinationPort: 80 },
      { family: 6 as const, sourceAddress: '::', sourcePort: 0, destinationAddress: '1:2:3:4:5:6:7:8', destinationPort: 9 },
    ]) {
      assert.deepEqual(parseProxyHeader(encodeProxyV1(a))?.address, a);
      assert.deepEqual(parseProxyHeader(encodeProxyV2(a))?.address, a);
    }
    assert.equal(parseProxyHeader(encodeProxyV1(null))?.address, null);
    assert.equal(parseProxyHeader(encodeProxyV2(null))?.address, null);
    assert.deepEqual(proxiedAddressOf('::ffff:127.0.0.1', 5, '::1', 80), { family: 4, sourceAddress: '127.0.0.1', sourcePort: 5, destinationAddress: '0.0.0.0', destinationPort: 80 });
  });
});

describe('PROXY protocol on a plaintext listener', () => {
  test('the header sets the client address; malformed headers and silence close the connection', async () => {
    const infos: ClientInfo[] = [];
    const errors: string[] = [];
    const listener = new EdgeListener({
      proxyProtocol: true,
      proxyProtocolTimeout: 300,
      tls: null,
      onHttp1(socket, info) {
        infos.push(info);
        let got = '';
        socket.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.includes('\r\n\r\n')) socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${got.length}\r\n\r\n${got}`);
        });
      },
      onH2Stream() {},
      events: { proxyProtocolError: (e) => errors.push(e.message) },
    });
    const { port } = await listener.listen('127.0.0.1', 0);
    /** Writes the pieces one event-loop turn apart, then reads until the close. */
    const exchange = async (bytes: Buffer[]): Promise<string> => {
      const conn = await RawConnection.open(port);
      try {
        for (const b of bytes) {
          conn.write(b);
          await new Promise((r) => setImmediate(r));
        }
        return (await conn.readUntilClosed()).bytes.toString();
      } finally {
        conn.destroy();
      }
    };
    try {
      // Header and request split at odd places.
      const hdr = encodeProxyV2({ family: 4, sourceAddress: '203.0.113.50', sourcePort: 999, destinationAddress: '127.0.0.1', destinationPort: port });
      const out = await exchange([hdr.subarray(0, 5), Buffer.concat([hdr.subarray(5), Buffer.from('GET /a HTTP/1.1\r\n')]), Buffer.from('host: x\r\n\r\n')]);
      assert.match(out, /^HTTP\/1.1 200 OK/);
      assert.match(out, /GET \/a HTTP\/1.1\r\nhost: x\r\n\r\n$/, 'no byte lost or duplicated after the header');
      assert.equal(infos[0]?.address, '203.0.113.50');
      assert.equal(infos[0]?.peerAddress, '127.0.0.1');
      assert.equal(await exchange([Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n')]), '', 'no header: closed, nothing served');
      assert.equal(await exchange([Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n')]), '');
      assert.equal(await exchange([]), '', 'silence: closed after the timeout');
      assert.equal(infos.length, 1);
      assert.equal(errors.length, 3);
    } finally {
      await listener.close();
    }
  });
});

describe('PROXY protocol towards upstreams', () => {
  test('an emitted header reaches a server that parses it', async () => {
    const got = await new Promise<Buffer>((resolve) => {
      const srv = createServer((s) => {
        s.on('data', (d: Buffer) => {
          resolve(d);
          s.destroy();
          srv.close();
        });
      });
      srv.listen(0, '127.0.0.1', () => {
        const c = connect({ host: '127.0.0.1', port: (srv.address() as { port: number }).port }, () => {
          c.end(Buffer.concat([encodeProxyV1(proxiedAddressOf('192.0.2.9', 1234, '127.0.0.1', 80)), Buffer.from('GET / HTTP/1.1\r\n\r\n')]));
        });
        c.on('error', () => {});
      });
    });
    const h = parseProxyHeader(got);
    assert.equal(h?.address?.sourceAddress, '192.0.2.9');
    assert.equal(got.subarray(h!.length).toString(), 'GET / HTTP/1.1\r\n\r\n');
  });
});
