// The sample app's routes through the proxy, with ramping virtual users:
// the seed's three routes, the JSON route and a static file, weighted as a
// browsing mix. Thresholds: p95 < 50 ms, p99 < 200 ms, < 1 % errors.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 load-tests/k6/routes.js
import { sleep } from 'k6';
import { getAndCheck, thresholds } from './lib.js';

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
  thresholds: thresholds(50, 200),
};

export default function browse() {
  const r = Math.random();
  if (r < 0.3) getAndCheck('/', 200, 'Hello, World!');
  else if (r < 0.5) getAndCheck(`/post/${1 + Math.floor(Math.random() * 1000)}`, 200, 'Post ');
  else if (r < 0.7) getAndCheck(`/hello/user${Math.floor(Math.random() * 100)}`, 200, 'user');
  else if (r < 0.9) getAndCheck('/api/json', 200, 'Hello, World!');
  else getAndCheck('/static/robots.txt', 200);
  sleep(Number(__ENV.THINK || 0));
}
