// Steady GET load for fault drills: run it, then kill a worker or an
// appserver, reload (HUP) a tier or delete a pod, and read the error rate.
// The threshold is zero failed requests while a healthy endpoint remains.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 load-tests/k6/faults.js
import { getAndCheck } from './lib.js';

export const options = {
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 200),
      timeUnit: '1s',
      duration: __ENV.DURATION || '2m',
      preAllocatedVUs: 50,
      maxVUs: 200,
    },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
  },
};

export default function steady() {
  getAndCheck('/', 200, 'Hello, World!');
}
