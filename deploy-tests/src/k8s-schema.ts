import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
// The Prometheus Operator's kinds, generated from its CRDs' OpenAPI schemas.
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { KubeObject } from './kube.js';

interface Validatable {
  validate(): void;
}

/** The kinds our manifests use, each with its generated schema model. A new kind must be added here. */
const MODELS: Record<string, (o: KubeObject) => Validatable> = {
  'v1/Namespace': (o) => new Namespace(o as never),
  'v1/ConfigMap': (o) => new ConfigMap(o as never),
  'v1/Service': (o) => new Service(o as never),
  'apps/v1/Deployment': (o) => new Deployment(o as never),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o as never),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o as never),
  'monitoring.coreos.com/v1/ServiceMonitor': (o) => new ServiceMonitor(o as never),
  'monitoring.coreos.com/v1/PrometheusRule': (o) => new PrometheusRule(o as never),
};

/**
 * Validates one object against the Kubernetes OpenAPI schema of its kind (the CRD schema for the Operator's kinds)
 * (types, required fields, enums). Returns the problems found, empty when valid.
 */
export function schemaProblems(o: KubeObject): string[] {
  const key = `${o.apiVersion}/${o.kind}`;
  const model = MODELS[key];
  if (!model) return [`${key} ${o.metadata?.name}: no schema model for this kind (add it to deploy-tests/src/k8s-schema.ts)`];
  try {
    model(o).validate();
    return [];
  } catch (err) {
    return [`${key} ${o.metadata.name}: ${(err as Error).message}`];
  }
}
