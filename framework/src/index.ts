export { App, type ConfigLoaders } from './app.js';
export type { AppOptions, AppConfig } from './app-config.js';
export { Blueprint, type BlueprintOptions } from './blueprint.js';
export { Context, type UrlForOptions, type ContextHost, type Flash } from './context.js';
export { sendFile, sendFromDirectory, safeJoin, guessType, type SendFileOptions, type SendFromDirectoryOptions } from './send-file.js';
export { MultiDict } from './multi-dict.js';
export { secureFilename } from './secure-filename.js';
export { MimeAccept } from './accept.js';
export type { Authorization } from './authorization.js';
export type { JsonOptions as JsonProviderOptions } from './json-provider.js';
export { Request } from './request.js';
export { RequestHeaders } from './request-headers.js';
export type { UploadedFile } from './body.js';
export { Response, redirect, contentTypeFor, type BodyInit, type BodyChunk, type ResponseInit } from './response.js';
export { JsonProvider, json, type JsonOptions } from './json-provider.js';
export { HeaderList, type HeadersInit } from './headers.js';
export { serializeCookie, parseCookieHeader, type CookieOptions, type CookieLookup, type RequestCookies } from './cookies.js';
export * from './http-exceptions.js';
export { FrameworkError, RouteError, BuildError, SetupError, ResponseTypeError, FRAMEWORK_ERRORS, type FrameworkErrorCode, type RouteErrorCode } from './errors.js';
export {
  BaseConverter,
  StringConverter,
  PathConverter,
  AnyConverter,
  IntegerConverter,
  FloatConverter,
  UUIDConverter,
  ValidationError,
  DEFAULT_CONVERTERS,
  quotePath,
  type ConverterClass,
  type ConverterArg,
  type ConverterTypes,
} from './routing/converters.js';
export type { RouteParams } from './routing/params-type.js';
export { UrlMap, encodeQuery, type UrlValues, type BuildOptions } from './routing/url-map.js';
export type { Rule, RuleOptions } from './routing/rule.js';
export { Session, SessionSigner, type SessionOptions } from './session.js';
export { escapeHtml } from './html.js';
export { statusLine, statusPhrase } from './status.js';
export { TestClient, TestResponse, type TestRequestOptions } from './testing/test-client.js';
export { BufferInputStream } from './testing/input-stream.js';
export type { Handler, HandlerResult, BeforeRequestHook, AfterRequestHook, TeardownHook, ErrorHandler, HookName, RouteOptions } from './types.js';
export { HOOK_NAMES } from './types.js';
export type { RouteDecorator, UrlValueFunction, ContextProcessor } from './scaffold.js';
export type { TsgiCall } from './callable.js';
