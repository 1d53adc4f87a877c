/**
 * @tsgi/http1: the HTTP/1.1 wire, written once for the gateway's server and
 * the edge proxy, so both tiers give the same verdict on the same bytes.
 */
export { WIRE_ERRORS, WireError, wireError, type WireErrorCode, type WireErrorArea } from './errors.js';
export { DEFAULT_HEAD_LIMITS, type HeadLimits } from './limits.js';
export { RequestHeadScanner, leadingEmptyLines } from './head-scanner.js';
export { parseRequestHead, type RequestHead } from './request-head.js';
export { parseRequestLine, type RequestLine } from './request-line.js';
export { splitTarget, isValidHost, type TargetParts } from './request-target.js';
export { requestFraming, parseContentLength, type RequestFraming } from './framing.js';
export { ChunkedDecoder, type ChunkSink } from './chunked-decoder.js';
export { writeChunk, LAST_CHUNK } from './chunk-encoder.js';
export { reasonPhrase, statusLine } from './reason-phrase.js';
export { statusCodeOf } from './status-line.js';
export { serializeErrorAnswer, type ErrorAnswer } from './error-answer.js';
export { parseResponseHead, partialResponseHeadIsBad, type ResponseHead } from './response-head.js';
export { HOP_BY_HOP_FIELDS, PROXY_HOP_BY_HOP_FIELDS } from './hop-by-hop.js';
export { TOKEN_RE } from './chars.js';
export { adoptForBufferedReads, isFreshlyAccepted } from './node-internals.js';
export { parseHttpDate } from './http-date.js';
export { encodingNegotiator, encodingPreferences, forbidsTransform, negotiateEncoding, parseAcceptEncoding, varyCovers, weakenETag } from './content-coding.js';
export { AddressSet, normalizePeer, parseCidr, type Cidr } from './address.js';
export { parseProxyHeader, encodeProxyV1, encodeProxyV2, proxiedAddressOf, type ProxiedAddress, type ProxyHeader } from './proxy-protocol.js';
