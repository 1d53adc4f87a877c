import busboy from 'busboy';
import { GatewayError, type Environ, type InputStream } from '@tsgi/gateway';
import { BadRequest, exceptionFor, RequestEntityTooLarge } from './http-exceptions.js';
import { MultiDict } from './multi-dict.js';

/** An uploaded file from a multipart form (Werkzeug's `FileStorage`), held in memory. */
export interface UploadedFile {
  fieldName: string;
  filename: string;
  mimetype: string;
  encoding: string;
  data: Buffer;
  size: number;
}

export interface FormData {
  fields: MultiDict;
  files: Map<string, UploadedFile[]>;
}

export interface BodyLimits {
  /** Largest body in bytes (Flask's MAX_CONTENT_LENGTH); more gives 413. */
  maxContentLength: number;
  /** Most form fields and files in one multipart body. */
  maxFormParts: number;
  /** Largest non-file field (multipart) or urlencoded body held in memory (Flask 3.1's MAX_FORM_MEMORY_SIZE); more gives 413. */
  maxFormMemorySize: number;
}

const CHUNK = 64 * 1024;

/**
 * Reads one chunk of the body. A client error the gateway reports while the app
 * reads (client hung up mid-body, body timeout, body over the server's limit) is
 * the client's fault, not the app's: it becomes the matching HTTP error, so it is
 * answered (if the socket is still there) and never logged as a 500 with a stack.
 */
async function readChunk(input: InputStream): Promise<Uint8Array> {
  try {
    return await input.read(CHUNK);
  } catch (error) {
    throw toHttpError(error);
  }
}

function toHttpError(error: unknown): unknown {
  if (!(error instanceof GatewayError) || error.status >= 500 || error.status < 400) return error;
  const Cls = exceptionFor(error.status);
  return new Cls(undefined, { cause: error });
}

/** Declared length over the limit: refuse before reading a byte. */
export function checkDeclaredLength(environ: Environ, limit: number): void {
  const declared = environ.CONTENT_LENGTH;
  if (declared !== undefined && declared !== '' && Number(declared) > limit) throw new RequestEntityTooLarge();
}

/** Reads the whole body into one Buffer, at most `limit` bytes (413 beyond). */
export async function readBody(environ: Environ, limit: number): Promise<Buffer> {
  checkDeclaredLength(environ, limit);
  const input = environ['tsgi.input'];
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await readChunk(input);
    if (chunk.length === 0) break;
    total += chunk.length;
    if (total > limit) throw new RequestEntityTooLarge();
    chunks.push(chunk);
  }
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.length) : Buffer.concat(chunks, total);
}

/** Streams a multipart body through busboy as it is read from `tsgi.input` (never buffered whole). */
export async function parseMultipart(environ: Environ, limits: BodyLimits): Promise<FormData> {
  checkDeclaredLength(environ, limits.maxContentLength);
  const fields = new MultiDict();
  const files = new Map<string, UploadedFile[]>();
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': environ.CONTENT_TYPE ?? '' },
      // Werkzeug passes the filename as sent (paths included); secure it with secureFilename().
      preservePath: true,
      // Browsers send non-ASCII filenames as raw UTF-8 in the quoted parameter; busboy's
      // default (latin1) turned "résumé.pdf" into "rÃ©sumÃ©.pdf". Werkzeug reads UTF-8.
      defParamCharset: 'utf8',
      // busboy's limits trip on *reaching* the number (partsLimit, a truncated field or file): one
      // more than ours, so exactly the limit passes and one over is the 413, as in Werkzeug.
      limits: { fileSize: limits.maxContentLength + 1, parts: limits.maxFormParts + 1, fieldSize: limits.maxFormMemorySize + 1 },
    });
  } catch (error) {
    throw new BadRequest('The multipart body could not be parsed.', { cause: error });
  }
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
  };
  parser.on('field', (name, value, info) => {
    if (info.valueTruncated) fail(new RequestEntityTooLarge());
    fields.append(name, value);
  });
  parser.on('file', (name, stream, info) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    });
    stream.on('limit', () => fail(new RequestEntityTooLarge()));
    // busboy also destroys the file stream when the body ends inside a part; the parser's own
    // 'error' turns that into a 400 below, so this listener only keeps it from crashing the process.
    stream.on('error', () => undefined);
    stream.on('end', () => {
      const file: UploadedFile = { fieldName: name, filename: info.filename ?? '', mimetype: info.mimeType, encoding: info.encoding, data: Buffer.concat(chunks, size), size };
      const list = files.get(name);
      if (list) list.push(file);
      else files.set(name, [file]);
    });
  });
  // Werkzeug's page for it is the generic 413 one.
  parser.on('partsLimit', () => fail(new RequestEntityTooLarge()));
  const finished = new Promise<void>((resolve, reject) => {
    parser.on('close', resolve);
    parser.on('error', (error: Error) => reject(new BadRequest('The multipart body could not be parsed.', { cause: error })));
  });
  // Keep the rejection handled even if we bail out early below.
  finished.catch(() => undefined);
  await pump(environ['tsgi.input'], parser, limits.maxContentLength, () => failure, finished);
  await finished;
  if (failure) throw failure;
  return { fields, files };
}

async function pump(input: InputStream, parser: busboy.Busboy, limit: number, failed: () => Error | undefined, finished: Promise<void>): Promise<void> {
  let total = 0;
  for (;;) {
    const chunk = await readChunk(input);
    if (chunk.length === 0) break;
    total += chunk.length;
    if (total > limit) {
      parser.destroy();
      throw new RequestEntityTooLarge();
    }
    const error = failed();
    if (error) {
      parser.destroy();
      throw error;
    }
    if (!parser.write(chunk)) await Promise.race([new Promise<void>((resolve) => parser.once('drain', resolve)), finished]);
  }
  parser.end();
}
