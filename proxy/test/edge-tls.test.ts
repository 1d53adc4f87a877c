import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TlsContexts } from '../src/listener/tls-contexts.js';
import { DEFAULT_CIPHERS } from '../src/config/edge-defaults.js';
import { EdgeListener, type ClientInfo } from '../src/listener/edge-listener.js';
import { encodeProxyV1 } from '../src/listener/proxy-protocol.js';
import { makePki, type TestPki } from './edge-certs.js';

function tlsConnect(port: number, opts: { servername?: string; ca: Buffer; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: opts.servername, ca: opts.ca, maxVersion: opts.maxVersion, minVersion: opts.minVersion, ALPNProtocols: ['http/1.1'] }, () => resolve(s));
    s.once('error', reject);
  });
}

function request(s: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n') && got.endsWith('ok')) {
        s.off('data', onData);
        resolve(got);
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
  });
}

describe('edge TLS termination', () => {
  let pki: TestPki;
  let listener: EdgeListener;
  let tls: TlsContexts;
  let port: number;
  let certA: { cert: string; key: string };
  const seen: ClientInfo[] = [];
  const errors: string[] = [];

  before(async () => {
    pki = makePki();
    const a = pki.issue('a', ['a.test']);
    const b = pki.issue('b', ['b.test', '*.b.test']);
    // The listener reads the files at these paths; tests swap their contents.
    certA = { cert: join(pki.dir, 'live-a.pem'), key: join(pki.dir, 'live-a.key') };
    copyFileSync(a.cert, certA.cert);
    copyFileSync(a.key, certA.key);
    tls = new TlsContexts({ certs: [certA, b], minVersion: 'TLSv1.2', ciphers: DEFAULT_CIPHERS, http2: false, handshakeTimeout: 2000 });
    listener = new EdgeListener({
      proxyProtocol: false,
      proxyProtocolTimeout: 1000,
      tls,
      onHttp1(socket, info) {
        seen.push(info);
        socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
        socket.on('error', () => {});
        socket.on('end', () => socket.end());
      },
      onH2Stream() {
        throw new Error('no h2 on this listener');
      },
      events: { tlsError: (r) => errors.push(r) },
    });
    port = (await listener.listen('127.0.0.1', 0)).port;
  });

  after(async () => {
    await listener.close();
    pki.cleanup();
  });

  test('SNI picks the certificate: exact name, wildcard, and the first as default', async () => {
    for (const [name, want] of [
      ['a.test', 'a.test'],
      ['b.test', 'b.test'],
      ['x.b.test', 'b.test'],
      ['unknown.test', 'a.test'],
    ] as const) {
      const s = await new Promise<TLSSocket>((resolve, reject) => {
        const sock = connect({ host: '127.0.0.1', port, servername: name, ca: pki.ca, checkServerIdentity: () => undefined }, () => resolve(sock));
        sock.once('error', reject);
      });
      assert.equal(s.getPeerCertificate().subject.CN, want, `SNI ${name}`);
      assert.match(await request(s), /^HTTP\/1.1 200/);
      s.destroy();
    }
    assert.equal(seen.at(-1)?.tls, true);
    assert.equal(seen.at(-1)?.servername, 'unknown.test');
  });

  test('TLS 1.1 and below are refused; 1.2 and 1.3 are served', async () => {
    await assert.rejects(tlsConnect(port, { servername: 'a.test', ca: pki.ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
    const v12 = await tlsConnect(port, { servername: 'a.test', ca: pki.ca, maxVersion: 'TLSv1.2' });
    assert.equal(v12.getProtocol(), 'TLSv1.2');
    assert.match(v12.getCipher().name, /GCM|CHACHA20/);
    v12.destroy();
    const v13 = await tlsConnect(port, { servername: 'a.test', ca: pki.ca });
    assert.equal(v13.getProtocol(), 'TLSv1.3');
    v13.destroy();
    assert.ok(errors.length >= 1, 'the refused handshake is reported');
  });

  test('a bad certificate on reload keeps the old one and says why; a good one is served to new connections while old ones keep working', async () => {
    const old = await tlsConnect(port, { servername: 'a.test', ca: pki.ca });
    const oldSerial = old.getPeerCertificate().serialNumber;
    // A certificate whose key does not match.
    const other = pki.issue('other', ['a.test']);
    copyFileSync(other.cert, certA.cert);
    const bad = tls.reload();
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? '', /does not fit certificate/);
    // Garbage in the certificate file.
    writeFileSync(certA.cert, 'not a certificate\n');
    const garbage = tls.reload();
    assert.equal(garbage.ok, false);
    assert.match(garbage.error ?? '', /not a valid PEM certificate/);
    const still = await tlsConnect(port, { servername: 'a.test', ca: pki.ca });
    assert.equal(still.getPeerCertificate().serialNumber, oldSerial, 'old certificate kept');
    still.destroy();
    // Now a matching pair.
    copyFileSync(other.key, certA.key);
    copyFileSync(other.cert, certA.cert);
    const good = tls.reload();
    assert.equal(good.ok, true, good.error);
    const fresh = await tlsConnect(port, { servername: 'a.test', ca: pki.ca });
    assert.notEqual(fresh.getPeerCertificate().serialNumber, oldSerial, 'new certificate served');
    fresh.destroy();
    assert.match(await request(old), /^HTTP\/1.1 200/, 'the connection opened before the swap still works');
    old.destroy();
  });
});

describe('edge PROXY protocol in front of TLS', () => {
  test('the client address comes from the header, even when the ClientHello arrives in the same packet', async () => {
    const pki = makePki();
    const a = pki.issue('a', ['a.test']);
    const tls = new TlsContexts({ certs: [a], minVersion: 'TLSv1.2', ciphers: DEFAULT_CIPHERS, http2: false, handshakeTimeout: 2000 });
    const infos: ClientInfo[] = [];
    const listener = new EdgeListener({
      proxyProtocol: true,
      proxyProtocolTimeout: 1000,
      tls,
      onHttp1(socket, info) {
        infos.push(info);
        socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
        socket.on('end', () => socket.end());
      },
      onH2Stream() {},
    });
    const { port } = await listener.listen('127.0.0.1', 0);
    try {
      const raw = tcpConnect({ host: '127.0.0.1', port });
      await new Promise((r) => raw.once('connect', r));
      // Cork so the header and the ClientHello leave in one segment.
      raw.cork();
      raw.write(encodeProxyV1({ family: 4, sourceAddress: '203.0.113.7', sourcePort: 4242, destinationAddress: '198.51.100.1', destinationPort: 443 }));
      const s = connect({ socket: raw, servername: 'a.test', ca: pki.ca });
      process.nextTick(() => raw.uncork());
      await new Promise((r, j) => {
        s.once('secureConnect', r);
        s.once('error', j);
      });
      assert.match(await request(s), /^HTTP\/1.1 200/);
      assert.equal(infos[0]?.address, '203.0.113.7');
      assert.equal(infos[0]?.port, 4242);
      assert.equal(infos[0]?.peerAddress, '127.0.0.1');
      s.destroy();
    } finally {
      await listener.close();
      pki.cleanup();
    }
  });
});
