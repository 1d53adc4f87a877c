// Shared settings of the k6 scenarios: the proxy's URL (BASE_URL, default the
// `npm start` stack's proxy on 127.0.0.1:8080) and the thresholds every
// scenario holds to. Run with k6 (https://k6.io), e.g.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 load-tests/k6/routes.js
import { check } from 'k6';
import http from 'k6/http';

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

/** p95/p99 latency and error-rate limits; k6 exits non-zero when one is crossed. */
export function thresholds(p95Ms, p99Ms) {
  return {
    http_req_failed: ['rate<0.01'],
    http_req_duration: [`p(95)<${p95Ms}`, `p(99)<${p99Ms}`],
    checks: ['rate>0.99'],
  };
}

/** GET a path and check the status (and optionally the body). */
export function getAndCheck(path, expectStatus, bodyIncludes, tags) {
  const res = http.get(`${BASE_URL}${path}`, { tags: Object.assign({ route: path.split('?')[0] }, tags || {}) });
  const checks = {};
  checks[`${path} status ${expectStatus}`] = (r) => r.status === expectStatus;
  if (bodyIncludes) checks[`${path} body`] = (r) => typeof r.body === 'string' && r.body.includes(bodyIncludes);
  check(res, checks);
  return res;
}
