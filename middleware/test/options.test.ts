import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { App } from '@tsgi/gateway';
import {
  compression, cors, dispatcher, MiddlewareError, proxyFix, redirects, requestId, securityHeaders, staticFiles,
} from '@tsgi/middleware';

const app: App = (_e, sr) => {
  sr('204 No Content', []);
  return [];
};

/** Every construction error is a MiddlewareError with a stable code and a message naming the option. */
function refuses(build: () => unknown, code: string, option: string): void {
  assert.throws(build, (err: unknown) => {
    assert.ok(err instanceof MiddlewareError);
    assert.equal(err.code, code);
    assert.ok(err.message.includes(option), `${err.message} names ${option}`);
    return true;
  });
}

describe('options are validated once, at construction', () => {
  test('staticFiles', () => {
    refuses(() => staticFiles(app, { root: join(tmpdir(), 'does-not-exist-tsgi') }), 'MW_ERR_STATIC_ROOT', 'root');
    refuses(() => staticFiles(app, { root: tmpdir(), maxAge: -1 }), 'MW_ERR_OPTION_INVALID', 'maxAge');
    refuses(() => staticFiles(app, { root: tmpdir(), prefix: 'static' }), 'MW_ERR_OPTION_INVALID', 'prefix');
    refuses(() => staticFiles(app, { root: tmpdir(), index: ['../x'] }), 'MW_ERR_OPTION_INVALID', 'index');
    refuses(() => staticFiles(app, { root: tmpdir(), etag: 'medium' as 'weak' }), 'MW_ERR_OPTION_INVALID', 'etag');
    refuses(() => staticFiles(app, { root: tmpdir(), cacheControl: 'a\r\nb' }), 'MW_ERR_OPTION_INVALID', 'cacheControl');
    refuses(() => staticFiles(app, { root: tmpdir(), maxage: 5 } as never), 'MW_ERR_OPTION_UNKNOWN', 'maxage');
  });

  test('the other middleware', () => {
    refuses(() => securityHeaders(app, { frameOptions: 'ALLOW' as 'DENY' }), 'MW_ERR_OPTION_INVALID', 'frameOptions');
    refuses(() => securityHeaders(app, { hsts: { maxAge: 1.5 } }), 'MW_ERR_OPTION_INVALID', 'hsts.maxAge');
    refuses(() => securityHeaders(app, { contentSecurityPolicy: { 'script-src': ["'self'; evil"] } }), 'MW_ERR_OPTION_INVALID', 'script-src');
    refuses(() => compression(app, { threshold: -5 }), 'MW_ERR_OPTION_INVALID', 'threshold');
    refuses(() => compression(app, { encodings: ['deflate' as 'gzip'] }), 'MW_ERR_OPTION_INVALID', 'encodings');
    refuses(() => compression(app, { brotliQuality: 12 }), 'MW_ERR_OPTION_INVALID', 'brotliQuality');
    refuses(() => cors(app, { credentials: true }), 'MW_ERR_CORS_WILDCARD_CREDENTIALS', 'credentials');
    refuses(() => cors(app, { methods: ['GET POST'] }), 'MW_ERR_OPTION_INVALID', 'methods');
    refuses(() => proxyFix(app, { xFor: -1 }), 'MW_ERR_OPTION_INVALID', 'xFor');
    refuses(() => proxyFix(app, { xFor: 1, x_for: 2 }), 'MW_ERR_OPTION_INVALID', 'xFor');
    refuses(() => requestId(app, { header: 'X Bad' }), 'MW_ERR_OPTION_INVALID', 'header');
    refuses(() => redirects(app, { trailingSlash: 'both' as 'add' }), 'MW_ERR_OPTION_INVALID', 'trailingSlash');
    refuses(() => redirects(app, { status: 200 as 301 }), 'MW_ERR_OPTION_INVALID', 'status');
    refuses(() => redirects(app, { map: { '/x': '//evil.com' } }), 'MW_ERR_REDIRECT_TARGET', '/x');
    refuses(() => dispatcher({ 'api/': app }), 'MW_ERR_DISPATCH_PREFIX', 'api/');
    refuses(() => dispatcher({ '/api/': app }), 'MW_ERR_DISPATCH_PREFIX', '/api/');
  });
});
