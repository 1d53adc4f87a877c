export {
  runConformance,
  CHECKS,
  CONFORMANCE_APP_PATH,
  type ConformanceOptions,
  type ConformanceReport,
  type CheckResult,
} from './runner.js';
export { app as conformanceApp } from './app.js';
export { CONFORMANCE_DIR_ENV } from './side-channel.js';
export type { Check } from './context.js';
export { RawConnection, exchange, header, headerValues, parseResponses, type RawResponse, type ReadResponseOptions } from './raw-client.js';
