import type { ScenarioName } from '../config.js';
import type { ScenarioResult } from '../result-types.js';
import { compareEdges } from './compare-edges.js';
import { compareServers } from './compare-servers.js';
import { faultLoad } from './fault-load.js';
import { appScaling, proxyScaling, scalingMatrix } from './scaling.js';
import type { ScenarioContext } from './side-by-side.js';

/** Every scenario by name. */
export const SCENARIO_RUNNERS: Record<ScenarioName, (ctx: ScenarioContext) => Promise<ScenarioResult>> = {
  'scaling-matrix': scalingMatrix,
  'app-scaling': appScaling,
  'proxy-scaling': proxyScaling,
  'compare-edges': compareEdges,
  'compare-servers': compareServers,
  faults: faultLoad,
};

/** The scenarios that run the scaling matrix (or a cut of it); with `--containers` their cells are Compose projects. */
export function isScalingScenario(name: ScenarioName): boolean {
  return name === 'scaling-matrix' || name === 'app-scaling' || name === 'proxy-scaling';
}

export type { ScenarioContext } from './side-by-side.js';
