import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WireError } from '@tsgi/http1';
import { bindError, ConfigError, ProxyError, PX_ERRORS } from '../src/errors.js';
import { toProxyError } from '../src/wire.js';

test('a ProxyError takes status and text from the catalogue and keeps its detail as a field', () => {
  const err = new ProxyError('PX_ERR_BODY_TOO_LARGE', 'chunked body over 1024');
  assert.equal(err.status, PX_ERRORS.PX_ERR_BODY_TOO_LARGE.status);
  assert.equal(err.message, 'request body too large: chunked body over 1024');
  assert.equal(err.detail, 'chunked body over 1024');
  const bare = new ProxyError('PX_ERR_SHUTTING_DOWN');
  assert.equal(bare.message, 'proxy is shutting down');
  assert.equal(bare.detail, '');
  // A detail that happens to start with the text is kept whole, not cut by parsing the message.
  assert.equal(new ProxyError('PX_ERR_BAD_REQUEST', 'malformed request: x').detail, 'malformed request: x');
});

test('errors that never reach a client keep their one-line message, which is also their detail', () => {
  const bind = bindError('listeners.0.address', '127.0.0.1:80', Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }));
  assert.equal(bind.message, 'cannot listen on 127.0.0.1:80 (listeners.0.address): address already in use');
  assert.equal(bind.status, undefined);
  assert.equal(bind.detail, bind.message);
  const config = new ConfigError('config: limits.maxBody must be a size (from proxy.yaml)');
  assert.equal(config.message, 'config: limits.maxBody must be a size (from proxy.yaml)');
  assert.ok(config instanceof ProxyError);
  assert.equal(new ProxyError('PX_ERR_RELOAD_REFUSED', 'app', 'no-such-host.invalid: ENOTFOUND').message, 'upstream "app" would have no endpoints (no-such-host.invalid: ENOTFOUND)');
});

test('a wire error becomes the ProxyError of its area, with the wire detail and the wire error as cause', () => {
  const wire = new WireError('H1_ERR_BAD_CHUNK', 'size line "zz"');
  const err = toProxyError(wire);
  assert.ok(err instanceof ProxyError);
  assert.equal(err.code, 'PX_ERR_BAD_CHUNK');
  assert.equal(err.status, 400);
  assert.equal(err.cause, wire);
  assert.equal(err.message, `bad chunked framing${err.detail ? `: ${err.detail}` : ''}`);
});
