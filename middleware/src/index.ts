/**
 * TSGI middleware: each export wraps an app and returns an app
 * (`(app, options) => app`, APP-5), so they compose by nesting:
 *
 * ```ts
 * const site = proxyFix(requestId(securityHeaders(compression(staticFiles(app, { root, prefix: '/static' })))));
 * ```
 *
 * Options are validated once, at construction; invalid ones throw a
 * {@link MiddlewareError} whose `code` is one of {@link MW_ERROR_CODES}.
 */
export { staticFiles, type StaticFilesOptions } from './static-files/index.js';
export { securityHeaders, type SecurityHeadersOptions, type HstsOptions, type CspDirectives } from './security-headers/index.js';
export { redirects, type RedirectsOptions, type RedirectRule, type RedirectStatus } from './redirects/index.js';
export { proxyFix, PROXY_FIX_ORIG_KEY, type ProxyFixOptions, type ProxyFixOriginal } from './proxy-fix/index.js';
export { requestId, REQUEST_ID_KEY, type RequestIdOptions } from './request-id/index.js';
export { compression, type CompressionOptions } from './compression/index.js';
export { cors, type CorsOptions, type CorsOrigin } from './cors/index.js';
export { dispatcher } from './dispatcher/index.js';
export { MiddlewareError, InvalidOptionError, UnknownOptionError, MW_ERROR_CODES, MIDDLEWARE_ERRORS, type MiddlewareErrorCode } from './errors.js';
