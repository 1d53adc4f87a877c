import { REPO_ROOT } from '../src/repo.js';
import { describeKustomizations } from '../src/k8s-checks.js';

// The kustomizations a user applies; each must render, match the schemas and
// keep the promises checked in src/k8s-checks.ts.
describeKustomizations('Kubernetes manifests (kustomize render)', REPO_ROOT, ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/production']);
