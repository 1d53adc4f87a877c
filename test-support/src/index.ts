export { RawConnection, exchange, header, headerValues, parseResponses, type RawResponse } from '@tsgi/gateway/conformance';
export { rawExchange, rawExchangeOver, type RawExchangeOptions, type RawReply } from './raw-exchange.js';
export { httpRequest, type HttpReply, type HttpRequestOptions } from './http-request.js';
export { startProcess, type ReadyProcess, type StartOptions } from './child-process.js';
export { PROMTOOL, hasPromtool, checkMetrics } from './promtool.js';
export { runInTerminal, terminalLines, type TerminalRun } from './pseudo-terminal.js';
export { pidsWithEnv } from './marked-processes.js';
export { busyPort, freePort, freePorts } from './ports.js';
export { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';
