/** Limits applied while reading a head (and the trailer section of a chunked body). */
export interface HeadLimits {
  /** Longest request line in bytes without its CRLF (gunicorn's limit_request_line, 4094); over it: 414. */
  readonly requestLine: number;
  /** Longest field line in bytes, its CRLF included (gunicorn's limit_request_field_size, 8190); over it: 431. */
  readonly fieldLine: number;
  /** Most fields in the head, trailers counted with it (gunicorn's limit_request_fields, 100); over it: 431. */
  readonly fields: number;
  /** Whole head in bytes, request line and final CRLFCRLF included (nginx's 4 × 8k buffers); over it: 431. */
  readonly headBytes: number;
}

/** The defaults every tier uses, so the same bytes get the same verdict everywhere. */
export const DEFAULT_HEAD_LIMITS: HeadLimits = Object.freeze({
  requestLine: 4094,
  fieldLine: 8190,
  fields: 100,
  headBytes: 32 * 1024,
});
