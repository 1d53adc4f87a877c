// app-scaling with k6: the CPU-bound route through the proxy at a constant
// arrival rate per stage. Run it against stacks with 1, 2, 4... app workers
// (or replicas: `docker compose up --scale app=N`, `kubectl scale`) and
// compare the sustained rate; the Node runner does the same sweep locally
// (npm run loadtest -- --scenario app-scaling --app-workers 1,2,4,8).
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e CPU_N=3000 load-tests/k6/app-scaling.js
import { getAndCheck, thresholds } from './lib.js';

const n = Number(__ENV.CPU_N || 3000);

export const options = {
  scenarios: {
    cpu: {
      executor: 'ramping-arrival-rate',
      startRate: 50,
      timeUnit: '1s',
      preAllocatedVUs: 50,
      maxVUs: Number(__ENV.MAX_VUS || 400),
      stages: [
        { duration: '30s', target: Number(__ENV.RATE || 400) },
        { duration: __ENV.HOLD || '1m', target: Number(__ENV.RATE || 400) },
        { duration: '10s', target: 0 },
      ],
    },
  },
  thresholds: thresholds(250, 1000),
};

export default function cpu() {
  getAndCheck(`/cpu?n=${n}`, 200, '"rounds"');
}
