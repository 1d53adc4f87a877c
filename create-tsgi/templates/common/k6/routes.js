// The app's routes through the proxy, with ramping virtual users, as a browsing mix.
// Thresholds: p95 < 50 ms, p99 < 200 ms, < 1 % errors (k6 exits non-zero past one).
//   npm start                                   (or: docker compose up -d --scale app=3)
//   k6 run -e BASE_URL=http://127.0.0.1:8080 k6/routes.js
// VUS (50), RAMP (30s), HOLD (1m) and THINK (0 s between requests) are -e settings too.
import { check, sleep } from 'k6';
import http from 'k6/http';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

export const options = {
  scenarios: {
    browse: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP || '30s', target: Number(__ENV.VUS || 50) },
        { duration: __ENV.HOLD || '1m', target: Number(__ENV.VUS || 50) },
        { duration: '15s', target: 0 },
      ],
      gracefulRampDown: '10s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<50', 'p(99)<200'],
    checks: ['rate>0.99'],
  },
};

function getAndCheck(path, bodyIncludes) {
  const res = http.get(`${BASE_URL}${path}`, { tags: { route: path.replace(/\/[^/]*$/, '/:x') } });
  check(res, {
    [`${path} status 200`]: (r) => r.status === 200,
    [`${path} body`]: (r) => typeof r.body === 'string' && r.body.includes(bodyIncludes),
  });
}

export default function browse() {
  const r = Math.random();
  if (r < 0.3) getAndCheck('/', 'Hello, World!');
  else if (r < 0.5) getAndCheck(`/post/${1 + Math.floor(Math.random() * 1000)}`, 'Post ');
  else if (r < 0.8) getAndCheck(`/hello/user${Math.floor(Math.random() * 100)}`, 'user');
  else getAndCheck('/api/json', 'Hello, World!');
  sleep(Number(__ENV.THINK || 0));
}
