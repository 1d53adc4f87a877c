// proxy-scaling with k6: a cheap route with many connections, so the proxy
// tier is the bottleneck. Compare runs with tsgi-proxy --workers 1, 2, 4
// (or proxy replicas behind a k8s Service: k6 run against the Service's address).
//   k6 run -e BASE_URL=http://127.0.0.1:8080 load-tests/k6/proxy-scaling.js
import { getAndCheck, thresholds } from './lib.js';

export const options = {
  scenarios: {
    connections: {
      executor: 'ramping-vus',
      startVUs: 10,
      stages: [
        { duration: '20s', target: Number(__ENV.VUS || 200) },
        { duration: __ENV.HOLD || '1m', target: Number(__ENV.VUS || 200) },
        { duration: '10s', target: 0 },
      ],
    },
  },
  thresholds: thresholds(30, 100),
};

export default function cheap() {
  getAndCheck(__ENV.PATH_TO_GET || '/static/style.css', 200);
}
