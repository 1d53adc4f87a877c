/*
 * The defaults and bounds of the edge keys. config/ owns every key (schema,
 * default, value parsing); the listener, policy and upstream code that uses
 * a value imports it from here, never the other way round.
 */

/**
 * Mozilla "intermediate" TLS 1.2 suites: forward-secret AEAD only, no CBC,
 * no RSA key exchange, no SHA-1.
 */
export const DEFAULT_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
].join(':');

/** Media types compressed by default: text, and the structured formats served as text. */
export const DEFAULT_COMPRESSIBLE_TYPES: readonly string[] = [
  'text/*',
  'application/json',
  'application/*+json',
  'application/javascript',
  'application/ecmascript',
  'application/xml',
  'application/*+xml',
  'application/x-www-form-urlencoded',
  'application/wasm',
  'image/svg+xml',
  'image/x-icon',
  'font/ttf',
  'font/otf',
];

/** sun_path holds 107 bytes plus NUL on Linux (103 on macOS); longer paths fail at connect time with a vague error. */
export const MAX_UNIX_PATH = 107;
